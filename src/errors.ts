/** The caller asked for something that cannot work: bad options, missing folders. Exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A run started but could not finish its work (I/O failures, a crashed worker). Exit code 1. */
export class RunError extends Error {
  override name = "RunError";
}

/** The run was interrupted (Ctrl-C, SIGTERM); whatever was committed stays valid. */
export class AbortedError extends Error {
  override name = "AbortedError";
}
