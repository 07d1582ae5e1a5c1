import { BINNED_HEADER } from "../io/table-headers.js";
import { AddressColumns, HASH_START, hashStep } from "./address-columns.js";
import { Tally } from "./tally.js";

/** The header of a binned object file, as the bin step writes it. */
const BINNED_HEADER_LINE = BINNED_HEADER.trimEnd();

import { MAPPED_HEADER } from "../formats/mapped-folder.js";

export { MAPPED_HEADER };

const TAB = 0x09;
const NEWLINE = 0x0a;
const CR = 0x0d;
const DIGIT_0 = 0x30;
const TIMESTAMP_LENGTH = 19;
/** Byte counts up to 15 digits stay exact in a double. */
const MAX_BYTES_DIGITS = 15;

export class BinnedHeaderError extends Error {
  override name = "BinnedHeaderError";
}

export interface MappedTable {
  /**
   * The mapped asset file's rows: index, timestamp, bytes sent and region, sorted by time. From
   * `mapBinnedRows`, a view of a buffer that its next call writes over: write it out, or copy it.
   */
  table: Buffer;
  rows: number;
  bytes: number;
  /** Rows that sent the whole object. */
  downloads: number;
  byDay: Tally;
  byRegion: Tally;
}

export type MalformedRowHandler = (line: number, reason: string, start: number, end: number) => void;

/**
 * `YYYY-MM-DDTHH:MM:SS` as the number YYYYMMDDHHMMSS, which orders as the text does, or -1 when
 * the bytes are not a timestamp.
 */
function timeKeyAt(buf: Buffer, start: number): number {
  let key = 0;
  for (let i = 0; i < TIMESTAMP_LENGTH; i++) {
    const c = buf[start + i];
    if (i === 4 || i === 7) {
      if (c !== 0x2d) return -1;
    } else if (i === 10) {
      if (c !== 0x54) return -1;
    } else if (i === 13 || i === 16) {
      if (c !== 0x3a) return -1;
    } else {
      const digit = c - DIGIT_0;
      if (digit < 0 || digit > 9) return -1;
      key = key * 10 + digit;
    }
  }
  return key;
}

/**
 * Turns one binned object file (`timestamp\tbytes_sent\tip_address`) into its mapped table and
 * its activity by day and region. Pure: no file access.
 */
export function mapBinnedTable(
  buf: Buffer,
  regionOf: (address: string) => string,
  onMalformed: MalformedRowHandler = () => {},
): MappedTable {
  const rowsStart = checkBinnedHeader(buf);
  const mapped = mapBinnedRows(buf, rowsStart, 0, new AddressColumns(regionOf), onMalformed, 2);
  return { ...mapped, table: Buffer.concat([Buffer.from(MAPPED_HEADER), mapped.table]) };
}

/** Where the rows of a binned object file start; throws when its first line is not the header. */
export function checkBinnedHeader(buf: Buffer): number {
  let lineEnd = buf.indexOf(NEWLINE);
  if (lineEnd === -1) lineEnd = buf.length;
  const header = buf.toString("utf8", 0, buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd);
  if (buf.length > 0 && header !== BINNED_HEADER_LINE) {
    throw new BinnedHeaderError(
      `the first line is ${JSON.stringify(header.slice(0, 80))}, not the header ${JSON.stringify(BINNED_HEADER_LINE)}`,
    );
  }
  return Math.min(buf.length, lineEnd + 1);
}

/**
 * Maps the binned rows of `buf` from byte `start` on into mapped rows (no header) numbered from
 * `firstIndex`, with their activity by day and region. Rows are kept as offsets and typed arrays
 * rather than objects, because a popular object's file holds millions of rows; addresses become
 * regions here and nothing downstream ever sees one, except `addresses`, which collects the
 * distinct addresses for the requester counts (hashed right after, never written). Rows are sorted
 * by time, stably, so rows of the same second stay in binned order. `firstLine` numbers the first
 * line for error messages. A row whose bytes equal `wholeSize` (the object's size, -1 when unknown)
 * is a download.
 */
