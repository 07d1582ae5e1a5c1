/**
 * Errors the library throws. Each carries a stable `code` to branch on (`ERR_INVALID_WORKERS`), and
 * names the options it is about as the library spells them (`workers`, in backticks in the message),
 * so a command-line front end can put its own flag names in their place.
 */
export interface LibraryErrorOptions extends ErrorOptions {
  /** Stable, such as `ERR_INVALID_WORKERS`; each class has a general code for the rest. */
  code?: string;
  /** The options the message names, such as `["workers"]`. */
  optionNames?: readonly string[];
}

abstract class LibraryError extends Error {
  readonly code: string;
  readonly optionNames: readonly string[];

  constructor(message: string, defaultCode: string, options: LibraryErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? defaultCode;
    this.optionNames = options.optionNames ?? [];
  }
}

/** The caller asked for something that cannot work: bad options, missing folders. Exit code 2. */
export class UsageError extends LibraryError {
  override name = "UsageError";
  constructor(message: string, options: LibraryErrorOptions = {}) {
    super(message, "ERR_USAGE", options);
  }
}

/** A run started but could not finish its work (I/O failures, a crashed worker). Exit code 1. */
export class RunError extends LibraryError {
  override name = "RunError";
  constructor(message: string, options: LibraryErrorOptions = {}) {
    super(message, "ERR_RUN_FAILED", options);
  }
}

/** The run was interrupted (Ctrl-C, SIGTERM); whatever was committed stays valid. */
export class AbortedError extends LibraryError {
  override name = "AbortedError";
  constructor(message: string, options: LibraryErrorOptions = {}) {
    super(message, "ERR_ABORTED", options);
  }
}
