// Datastore errors carry the CLI exit code they mean (cli/exit.ts): 1 for the user's conflict or
// typo, 2 when etcd cannot be reached.
export class DatastoreError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** etcd did not answer within the dial/call timeout. */
export class DatastoreUnavailableError extends DatastoreError {
  constructor(message: string) {
    super(message, 2);
  }
}

export class NotFoundError extends DatastoreError {}
export class AlreadyExistsError extends DatastoreError {}
/** A compare-and-swap lost: someone changed the resource since it was read. */
export class ConflictError extends DatastoreError {}
/** The change is refused by a rule over several resources (overlap, immutable field, in use). */
export class RefusedError extends DatastoreError {}
