/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  diagnostics: 1,
  usage: 2,
  checkFailed: 3,
  io: 4,
} as const;

/** A bug in podwall: never caused by user input. */
export class InternalError extends Error {
  override name = 'InternalError';
}

/** The command line was wrong (unknown flag value, missing argument). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Reading or writing a file, socket or back end failed. */
export class IoError extends Error {
  override name = 'IoError';
}

/** Stop with this exit code after output was already printed. */
export class ExitError extends Error {
  override name = 'ExitError';
  constructor(readonly code: number, message = `exit ${code}`) {
    super(message);
  }
}
