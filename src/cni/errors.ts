// CNI errors: the spec's well-known codes (CNI spec 1.1, "Error" section) and the JSON a plugin
// prints on stdout when it fails.

export const CNI_ERR = {
  INCOMPATIBLE_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENVIRONMENT: 4,
  IO_FAILURE: 5,
  DECODE_FAILURE: 6,
  INVALID_NETWORK_CONFIG: 7,
  TRY_AGAIN_LATER: 11,
  /** STATUS: the plugin cannot accept ADDs at all. */
  PLUGIN_NOT_AVAILABLE: 50,
  /** STATUS: ADDs would work, with limited connectivity. */
  LIMITED_CONNECTIVITY: 51,
  // 100+ are ours.
  /** The agent answered, but refused or failed the request. */
  AGENT_ERROR: 100,
  /** The agent's pools are out of addresses. */
  NO_ADDRESSES: 101,
} as const;

export class CniError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'CniError';
  }

  toJSON(cniVersion: string) {
    return { cniVersion, code: this.code, msg: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}
