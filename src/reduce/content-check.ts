import { createHash } from "node:crypto";
import * as fs from "node:fs";

/** Bytes hashed at each end: enough to notice a rewritten file, cheap enough for every run. */
const EDGE_BYTES = 64 * 1024;

/**
 * A cheap check of the first `length` bytes of a file: a hash of their first and last 64 KiB. A
 * file that was only appended to keeps the check of its old length; one rewritten, truncated or
 * replaced almost never does.
 */
export function contentCheckOf(filePath: string, length: number): string {
  const hash = createHash("sha256");
  const fd = fs.openSync(filePath, "r");
  try {
    const head = Math.min(EDGE_BYTES, length);
    hash.update(readAt(fd, 0, head));
    if (length > head) {
      const tailStart = Math.max(head, length - EDGE_BYTES);
      hash.update(readAt(fd, tailStart, length - tailStart));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex").slice(0, 32);
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}
