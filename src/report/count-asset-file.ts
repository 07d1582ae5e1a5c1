import { createHash } from "node:crypto";
import * as fs from "node:fs";

/** The requests in one mapped asset file (`\ttimestamp\tbytes_sent\tregion`, one row per request). */
export interface AssetFileCounts {
  requests: number;
  byDay: Map<string, number>;
  byRegion: Map<string, number>;
  /** A digest of the content: the same object mapped into several versions gives the same file. */
  digest: string;
}

const NEWLINE = 10;
const TAB = 9;
const CARRIAGE_RETURN = 13;
const CHUNK_BYTES = 1 << 20;

/**
 * Counts the rows of a mapped asset file by day and region. Reads fixed-size chunks and scans bytes,
 * decoding only the date and the region, since a busy asset's file holds millions of rows.
 */
export function countAssetFile(file: string): AssetFileCounts {
  const counts: AssetFileCounts = { requests: 0, byDay: new Map(), byRegion: new Map(), digest: "" };
  const hash = createHash("sha1");
  const fd = fs.openSync(file, "r");
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let pending: Buffer = Buffer.alloc(0);
  let headerSeen = false;
  try {
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (read === 0) break;
      hash.update(chunk.subarray(0, read));
      const data =
        pending.length > 0 ? Buffer.concat([pending, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      let start = 0;
      for (let end = data.indexOf(NEWLINE, start); end !== -1; end = data.indexOf(NEWLINE, start)) {
        if (headerSeen) countRow(data, start, end, counts);
        else headerSeen = true;
        start = end + 1;
      }
      // The unfinished line is copied because the chunk buffer is reused by the next read.
      pending = Buffer.from(data.subarray(start));
    }
    if (pending.length > 0 && headerSeen) countRow(pending, 0, pending.length, counts);
  } finally {
    fs.closeSync(fd);
  }
  counts.digest = hash.digest("hex");
  return counts;
}

function countRow(data: Buffer, start: number, end: number, counts: AssetFileCounts): void {
  if (end > start && data[end - 1] === CARRIAGE_RETURN) end--;
  if (end === start) return;
  const afterIndex = data.indexOf(TAB, start);
  if (afterIndex === -1 || afterIndex >= end) return;
  const afterTimestamp = data.indexOf(TAB, afterIndex + 1);
  const afterBytes = afterTimestamp === -1 ? -1 : data.indexOf(TAB, afterTimestamp + 1);
  if (afterBytes === -1 || afterBytes >= end) return;
  counts.requests++;
  const day = data.toString("latin1", afterIndex + 1, Math.min(afterIndex + 11, afterTimestamp));
  counts.byDay.set(day, (counts.byDay.get(day) ?? 0) + 1);
  const region = data.toString("utf8", afterBytes + 1, end);
  counts.byRegion.set(region, (counts.byRegion.get(region) ?? 0) + 1);
}
