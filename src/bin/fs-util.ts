import * as fs from "node:fs";

/** Writes `buf[offset, offset + length)` at `position`, however many calls the kernel takes. */
export function writeAll(
  fd: number,
  buf: Uint8Array,
  offset: number,
  length: number,
  position: number,
): void {
  let written = 0;
  while (written < length) {
    written += fs.writeSync(fd, buf, offset + written, length - written, position + written);
  }
}

/** Reads `length` bytes at `position` into `buf`; fewer only at the end of the file. */
export function readAt(
  fd: number,
  buf: Uint8Array,
  offset: number,
  length: number,
  position: number,
): number {
  let read = 0;
  while (read < length) {
    const n = fs.readSync(fd, buf, offset + read, length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return read;
}
