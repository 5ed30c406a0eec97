// How the CLI ends: one line a person can act on, and an exit code scripts can branch on.
// 0 ok, 1 user error (bad flag, invalid resource, conflict), 2 datastore (etcd) unreachable,
// 3 the local agent's API is unreachable, 4 `tsroute status` flagged something (its report is printed).

export const EXIT_OK = 0;
export const EXIT_USER_ERROR = 1;
export const EXIT_ETCD_UNREACHABLE = 2;
export const EXIT_AGENT_UNREACHABLE = 3;
export const EXIT_FLAGGED = 4;

/** An error whose message is already the one line to show; `exitCode` says how to end. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USER_ERROR,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Wraps a commander action so that any error ends the process with one line on stderr and the
 * right exit code. Errors that carry an `exitCode` (CliError and the datastore's own errors) keep
 * it; anything else is an internal fault and is shown with its stack when TSROUTE_DEBUG is set.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (err) {
      const e = err as Error & { exitCode?: number };
      const code = typeof e.exitCode === 'number' ? e.exitCode : EXIT_USER_ERROR;
      process.stderr.write(`tsroute: ${e.message ?? String(err)}\n`);
      if (process.env.TSROUTE_DEBUG && e.stack) process.stderr.write(`${e.stack}\n`);
      process.exitCode = code;
    }
  };
}
