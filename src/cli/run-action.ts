import { UserError, EXIT_INTERNAL_ERROR, EXIT_USER_ERROR } from '../errors.js';

/**
 * Wrap a command's action so that user mistakes print one clear line and exit 1, and bugs
 * print their stack and exit 2. Exit codes: 0 success, 1 user error, 2 internal error.
 */
export function runAction<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof UserError) {
        process.stderr.write(`nsvq-codec: error: ${err.message}\n`);
        process.exitCode = EXIT_USER_ERROR;
      } else {
        const e = err as Error;
        process.stderr.write(`nsvq-codec: internal error: ${e?.stack ?? String(err)}\n`);
        process.exitCode = EXIT_INTERNAL_ERROR;
      }
    }
  };
}
