import { BINNED_HEADER, BINNED_STATUS_HEADER } from "../io/table-headers.js";
import { AddressColumns, HASH_START, hashStep } from "./address-columns.js";
import { Tally } from "./tally.js";

/** The header of a binned object file, as the bin step writes it. */
const BINNED_HEADER_LINE = BINNED_HEADER.trimEnd();
const BINNED_STATUS_HEADER_LINE = BINNED_STATUS_HEADER.trimEnd();

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
  /** Each row's kind (`ROW_KIND`), one byte a row in the table's order; a view, like `table`. */
  kinds: Buffer;
  rows: number;
  bytes: number;
  /** Rows answered 200. */
  downloads: number;
  /** Views begun in these rows. */
  views: number;
  byDay: Tally;
  byRegion: Tally;
}

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

export type MalformedRowHandler = (line: number, reason: string, start: number, end: number) => void;

/**
 * `YYYY-MM-DDTHH:MM:SS` as the number YYYYMMDDHHMMSS, which orders as the text does, or -1 when
 * the bytes are not a timestamp.
 */
export function timeKeyAt(buf: Buffer, start: number): number {
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

/** Seconds since 1970 of a time key (YYYYMMDDHHMMSS), for the gaps between a view's requests. */
export function secondsOfTimeKey(key: number): number {
  const day = Math.floor(key / 1e6);
  const clock = key - day * 1e6;
  const hours = Math.floor(clock / 1e4);
  const minutes = Math.floor(clock / 100) % 100;
  return daysOfDay(day) * 86400 + hours * 3600 + minutes * 60 + (clock % 100);
}

/** Days since 1970-01-01 of YYYYMMDD (the proleptic Gregorian count of days from civil dates). */
function daysOfDay(day: number): number {
  let year = Math.floor(day / 10000);
  const month = Math.floor(day / 100) % 100;
  const date = day % 100;
  if (month <= 2) year--;
  const era = Math.floor(year / 400);
  const yearOfEra = year - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + date - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/**
 * Turns one binned object file (`timestamp\tbytes_sent\tip_address[\tstatus]`) into its mapped
 * table and its activity by day and region. Pure: no file access.
 */
export function mapBinnedTable(
  buf: Buffer,
  regionOf: (address: string) => string,
  onMalformed: MalformedRowHandler = () => {},
): MappedTable {
  const rowsStart = checkBinnedHeader(buf);
  const mapped = mapBinnedRows(buf, rowsStart, 0, new AddressColumns(regionOf), onMalformed, 2);
  return {
    ...mapped,
    table: Buffer.concat([Buffer.from(MAPPED_HEADER), mapped.table]),
    kinds: Buffer.from(mapped.kinds),
  };
}

/** Where the rows of a binned object file start; throws when its first line is not a binned header. */
export function checkBinnedHeader(buf: Buffer): number {
  let lineEnd = buf.indexOf(NEWLINE);
  if (lineEnd === -1) lineEnd = buf.length;
  const header = buf.toString("utf8", 0, buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd);
  if (buf.length > 0 && header !== BINNED_HEADER_LINE && header !== BINNED_STATUS_HEADER_LINE) {
    throw new BinnedHeaderError(
      `the first line is ${JSON.stringify(header.slice(0, 80))}, not the header ${JSON.stringify(BINNED_STATUS_HEADER_LINE)}`,
    );
  }
  return Math.min(buf.length, lineEnd + 1);
}

/** A binned row's fields, as found by `readBinnedRow`. */
interface BinnedRow {
  key: number;
  size: number;
  column: number;
  /** The HTTP status, or 0 when the row has none (an earlier version's, or the original tool's). */
  status: number;
  /** Where the next line starts. */
  next: number;
}

const row: BinnedRow = { key: 0, size: 0, column: 0, status: 0, next: 0 };

/**
 * Reads the binned row at `lineStart` into `row` and returns null, or returns why it is not one
 * (then `row.next` is still where the next line starts). One walk over the bytes: a native
 * indexOf per line and per field cost more than the walk for lines of 50 bytes (measured: a third
 * of the time of a million rows).
 */
function readBinnedRow(buf: Buffer, lineStart: number, columns: AddressColumns): string | null {
  const length = buf.length;
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
    let end = lineStart;
    while (end < length && buf[end] !== NEWLINE) end++;
    row.next = end + 1;
    return problem;
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
  let status = 0;
  let end = addressEnd;
  if (buf[end] === TAB) {
    const s = end + 1;
    const d0 = buf[s] - DIGIT_0;
    const d1 = buf[s + 1] - DIGIT_0;
    const d2 = buf[s + 2] - DIGIT_0;
    end = s + 3;
    if (d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9 && end <= length)
      status = d0 * 100 + d1 * 10 + d2;
    if (status === 0 || (end < length && buf[end] !== NEWLINE && buf[end] !== CR)) {
      while (end < length && buf[end] !== NEWLINE) end++;
      row.next = end + 1;
      return "the status is not a three-digit HTTP status";
    }
  }
  while (end < length && buf[end] !== NEWLINE) end++;
  row.next = end + 1;
  // The one place an address is read: the region, the requester count and the views take it from here.
  row.column = columns.idOf(buf, addressStart, addressEnd, hash);
  row.key = key;
  row.size = size;
  row.status = status;
  return null;
}

/**
 * Maps the binned rows of `buf` from byte `countFrom` on into mapped rows (no header) numbered
 * from `firstIndex`, with their kinds and their activity by day and region. Rows are kept as
 * offsets and typed arrays rather than objects, because a popular object's file holds millions of
 * rows; addresses become regions here and nothing downstream ever sees one, except `addresses`,
 * which collects the distinct addresses of people (not clouds) for the requester counts (hashed
 * right after, never written). Rows are sorted by time, stably, so rows of the same second stay in
 * binned order. `firstLine` numbers the line at `countFrom` for error messages.
 *
 * The rows in `[start, countFrom)` are the object's rows just before the ones counted (those of the
 * last 8 hours before them, at least): they are not mapped again, only read for the views still
 * open when they end, so that a view that goes on in the counted rows is not counted twice.
 */
export function mapBinnedRows(
  buf: Buffer,
  start: number,
  firstIndex: number,
  columns: AddressColumns,
  onMalformed: MalformedRowHandler = () => {},
  firstLine = 0,
  addresses: Set<string> | null = null,
  countFrom = start,
): MappedTable {
  const table = ++scratch.tablesMapped;
  let position = start;
  while (position < countFrom) {
    // Rows already mapped: only the views they leave open matter.
    const problem = readBinnedRow(buf, position, columns);
    position = row.next;
    if (problem === null && row.status === 206)
      openView(columns.requester(row.column), secondsOfTimeKey(row.key), table);
  }
  let { starts, keys, sizes, regionIndexes, statuses, requesterIds } = scratch;
  let capacity = starts.length;
  const regions: string[] = [];
  const regionIndexOf = new Map<string, number>();
  // This table's region index of each column id, valid where the column's stamp is this table's:
  // by id, so that a row costs no string and no lookup by string, and no array is cleared per table.
  let { columnStamps, columnRegions } = scratch;
  let rows = 0;
  let lineNumber = firstLine - 1;
  const length = buf.length;
  while (position < length) {
    lineNumber++;
    const lineStart = position;
    const problem = readBinnedRow(buf, lineStart, columns);
    position = row.next;
    if (problem !== null) {
      // Blank lines are skipped quietly; anything else is reported with its line.
      let end = Math.min(position - 1, length);
      if (end > lineStart && buf[end - 1] === CR) end--;
      if (end > lineStart) onMalformed(lineNumber, problem, lineStart, end);
      continue;
    }
    const column = row.column;
    if (column >= columnStamps.length) {
      const more = Math.max(column + 1, columnStamps.length * 2);
      columnStamps = scratch.columnStamps = grow(columnStamps, new Float64Array(more));
      columnRegions = scratch.columnRegions = grow(columnRegions, new Uint32Array(more));
    }
    let regionIndex: number;
    if (columnStamps[column] === table) regionIndex = columnRegions[column];
    else {
      // First row of this column in this table.
      if (!columns.isCloud(column)) addresses?.add(columns.text(column));
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
      statuses = scratch.statuses = grow(statuses, new Uint16Array(capacity));
      requesterIds = scratch.requesterIds = grow(requesterIds, new Uint32Array(capacity));
    }
    starts[rows] = lineStart;
    keys[rows] = row.key;
    sizes[rows] = row.size;
    regionIndexes[rows] = regionIndex;
    statuses[rows] = row.status;
    requesterIds[rows] = columns.requester(column);
    rows++;
  }
  return writeMappedRows(buf, rows, regions, firstIndex, table);
}

/** Records a 206 request: the address's view of this table goes on until `seconds` + 8 hours. */
function openView(requester: number, seconds: number, table: number): boolean {
  let { viewStamps, viewLast } = scratch;
  if (requester >= viewStamps.length) {
    const more = Math.max(requester + 1, viewStamps.length * 2);
    viewStamps = scratch.viewStamps = grow(viewStamps, new Float64Array(more));
    viewLast = scratch.viewLast = grow(viewLast, new Float64Array(more));
  }
  const begins = viewStamps[requester] !== table || seconds - viewLast[requester] > VIEW_GAP_SECONDS;
  viewStamps[requester] = table;
  viewLast[requester] = seconds;
  return begins;
}

/** Writes the rows gathered by `mapBinnedRows`, in time order, and counts what they are. */
function writeMappedRows(
  buf: Buffer,
  rows: number,
  regions: string[],
  firstIndex: number,
  table: number,
): MappedTable {
  const { starts, keys, sizes, regionIndexes, statuses, requesterIds } = scratch;
  const order = timeOrder(keys, rows);
  const regionTotals = regions.map(() => ({ bytes: 0, requests: 0, downloads: 0, views: 0 }));
  const regionText = regions.map((region) => Buffer.from(`\t${region}\n`));
  const byDay = new Tally();
  // Rows are written as bytes into one buffer: the index and size as digits, the timestamp copied
  // from the binned row, the region from its encoded form (strings per row cost as much as the rest).
  let out = scratch.out;
  if (out.length < rows * 48) out = scratch.out = Buffer.allocUnsafe(Math.max(rows * 48, out.length * 2));
  if (scratch.kinds.length < rows)
    scratch.kinds = Buffer.allocUnsafe(Math.max(rows, scratch.kinds.length * 2));
  const kinds = scratch.kinds;
  let at = 0;
  let day = -1;
  let daySeconds = 0;
  const dayTotals = { bytes: 0, requests: 0, downloads: 0, views: 0 };
  let downloads = 0;
  let views = 0;
  let bytes = 0;
  for (let n = 0; n < rows; n++) {
    const r = order === null ? n : order[n];
    const size = sizes[r];
    const regionIndex = regionIndexes[r];
    const region = regionText[regionIndex];
    if (at + 64 + region.length > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, at + 64 + region.length));
      out.copy(bigger, 0, 0, at);
      out = scratch.out = bigger;
    }
    at = writeDigits(out, at, firstIndex + n);
    out[at++] = TAB;
    const from = starts[r];
    for (let k = 0; k < TIMESTAMP_LENGTH; k++) out[at + k] = buf[from + k];
    at += TIMESTAMP_LENGTH;
    out[at++] = TAB;
    at = writeDigits(out, at, size);
    for (let k = 0; k < region.length; k++) out[at + k] = region[k];
    at += region.length;
    // Rows come in time order, so each day is one run: one map update per day, not per row.
    const key = keys[r];
    const rowDay = Math.floor(key / 1e6);
    if (rowDay !== day) {
      if (dayTotals.requests > 0) addTotals(byDay, dayText(day), dayTotals);
      day = rowDay;
      daySeconds = daysOfDay(rowDay) * 86400;
    }
    const status = statuses[r];
    let kind: number = ROW_KIND.request;
    if (status === 200) kind = ROW_KIND.download;
    else if (status === 206) {
      const clock = key - rowDay * 1e6;
      const seconds =
        daySeconds + Math.floor(clock / 1e4) * 3600 + (Math.floor(clock / 100) % 100) * 60 + (clock % 100);
      kind = openView(requesterIds[r], seconds, table) ? ROW_KIND.view : ROW_KIND.partial;
    }
    kinds[n] = kind;
    const download = kind === ROW_KIND.download ? 1 : 0;
    const view = kind === ROW_KIND.view ? 1 : 0;
    const totals = regionTotals[regionIndex];
    totals.bytes += size;
    totals.requests++;
    totals.downloads += download;
    totals.views += view;
    dayTotals.bytes += size;
    dayTotals.requests++;
    dayTotals.downloads += download;
    dayTotals.views += view;
    downloads += download;
    views += view;
    bytes += size;
  }
  if (dayTotals.requests > 0) addTotals(byDay, dayText(day), dayTotals);
  const byRegion = new Tally();
  for (let index = 0; index < regions.length; index++)
    addTotals(byRegion, regions[index], regionTotals[index]);
  return {
    table: out.subarray(0, at),
    kinds: kinds.subarray(0, rows),
    rows,
    bytes,
    downloads,
    views,
    byDay,
    byRegion,
  };
}

