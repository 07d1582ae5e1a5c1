import { Tally } from "./tally.js";

const NEWLINE = 0x0a;

/**
 * What a mapped row counts as, kept beside each mapped object (`.kinds`, one byte a row), so that
 * rows replaced later (a late day merged into place) or counted again (a Dandiset made anew) give
 * back exactly what they counted, without their addresses. ASCII, so that the file reads.
 */
export const ROW_KIND = {
  /** A request answered with another 2xx status, or with none recorded (an earlier version's rows). */
  request: 0x72, // r
  /** Answered 200: a download. */
  download: 0x64, // d
  /** Answered 206, more than 8 hours after this address's last 206 for this object (or its first): a view begins. */
  view: 0x76, // v
  /** Answered 206 within 8 hours of this address's last 206 for this object: the same view. */
  partial: 0x70, // p
} as const;

/** A view ends when its address sends no 206 request for the object for more than this. */
export const VIEW_GAP_SECONDS = 8 * 3600;

/** The mapped rows' totals, which `tallyMappedRows` counts without mapping anything. */
export interface MappedTally {
  rows: number;
  bytes: number;
  downloads: number;
  views: number;
  byDay: Tally;
  byRegion: Tally;
}

/**
 * The activity of mapped rows (`index\ttimestamp\tbytes_sent\tregion`) in `buf[start, end)`, with
 * the kinds kept for them (`kinds`, one byte a row from its start; null counts no download and no
 * view): what rows about to be replaced counted for, so that it can be taken off the summaries,
 * or what an object counts for in a Dandiset made again.
 */
export function tallyMappedRows(buf: Buffer, start: number, end: number, kinds: Buffer | null): MappedTally {
  const byDay = new Tally();
  const byRegion = new Tally();
  let rows = 0;
  let bytes = 0;
  let downloads = 0;
  let views = 0;
  let position = start;
  while (position < end) {
    let lineEnd = buf.indexOf(NEWLINE, position);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    const line = buf.toString("latin1", position, lineEnd);
    position = lineEnd + 1;
    if (line === "") continue;
    const [, timestamp, size, region] = line.split("\t");
    const sent = Number(size);
    const kind = kinds === null ? ROW_KIND.request : kinds[rows];
    const download = kind === ROW_KIND.download ? 1 : 0;
    const view = kind === ROW_KIND.view ? 1 : 0;
    byDay.add(timestamp.slice(0, 10), BigInt(sent), 1, download, view);
    byRegion.add(Buffer.from(region, "latin1").toString("utf8"), BigInt(sent), 1, download, view);
    bytes += sent;
    downloads += download;
    views += view;
    rows++;
  }
  return { rows, bytes, downloads, views, byDay, byRegion };
}
