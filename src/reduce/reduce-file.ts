import * as fs from "node:fs";
import { checkOptionsObject } from "../check-options.js";
import { commitFile } from "../io/atomic-file.js";
import { errorTextOf, type LineError } from "../io/error-log.js";
import { BackgroundFlush } from "./background-flush.js";
import { checkReduceFileArguments } from "./check-reducer-options.js";
import type { LineCounts } from "./line-counts.js";
import { type ByteRange, LineRangeReader, WHOLE_FILE } from "./line-range-reader.js";
import { LogReducer, type LogReducerOptions } from "./log-reducer.js";

export interface ReduceFileOptions extends LogReducerOptions {
  /** Bytes read from the raw file at a time. */
  readBufferBytes?: number;
  /** A buffer to read into (instead of a new one of `readBufferBytes`), reused from piece to piece. */
  readBuffer?: Buffer;
  /** Called after each chunk with the number of bytes read so far. */
  onProgress?: (bytesRead: number) => void;
  /** Called for each malformed line. */
  onMalformed?: (error: LineError) => void;
  /** Name of the input in error records (defaults to its path). */
  displayName?: string;
  /**
   * Only the lines that start in these bytes of the input (the whole file when omitted); error
   * records then number lines from the range's first line.
   */
  range?: ByteRange;
  /** Whether the output is flushed to disk as it grows (true); false for a part, never kept. */
  flushAsWritten?: boolean;
}

/** What the pool gives a reduction beyond the public options. */
export interface ReductionOptions extends ReduceFileOptions {
  /**
   * Files reduced after the input, whole and in order, into the same output: a group of log
   * objects, reduced by one reducer so that the cost of a file of its own (opening, a reducer, a
   * part file) is paid once per group, not once per object of a few hundred KB. Each ends its own
   * last line, and error records name it and number its lines from 1.
   */
  moreInputs?: { path: string; displayName: string }[];
}

export const DEFAULT_READ_BUFFER_BYTES = 1024 * 1024;

/**
 * The reduction of one raw day file (or of a byte range of it) into `outputPath`, a chunk at a
 * time. Output goes to `tempPath` and is renamed into place by `commit`, so it exists whole or not
 * at all. Synchronous reads into one reused buffer: no stream machinery between the disk and the
 * parser.
 */
export class DayFileReduction {
  bytesRead = 0;
  private reader: LineRangeReader;
  private readonly reducer: LogReducer;
  private readonly readBuffer: Buffer;
  private displayName: string;
  /** Lines of the group's earlier inputs, so that each input's lines are numbered from 1. */
  private linesBefore = 0;
  private bytesBefore = 0;
  private nextInput = 0;
  private input: number | null;
  private output: number | null;
  private readonly flush: BackgroundFlush | null;

  constructor(
    inputPath: string,
    private readonly outputPath: string,
    private readonly tempPath: string,
    private readonly options: ReductionOptions = {},
  ) {
    this.displayName = options.displayName ?? inputPath;
    const onMalformed = options.onMalformed;
    this.input = fs.openSync(inputPath, "r");
    try {
      this.output = fs.openSync(tempPath, "w");
    } catch (error) {
      fs.closeSync(this.input);
      throw error;
    }
    const output = this.output;
    const flush = options.flushAsWritten === false ? null : new BackgroundFlush(tempPath);
    this.flush = flush;
    this.reducer = new LogReducer(
      {
        output: (chunk, length) => {
          let written = 0;
          while (written < length) written += fs.writeSync(output, chunk, written, length - written);
          flush?.wrote(length);
        },
        malformed: (line, reason, buf, start, end) => {
          onMalformed?.({
            file: this.displayName,
            line: line - this.linesBefore,
            reason,
            text: errorTextOf(buf, start, end),
          });
        },
      },
      options,
    );
    // Read straight into the reducer's WebAssembly input when it has one: no copy between the two.
    const wanted = options.readBufferBytes ?? options.readBuffer?.length ?? DEFAULT_READ_BUFFER_BYTES;
    const own = this.reducer.inputBuffer;
    this.readBuffer =
      own !== null && own.length >= wanted
        ? own.subarray(0, wanted)
        : (options.readBuffer ?? Buffer.allocUnsafe(wanted));
    this.reader = new LineRangeReader(this.input, this.readBuffer, options.range ?? WHOLE_FILE);
  }

