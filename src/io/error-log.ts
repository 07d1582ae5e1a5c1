import * as fs from "node:fs";
import * as path from "node:path";
import { errorsFolder } from "./settings.js";

/** One problem with one line of one input file. */
export interface LineError {
  file: string;
  line: number;
  reason: string;
  /** The start of the line as read (invalid UTF-8 shown as U+FFFD). */
  text: string;
}

export const MAX_ERROR_TEXT_BYTES = 2048;

/**
 * A run's error log: one JSON object per line in `<settings>/errors/<step>_<time>_<pid>.jsonl`,
 * created on the first error, so clean runs leave nothing behind. Not for publication: it holds
 * raw log lines, IP addresses included.
 */
export class ErrorLog {
  readonly path: string;
  count = 0;
  private fd: number | null = null;

  constructor(step: string) {
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
    this.path = path.join(errorsFolder(), `${step}_${stamp}_${process.pid}.jsonl`);
  }

  record(error: LineError): void {
    if (this.fd === null) {
      fs.mkdirSync(path.dirname(this.path), { recursive: true });
      this.fd = fs.openSync(this.path, "a");
    }
    fs.writeSync(this.fd, `${JSON.stringify(error)}\n`);
    this.count++;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** The text of a line for the error log, cut to a readable length. */
export function errorTextOf(buf: Buffer, start: number, end: number): string {
  return buf.toString("utf8", start, Math.min(end, start + MAX_ERROR_TEXT_BYTES));
}
