import * as fs from "node:fs";
import { commitFile, tempPathFor } from "../io/atomic-file.js";
import type { LineError } from "../io/error-log.js";
import { REDUCED_HEADER } from "../io/table-headers.js";
import { BackgroundFlush } from "./background-flush.js";
import { addLineCounts, emptyLineCounts, type LineCounts } from "./line-counts.js";

const HEADER_BYTES = Buffer.from(REDUCED_HEADER);
const COPY_BUFFER_BYTES = 1024 * 1024;
/** One copy buffer for every assembly: they run on the main thread, one call at a time. */
let copyBuffer: Buffer | null = null;

/**
 * Puts a day reduced in byte ranges, each by some worker into a part file of its own, back together
 * into the file one worker would have written.
 *
 * Parts are appended to the day's temporary file in range order as soon as every earlier part is
 * in, so the copying overlaps the reducing and part files live only briefly. The header goes before
 * the first row of whichever part has one. Workers number malformed lines from their range's first
 * line; a part's error records are renumbered once the lines of all earlier parts are counted, and
 * held until then, so the error log lists the day's lines in order with their real numbers. The
 * finished day is flushed and renamed into place like any other output: whole or not at all.
 */
export class DayAssembly {
  /** The day's line counts, summed over the parts appended so far. */
  readonly counts = emptyLineCounts();
  /** The part files, one per range, beside the output (temporary names, removed after a crash). */
  readonly parts: string[];
  private readonly temp: string;
  private readonly done: (LineCounts | null)[];
  private readonly held: LineError[][];
  private next = 0;
  private linesBefore = 0;
  private fd: number | null = null;
  private readonly flush: BackgroundFlush;
  private wroteHeader = false;

  constructor(
    private readonly output: string,
    partCount: number,
    private readonly record: (error: LineError) => void,
  ) {
    this.temp = tempPathFor(output);
    this.parts = Array.from({ length: partCount }, () => tempPathFor(output));
    this.done = this.parts.map(() => null);
    this.held = this.parts.map(() => []);
    this.flush = new BackgroundFlush(this.temp);
  }

  /** Error records of part `index`, numbered from the part's first line. */
  addErrors(index: number, errors: readonly LineError[]): void {
    if (errors.length === 0) return;
    if (index !== this.next) {
      for (const error of errors) this.held[index].push(error);
      return;
    }
    for (const error of errors) this.record({ ...error, line: error.line + this.linesBefore });
  }

  /** Part `index` is complete; true once the whole day is in place. */
  partDone(index: number, counts: LineCounts): boolean {
    this.done[index] = counts;
    if (this.fd === null) this.fd = fs.openSync(this.temp, "w");
    while (this.next < this.parts.length) {
      const part = this.done[this.next];
      if (part === null) return false;
      if (part.kept > 0) this.append(this.parts[this.next]);
      fs.rmSync(this.parts[this.next], { force: true });
      addLineCounts(this.counts, part);
      this.linesBefore += part.lines;
      this.next++;
      if (this.next < this.parts.length) {
        const held = this.held[this.next];
        this.held[this.next] = [];
        this.addErrors(this.next, held);
      }
    }
    const fd = this.fd;
    this.fd = null;
    this.flush.close();
    commitFile(fd, this.temp, this.output);
    return true;
  }

  /** Gives up: removes the day's temporary file and every part file. Safe to call more than once. */
  abort(): void {
    this.flush.close();
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    fs.rmSync(this.temp, { force: true });
    for (const part of this.parts) fs.rmSync(part, { force: true });
  }

  private append(partPath: string): void {
    const fd = this.fd as number;
    if (!this.wroteHeader) {
      writeAll(fd, HEADER_BYTES, HEADER_BYTES.length);
      this.wroteHeader = true;
    }
    copyBuffer ??= Buffer.allocUnsafe(COPY_BUFFER_BYTES);
    const input = fs.openSync(partPath, "r");
    try {
      for (;;) {
        const n = fs.readSync(input, copyBuffer, 0, copyBuffer.length, null);
        if (n === 0) break;
        writeAll(fd, copyBuffer, n);
        this.flush.wrote(n);
      }
    } finally {
      fs.closeSync(input);
    }
  }
}

function writeAll(fd: number, buf: Buffer, length: number): void {
  let written = 0;
  while (written < length) written += fs.writeSync(fd, buf, written, length - written);
}
