// IPAM errors carry the CLI exit code (1: the request cannot be met as asked).
export class IpamError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** No pool has a free address for this node (after claiming and, unless strict, borrowing). */
export class IpamExhaustedError extends IpamError {}
/** A block stayed contended for all retries. */
export class IpamContentionError extends IpamError {}
