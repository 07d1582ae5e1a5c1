import * as fs from "node:fs";
import * as path from "node:path";
import { RunError } from "../errors.js";
import { maskAddresses } from "../privacy/mask-addresses.js";
import { explainWriteFailure } from "./folders.js";
import { errorsFolder } from "./settings.js";

/**
 * The error log could not be written: its folder (the settings folder's `errors/`) is read-only,
 * not writable by this user, or full. The run stops: its malformed lines would go unrecorded.
 */
export class ErrorLogWriteError extends RunError {
  override name = "ErrorLogWriteError";
}

/** One problem with one line of one input file. */
export interface LineError {
  file: string;
  line: number;
  reason: string;
  /** The start of the line as read (invalid UTF-8 shown as U+FFFD). */
  text: string;
}

export const MAX_ERROR_TEXT_BYTES = 2048;

/** Lines written per reason in one run; past that only counted, so a day of garbage cannot fill a disk. */
export const DEFAULT_RECORDS_PER_REASON = 1000;

/**
 * A run's error log: one JSON object per line in `<settings>/errors/<step>_<time>_<pid>.jsonl`,
 * created on the first error, so clean runs leave nothing behind. Not for publication: it holds
 * the start of each line, with its IP addresses masked unless `keepRawLines` (for debugging), so
 * it is readable by its owner only (0600, in a 0700 folder). The first `recordsPerReason` lines of each reason are written; the others are counted,
 * and `close` adds one line per reason saying how many were left out (`{"reason", "omitted"}`).
 */
export class ErrorLog {
  readonly path: string;
  /** Every error recorded, written or not. */
  count = 0;
  private fd: number | null = null;
  private readonly perReason = new Map<string, number>();

  constructor(
    step: string,
    private readonly recordsPerReason = DEFAULT_RECORDS_PER_REASON,
    private readonly keepRawLines = false,
  ) {
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
    this.path = path.join(errorsFolder(), `${step}_${stamp}_${process.pid}.jsonl`);
  }

  record(error: LineError): void {
    this.count++;
    const seen = (this.perReason.get(error.reason) ?? 0) + 1;
    this.perReason.set(error.reason, seen);
    if (seen > this.recordsPerReason) return;
    const written = this.keepRawLines ? error : { ...error, text: maskAddresses(error.text) };
    this.write(`${JSON.stringify(written)}\n`);
  }

  /**
   * Counts `n` more errors of `reason` past the ones recorded, which a worker thread left out as the
   * log would (it keeps the first `recordsPerReason` of each reason of its own).
   */
  countUnlisted(reason: string, n: number): void {
    if (n <= 0) return;
    this.count += n;
    this.perReason.set(reason, (this.perReason.get(reason) ?? 0) + n);
  }

  close(): void {
    for (const [reason, seen] of this.perReason) {
      if (seen > this.recordsPerReason)
        this.write(`${JSON.stringify({ reason, omitted: seen - this.recordsPerReason })}\n`);
    }
    this.perReason.clear();
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private write(line: string): void {
    try {
      if (this.fd === null) {
        fs.mkdirSync(path.dirname(this.path), { recursive: true, mode: 0o700 });
        this.fd = fs.openSync(this.path, "a", 0o600);
        // The mode given to open is narrowed by the umask, never widened; set it outright.
        fs.fchmodSync(this.fd, 0o600);
      }
      fs.writeSync(this.fd, line);
    } catch (error) {
      throw writeFailure(error, this.path);
    }
  }
}

/**
 * Why the error log `file` cannot be written, in one line that says what to do. Recursive mkdir
 * reports a folder it may not create as ENOENT, which named a folder that was missing, not one
 * that was read-only.
 */
function writeFailure(error: unknown, file: string): ErrorLogWriteError {
  const explained = explainWriteFailure(error, file);
  const why =
    explained instanceof RunError
      ? explained.message.replace(/; choose a folder on a writable disk, or make it writable$/, "")
      : `cannot write ${file}: ${(error as Error).message}`;
  return new ErrorLogWriteError(
    `the error log of malformed lines cannot be written: ${why}; make it writable, or set ` +
      "DANDI_S3_LOG_PARSER_HOME to a writable folder (the settings folder, which holds errors/)",
    { code: "ERR_NOT_WRITABLE", cause: error },
  );
}

/** The text of a line for the error log, cut to a readable length. */
export function errorTextOf(buf: Buffer, start: number, end: number): string {
  return buf.toString("utf8", start, Math.min(end, start + MAX_ERROR_TEXT_BYTES));
}
