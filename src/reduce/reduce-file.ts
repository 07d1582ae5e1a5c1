import * as fs from "node:fs";
import { commitFile } from "../io/atomic-file.js";
import { errorTextOf, type LineError } from "../io/error-log.js";
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

export const DEFAULT_READ_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Reduces one raw day file into `outputPath`, writing through `tempPath` and renaming at the end,
 * so the output exists whole or not at all. Synchronous on purpose: it runs in a worker thread
 * that has nothing else to do, and sync reads into one reused buffer avoid all stream overhead.
 */
export function reduceFile(
  inputPath: string,
  outputPath: string,
  tempPath: string,
  options: ReduceFileOptions = {},
): LineCounts {
  const readBuffer = Buffer.allocUnsafe(options.readBufferBytes ?? DEFAULT_READ_BUFFER_BYTES);
  const displayName = options.displayName ?? inputPath;
  const { onProgress, onMalformed } = options;
  const input = fs.openSync(inputPath, "r");
  let output: number | null = fs.openSync(tempPath, "w");
  try {
    const outputFd = output;
    const reducer = new LogReducer(
      {
        output: (chunk, length) => {
          let written = 0;
          while (written < length) written += fs.writeSync(outputFd, chunk, written, length - written);
        },
        malformed: (line, reason, buf, start, end) => {
          onMalformed?.({ file: displayName, line, reason, text: errorTextOf(buf, start, end) });
        },
      },
      options,
    );
    let bytesRead = 0;
    for (;;) {
      const n = fs.readSync(input, readBuffer, 0, readBuffer.length, null);
      if (n === 0) break;
      reducer.write(n === readBuffer.length ? readBuffer : readBuffer.subarray(0, n));
      bytesRead += n;
      onProgress?.(bytesRead);
    }
    reducer.end();
    commitFile(outputFd, tempPath, outputPath);
    output = null;
    return reducer.counter.toLineCounts();
  } finally {
    fs.closeSync(input);
    if (output !== null) {
      fs.closeSync(output);
      fs.rmSync(tempPath, { force: true });
    }
  }
}
