import * as fs from "node:fs";
import { checkOptionsObject } from "../check-options.js";
import { commitFile } from "../io/atomic-file.js";
import { errorTextOf, type LineError } from "../io/error-log.js";
import { checkReduceFileArguments } from "./check-reducer-options.js";
import type { LineCounts } from "./line-counts.js";
import { LogReducer, type LogReducerOptions } from "./log-reducer.js";

export interface ReduceFileOptions extends LogReducerOptions {
  /** Bytes read from the raw file at a time. */
  readBufferBytes?: number;
  /** Called after each chunk with the number of bytes read so far. */
  onProgress?: (bytesRead: number) => void;
  /** Called for each malformed line. */
  onMalformed?: (error: LineError) => void;
  /** Name of the input in error records (defaults to its path). */
  displayName?: string;
}

export const DEFAULT_READ_BUFFER_BYTES = 1024 * 1024;

/**
 * The reduction of one raw day file into `outputPath`, a chunk at a time. Output goes to
 * `tempPath` and is renamed into place by `commit`, so it exists whole or not at all.
 * Synchronous reads into one reused buffer: no stream machinery between the disk and the parser.
 */
export class DayFileReduction {
  bytesRead = 0;
  private readonly readBuffer: Buffer;
  private readonly reducer: LogReducer;
  private input: number | null;
  private output: number | null;

  constructor(
    inputPath: string,
    private readonly outputPath: string,
    private readonly tempPath: string,
    private readonly options: ReduceFileOptions = {},
  ) {
    this.readBuffer = Buffer.allocUnsafe(options.readBufferBytes ?? DEFAULT_READ_BUFFER_BYTES);
    const displayName = options.displayName ?? inputPath;
    const onMalformed = options.onMalformed;
    this.input = fs.openSync(inputPath, "r");
    try {
      this.output = fs.openSync(tempPath, "w");
    } catch (error) {
      fs.closeSync(this.input);
      throw error;
    }
    const output = this.output;
    this.reducer = new LogReducer(
      {
        output: (chunk, length) => {
          let written = 0;
          while (written < length) written += fs.writeSync(output, chunk, written, length - written);
        },
        malformed: (line, reason, buf, start, end) => {
          onMalformed?.({ file: displayName, line, reason, text: errorTextOf(buf, start, end) });
        },
      },
      options,
    );
  }

  /** Reduces the next chunk; false once the whole file has been read. */
  step(): boolean {
    const n = fs.readSync(this.input as number, this.readBuffer, 0, this.readBuffer.length, null);
    if (n === 0) return false;
    this.reducer.write(n === this.readBuffer.length ? this.readBuffer : this.readBuffer.subarray(0, n));
    this.bytesRead += n;
    this.options.onProgress?.(this.bytesRead);
    return true;
  }

  /** Finishes the last line, flushes and renames the output into place. */
  commit(): LineCounts {
    this.reducer.end();
    commitFile(this.output as number, this.tempPath, this.outputPath);
    this.output = null;
    this.close();
    return this.reducer.counter.toLineCounts();
  }

  /** Gives up: closes the files and removes the unfinished output. Safe to call more than once. */
  abort(): void {
    this.close();
  }

  private close(): void {
    if (this.input !== null) fs.closeSync(this.input);
    this.input = null;
    if (this.output !== null) {
      fs.closeSync(this.output);
      fs.rmSync(this.tempPath, { force: true });
    }
    this.output = null;
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