  /** Reduces the next chunk; false once the range (the whole file unless told) has been read. */
  step(): boolean {
    const chunk = this.reader.next();
    if (chunk === null) return this.openNextInput();
    if (chunk.length > 0) this.reducer.write(chunk);
    this.bytesRead = this.bytesBefore + this.reader.bytesRead;
    this.options.onProgress?.(this.bytesRead);
    return true;
  }

  /** Moves on to the group's next input, ending the last line of the one read; false when none is left. */
  private openNextInput(): boolean {
    const next = this.options.moreInputs?.[this.nextInput];
    if (next === undefined) return false;
    this.nextInput++;
    this.reducer.end();
    this.bytesBefore += this.reader.bytesRead;
    this.linesBefore = this.reducer.counter.lines;
    if (this.input !== null) fs.closeSync(this.input);
    this.input = null;
    this.input = fs.openSync(next.path, "r");
    this.displayName = next.displayName;
    this.reader = new LineRangeReader(this.input, this.readBuffer, WHOLE_FILE);
    return true;
  }

  /** Finishes the last line, flushes and renames the output into place. */
  commit(): LineCounts {
    this.reducer.end();
    // The descriptor is commitFile's to close from here on: closing it again after a failed rename
    // threw EBADF, which hid the rename's own error.
    const output = this.output as number;
    this.output = null;
    try {
      commitFile(output, this.tempPath, this.outputPath);
    } catch (error) {
      fs.rmSync(this.tempPath, { force: true });
      throw error;
    } finally {
      this.close();
    }
    return this.reducer.counter.toLineCounts();
  }

  /**
   * Finishes the last line and closes the output without renaming it: one part of a day reduced in
   * ranges, which the day's assembly copies into place (and flushes to disk) with the others.
   */
  finishPart(): LineCounts {
    this.reducer.end();
    const output = this.output as number;
    this.output = null;
    try {
      fs.closeSync(output);
    } finally {
      this.close();
    }
    return this.reducer.counter.toLineCounts();
  }

  /** Gives up: closes the files and removes the unfinished output. Safe to call more than once. */
  abort(): void {
    this.close();
  }

  private close(): void {
    this.reducer.release();
    this.flush?.close();
    if (this.input !== null) fs.closeSync(this.input);
    this.input = null;
    if (this.output !== null) {
      fs.closeSync(this.output);
      fs.rmSync(this.tempPath, { force: true });
    }
    this.output = null;
  }
}

/** Reduces the lines of `options.range` of a raw day file into the part file `partPath`, kept for assembly. */
export function reduceRangeToPart(
  inputPath: string,
  partPath: string,
  options: ReductionOptions,
): LineCounts {
  const reduction = new DayFileReduction(inputPath, partPath, partPath, {
    ...options,
    header: false,
    flushAsWritten: false,
  });
  try {
    while (reduction.step()) {}
    return reduction.finishPart();
  } finally {
    reduction.abort();
  }
}

/** Reduces one raw day file into `outputPath` (through `tempPath`), start to end. */
export function reduceFile(
  inputPath: string,
  outputPath: string,
  tempPath: string,
  options: ReduceFileOptions = {},
): LineCounts {
  checkOptionsObject(options, "reduceFile");
  checkReduceFileArguments(inputPath, outputPath, tempPath, options);
  const reduction = new DayFileReduction(inputPath, outputPath, tempPath, options);
  try {
    while (reduction.step()) {}
    return reduction.commit();
  } finally {
    reduction.abort();
  }
}
