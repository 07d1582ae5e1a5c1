import * as fs from "node:fs";
import { MAX_ERROR_TEXT_BYTES } from "../io/error-log.js";
import { checkpoint } from "./checkpoint.js";
import type { ReducedRowParser } from "./reduced-row-parser.js";

const NEWLINE = 0x0a;

/**
 * Feeds one reduced day file to `parser` through `buffer`, carrying a partial last line to the front
 * of the buffer for the next read. Returns the bytes read.
 */
export async function readReducedDay(
  filePath: string,
  parser: ReducedRowParser,
  buffer: Buffer,
  onBytes: (bytes: number) => void,
  signal: AbortSignal | undefined,
): Promise<number> {
  const fd = fs.openSync(filePath, "r");
  let bytesRead = 0;
  try {
    // One byte stays free for the newline `finish` adds to a last line that lacks one.
    const capacity = buffer.length - 1;
    let end = 0;
    let skippingLongLine = false;
    for (;;) {
      const n = fs.readSync(fd, buffer, end, capacity - end, null);
      if (n === 0) break;
      end += n;
      bytesRead += n;
      let begin = 0;
      if (skippingLongLine) {
        const newline = buffer.indexOf(NEWLINE);
        if (newline === -1 || newline >= end) {
          end = 0;
          continue;
        }
        begin = newline + 1;
        skippingLongLine = false;
      }
      const consumed = parser.parse(buffer, begin, end);
      if (consumed === 0 && end === capacity) {
        parser.skipLongLine(buffer, 0, Math.min(end, MAX_ERROR_TEXT_BYTES));
        skippingLongLine = true;
        end = 0;
        continue;
      }
      buffer.copyWithin(0, consumed, end);
      end -= consumed;
      onBytes(bytesRead);
      await checkpoint(signal);
    }
    if (!skippingLongLine) parser.finish(buffer, 0, end);
    onBytes(bytesRead);
  } finally {
    fs.closeSync(fd);
  }
  return bytesRead;
}