interface Totals {
  bytes: number;
  requests: number;
  downloads: number;
  views: number;
}

/** Adds `totals` to `tally` under `key` and zeroes them. */
function addTotals(tally: Tally, key: string, totals: Totals): void {
  tally.add(key, BigInt(totals.bytes), totals.requests, totals.downloads, totals.views);
  totals.bytes = 0;
  totals.requests = 0;
  totals.downloads = 0;
  totals.views = 0;
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
 * The activity of mapped rows (`index\ttimestamp\tbytes_sent\tregion`) in `buf[start, end)`, with
 * the kinds kept for them (`kinds`, one byte a row from its start; null counts no download and no
 * view): what rows about to be replaced counted for, so that it can be taken off the summaries,
 * or what an object counts for in a Dandiset made again.
 */
export function tallyMappedRows(buf: Buffer, start: number, end: number, kinds: Buffer | null): MappedTable {
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
  return { table: Buffer.alloc(0), kinds: Buffer.alloc(0), rows, bytes, downloads, views, byDay, byRegion };
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
  statuses: new Uint16Array(1024),
  requesterIds: new Uint32Array(1024),
  /** Counts tables, so that a column's entry below is read only by the table that wrote it. */
  tablesMapped: 0,
  columnStamps: new Float64Array(1024),
  columnRegions: new Uint32Array(1024),
  /** Per requester id: the table whose view state this is, and the time of its last 206 request. */
  viewStamps: new Float64Array(1024),
  viewLast: new Float64Array(1024),
  /** The mapped rows and their kinds, which the caller writes out before the next table. */
  out: Buffer.allocUnsafe(64 * 1024),
  kinds: Buffer.allocUnsafe(1024),
};

function grow<T extends Uint16Array | Uint32Array | Float64Array>(old: T, bigger: T): T {
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
