/**
 * Error taxonomy shared by every module.
 *
 * A UserError is a problem with what the user gave us (missing file, bad audio, unknown
 * bitrate, corrupt bitstream). The CLI prints its message on one line and exits 1, with no
 * stack trace. Anything else is a bug in this program: the CLI exits 2.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** A bitstream or model file that cannot be decoded. Always a user-facing error. */
export class CorruptDataError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptDataError';
  }
}

/** A feature that exists in the interface but is not built yet. */
export class NotImplementedError extends UserError {
  constructor(what: string) {
    super(`${what} is not implemented yet`);
    this.name = 'NotImplementedError';
  }
}

export const EXIT_OK = 0;
export const EXIT_USER_ERROR = 1;
export const EXIT_INTERNAL_ERROR = 2;