export function mapBinnedRows(
  buf: Buffer,
  start: number,
  firstIndex: number,
  columns: AddressColumns,
  onMalformed: MalformedRowHandler = () => {},
  firstLine = 0,
  wholeSize = -1,
  addresses: Set<string> | null = null,
): MappedTable {
  let { starts, keys, sizes, regionIndexes } = scratch;
  let capacity = starts.length;
  const regions: string[] = [];
  const regionIndexOf = new Map<string, number>();
  // This table's region index of each column id, valid where the column's stamp is this table's:
  // by id, so that a row costs no string and no lookup by string, and no array is cleared per table.
  const table = ++scratch.tablesMapped;
  let { columnStamps, columnRegions } = scratch;
  let rows = 0;
  let lineNumber = firstLine - 1;
  let position = start;
  const length = buf.length;

  // Fields are found by walking the bytes once: a native indexOf per line and per field cost more
  // than the walk for lines of 50 bytes (measured: a third of the time of a million rows).
  while (position < length) {
    lineNumber++;
    const lineStart = position;
    const key = timeKeyAt(buf, lineStart);
    const tab1 = lineStart + TIMESTAMP_LENGTH;
    let i = tab1 + 1;
    let size = 0;
    let problem: string | null = null;
    if (key < 0 || tab1 >= length || buf[tab1] !== TAB) {
      problem =
        key < 0 && tab1 < length && buf[tab1] === TAB
          ? "the timestamp is not YYYY-MM-DDTHH:MM:SS"
          : "the timestamp is not YYYY-MM-DDTHH:MM:SS followed by a tab";
    } else {
      for (; i < length; i++) {
        const digit = buf[i] - DIGIT_0;
        if (digit < 0 || digit > 9) break;
        size = size * 10 + digit;
      }
      if (i === tab1 + 1 || i - tab1 - 1 > MAX_BYTES_DIGITS || i >= length || buf[i] !== TAB)
        problem = "bytes_sent is not a whole number followed by a tab";
    }
    if (problem !== null) {
      // Blank lines are skipped quietly; anything else is reported with its line.
      let end = lineStart;
      while (end < length && buf[end] !== NEWLINE) end++;
      position = end + 1;
      if (end > lineStart && buf[end - 1] === CR) end--;
      if (end > lineStart) onMalformed(lineNumber, problem, lineStart, end);
      continue;
    }
    const addressStart = i + 1;
    let addressEnd = addressStart;
    let hash = HASH_START;
    while (addressEnd < length) {
      const c = buf[addressEnd];
      if (c === TAB || c === NEWLINE || c === CR) break;
      hash = hashStep(hash, c);
      addressEnd++;
    }
    let end = addressEnd;
    while (end < length && buf[end] !== NEWLINE) end++;
    position = end + 1;
    // The one place an address is read: the region and the requester count both take it from here.
    const column = columns.idOf(buf, addressStart, addressEnd, hash);
    if (column >= columnStamps.length) {
      const more = Math.max(column + 1, columnStamps.length * 2);
      columnStamps = scratch.columnStamps = grow(columnStamps, new Float64Array(more));
      columnRegions = scratch.columnRegions = grow(columnRegions, new Uint32Array(more));
    }
    let regionIndex: number;
    if (columnStamps[column] === table) regionIndex = columnRegions[column];
    else {
      // First row of this column in this table.
      addresses?.add(columns.text(column));
      const region = columns.region(column);
      const known = regionIndexOf.get(region);
      if (known === undefined) {
        regionIndex = regions.length;
        regions.push(region);
        regionIndexOf.set(region, regionIndex);
      } else regionIndex = known;
      columnStamps[column] = table;
      columnRegions[column] = regionIndex;
    }
    if (rows === capacity) {
      capacity *= 2;
      starts = scratch.starts = grow(starts, new Uint32Array(capacity));
      keys = scratch.keys = grow(keys, new Float64Array(capacity));
      sizes = scratch.sizes = grow(sizes, new Float64Array(capacity));
      regionIndexes = scratch.regionIndexes = grow(regionIndexes, new Uint32Array(capacity));
    }
    starts[rows] = lineStart;
    keys[rows] = key;
    sizes[rows] = size;
    regionIndexes[rows] = regionIndex;
    rows++;
  }

  const order = timeOrder(keys, rows);
  const regionBytes = new Float64Array(regions.length);
  const regionRequests = new Float64Array(regions.length);
  const regionDownloads = new Float64Array(regions.length);
  const regionText = regions.map((region) => Buffer.from(`\t${region}\n`));
  const byDay = new Tally();
  // Rows are written as bytes into one buffer: the index and size as digits, the timestamp copied
  // from the binned row, the region from its encoded form (strings per row cost as much as the rest).
  let out = scratch.out;
  if (out.length < rows * 48) out = scratch.out = Buffer.allocUnsafe(Math.max(rows * 48, out.length * 2));
  let at = 0;
  let day = -1;
  let dayBytes = 0;
  let dayRequests = 0;
  let dayDownloads = 0;
  let downloads = 0;
  let bytes = 0;
  for (let n = 0; n < rows; n++) {
    const row = order === null ? n : order[n];
    const size = sizes[row];
    const regionIndex = regionIndexes[row];
    const region = regionText[regionIndex];
    if (at + 64 + region.length > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, at + 64 + region.length));
      out.copy(bigger, 0, 0, at);
      out = scratch.out = bigger;
    }
    at = writeDigits(out, at, firstIndex + n);
    out[at++] = TAB;
    const from = starts[row];
    for (let k = 0; k < TIMESTAMP_LENGTH; k++) out[at + k] = buf[from + k];
    at += TIMESTAMP_LENGTH;
    out[at++] = TAB;
    at = writeDigits(out, at, size);
    for (let k = 0; k < region.length; k++) out[at + k] = region[k];
    at += region.length;
    regionBytes[regionIndex] += size;
    regionRequests[regionIndex]++;
    const whole = size === wholeSize ? 1 : 0;
    regionDownloads[regionIndex] += whole;
    downloads += whole;
    bytes += size;
    // Rows come in time order, so each day is one run: one map update per day, not per row.
    const rowDay = Math.floor(keys[row] / 1e6);
    if (rowDay !== day) {
      if (dayRequests > 0) byDay.add(dayText(day), BigInt(dayBytes), dayRequests, dayDownloads);
      day = rowDay;
      dayBytes = 0;
      dayRequests = 0;
      dayDownloads = 0;
    }
    dayBytes += size;
    dayRequests++;
    dayDownloads += whole;
  }
  if (dayRequests > 0) byDay.add(dayText(day), BigInt(dayBytes), dayRequests, dayDownloads);
  const byRegion = new Tally();
  regions.forEach((region, index) => {
    byRegion.add(region, BigInt(regionBytes[index]), regionRequests[index], regionDownloads[index]);
  });
  return { table: out.subarray(0, at), rows, bytes, downloads, byDay, byRegion };
}

