import * as fs from "node:fs";
import { readAt } from "../bin/fs-util.js";
import { RunError } from "../errors.js";
import { openNoFollow, READ_NO_FOLLOW } from "../io/no-follow.js";
import { checkBinnedHeader, secondsOfTimeKey, TIMESTAMP_LENGTH, timeKeyAt } from "./binned-rows.js";
import type { PendingObject } from "./mapped-objects.js";
import { VIEW_GAP_SECONDS } from "./row-kinds.js";

const NEWLINE = 0x0a;

/** The binned bytes a run maps: `buf[start, countFrom)` only for the views they leave open, then the rows to map. */
export interface BinnedBytes {
  buf: Buffer;
  start: number;
  countFrom: number;
}

/**
 * Reads an object's binned file from `from` on (all of it for an object made since the last run),
 * and before `from` the rows of the 8 hours before the first row there: a 206 request among them
 * may begin the view that a request past `from` goes on with.
 */
export function readBinned(file: string, pending: PendingObject): BinnedBytes {
  let fd: number;
  try {
    fd = openNoFollow(file, READ_NO_FOLLOW);
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_SYMBOLIC_LINK") throw error;
    throw new RunError(
      `${file} cannot be read (${(error as Error).message}); bin's journal says it holds rows: restore it, or bin into a new folder`,
    );
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (pending.created) {
      const buf = readInto(fd, 0, size);
      const start = checkBinnedHeader(buf);
      return { buf, start, countFrom: start };
    }
    const windowStart = pending.from < size ? viewWindowStart(fd, pending.from) : pending.from;
    return { buf: readInto(fd, windowStart, size), start: 0, countFrom: pending.from - windowStart };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Where the rows of the 8 hours before the row at `from` start, or a little earlier: read backwards
 * in growing steps until a row older than that is found, so that an object asked for rarely costs
 * one small read, and a popular one a read of its last 8 hours.
 */
function viewWindowStart(fd: number, from: number): number {
  const probe = Buffer.allocUnsafe(64);
  const headerEnd = probe.subarray(0, readAt(fd, probe, 0, 64, 0)).indexOf(NEWLINE) + 1;
  readAt(fd, probe, 0, TIMESTAMP_LENGTH, from);
  const firstKey = timeKeyAt(probe, 0);
  if (headerEnd <= 0 || firstKey < 0 || from <= headerEnd) return Math.max(headerEnd, 0);
  const target = secondsOfTimeKey(firstKey) - VIEW_GAP_SECONDS;
  for (let step = 4096; ; step *= 4) {
    const low = Math.max(headerEnd, from - step);
    if (low === headerEnd) return headerEnd;
    const chunk = Buffer.allocUnsafe(from - low);
    readAt(fd, chunk, 0, chunk.length, low);
    const lineStart = chunk.indexOf(NEWLINE) + 1;
    if (lineStart === 0 || lineStart + TIMESTAMP_LENGTH > chunk.length) continue;
    const key = timeKeyAt(chunk, lineStart);
    if (key >= 0 && secondsOfTimeKey(key) < target) return low + lineStart;
  }
}

/** `size - from` bytes of `fd` from `from`, in a buffer shared by every call (see `binnedScratch`). */
function readInto(fd: number, from: number, size: number): Buffer {
  const length = Math.max(0, size - from);
  if (binnedScratch.length < length)
    binnedScratch = Buffer.allocUnsafe(Math.max(length, binnedScratch.length * 2));
  return binnedScratch.subarray(0, readAt(fd, binnedScratch, 0, length, from));
}

/**
 * The bytes `readInto` returns, one buffer for every object of a run: each is read, mapped and let
 * go before the next is read, and on these machines fresh memory costs more than reading into it
 * (about 4 ms a MB for the first touch). What `readInto` returns is valid until its next call.
 */
let binnedScratch = Buffer.allocUnsafe(1024 * 1024);