/** YYYYMMDD as `YYYY-MM-DD`. */
function dayText(day: number): string {
  const text = String(day);
  return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
}

/** Writes a whole number of up to 15 digits as ASCII at `at`; returns the end. */
function writeDigits(out: Buffer, at: number, value: number): number {
  if (value < 10) {
    out[at] = DIGIT_0 + value;
    return at + 1;
  }
  let digits = 0;
  for (let v = value; v >= 1; v = Math.floor(v / 10)) digits++;
  let v = value;
  for (let k = digits - 1; k >= 0; k--) {
    const next = Math.floor(v / 10);
    out[at + k] = DIGIT_0 + (v - next * 10);
    v = next;
  }
  return at + digits;
}

/**
 * The activity of mapped rows (`index\ttimestamp\tbytes_sent\tregion`) in `buf[start, end)`: what
 * rows about to be replaced counted for, so that it can be taken off the summaries. A row whose
 * bytes equal `wholeSize` is a download.
 */
export function tallyMappedRows(buf: Buffer, start: number, end: number, wholeSize = -1): MappedTable {
  const byDay = new Tally();
  const byRegion = new Tally();
  let rows = 0;
  let bytes = 0;
  let downloads = 0;
  let position = start;
  while (position < end) {
    let lineEnd = buf.indexOf(NEWLINE, position);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    const line = buf.toString("latin1", position, lineEnd);
    position = lineEnd + 1;
    if (line === "") continue;
    const [, timestamp, size, region] = line.split("\t");
    const sent = Number(size);
    const whole = sent === wholeSize ? 1 : 0;
    byDay.add(timestamp.slice(0, 10), BigInt(sent), 1, whole);
    byRegion.add(Buffer.from(region, "latin1").toString("utf8"), BigInt(sent), 1, whole);
    bytes += sent;
    downloads += whole;
    rows++;
  }
  return { table: Buffer.alloc(0), rows, bytes, downloads, byDay, byRegion };
}

/**
 * The per-row and per-column arrays and the output buffer of `mapBinnedRows`, kept from one table to
 * the next (it runs to its end without yielding): most tables are small, and fresh memory for each
 * costs more than their rows (its first touch, about 4 ms a MB on these machines). They grow to the
 * largest table mapped and stay that size for the run.
 */
const scratch = {
  starts: new Uint32Array(1024),
  keys: new Float64Array(1024),
  sizes: new Float64Array(1024),
  regionIndexes: new Uint32Array(1024),
  /** Counts tables, so that a column's entry below is read only by the table that wrote it. */
  tablesMapped: 0,
  columnStamps: new Float64Array(1024),
  columnRegions: new Uint32Array(1024),
  /** The mapped rows, which the caller writes out before the next table. */
  out: Buffer.allocUnsafe(64 * 1024),
};

function grow<T extends Uint32Array | Float64Array>(old: T, bigger: T): T {
  bigger.set(old);
  return bigger;
}

/** Row indexes in time order, or null when the rows already are (the common case: binned days in order). */
function timeOrder(keys: Float64Array, rows: number): Uint32Array | null {
  let sorted = true;
  for (let i = 1; i < rows && sorted; i++) sorted = keys[i - 1] <= keys[i];
  if (sorted) return null;
  const order = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  // Ties fall back to the row index, which makes the sort stable whatever the engine's algorithm.
  return order.sort((a, b) => keys[a] - keys[b] || a - b);
}
