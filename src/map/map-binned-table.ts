import { MAPPED_HEADER } from "../formats/mapped-folder.js";
import { AddressColumns } from "./address-columns.js";
import {
  type BinnedRow,
  checkBinnedHeader,
  daysOfDay,
  readBinnedRow,
  secondsOfTimeKey,
  TIMESTAMP_LENGTH,
} from "./binned-rows.js";
import { type MappedTally, ROW_KIND, VIEW_GAP_SECONDS } from "./row-kinds.js";
import { Tally } from "./tally.js";

export { MAPPED_HEADER };

const TAB = 0x09;
const CR = 0x0d;
const DIGIT_0 = 0x30;

const row: BinnedRow = { key: 0, size: 0, column: 0, status: 0, next: 0 };

export interface MappedTable extends MappedTally {
  /**
   * The mapped asset file's rows: index, timestamp, bytes sent and region, sorted by time. From
   * `mapBinnedRows`, a view of a buffer that its next call writes over: write it out, or copy it.
   */
  table: Buffer;
  /** Each row's kind (`ROW_KIND`), one byte a row in the table's order; a view, like `table`. */
  kinds: Buffer;
}

export type MalformedRowHandler = (line: number, reason: string, start: number, end: number) => void;

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
  let position = seedViews(buf, start, countFrom, columns, table);
  let { starts, keys, sizes, regionIndexes, statuses, requesterIds } = scratch;
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
    const problem = readBinnedRow(buf, lineStart, columns, row);
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
    if (rows === starts.length) ({ starts, keys, sizes, regionIndexes, statuses, requesterIds } = growRows());
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

/** Reads the rows of `buf[start, countFrom)`, mapped already, for the views they leave open; returns `countFrom`. */
function seedViews(
  buf: Buffer,
  start: number,
  countFrom: number,
  columns: AddressColumns,
  table: number,
): number {
  let position = start;
  while (position < countFrom) {
    const problem = readBinnedRow(buf, position, columns, row);
    position = row.next;
    if (problem === null && row.status === 206)
      openView(columns.requester(row.column), secondsOfTimeKey(row.key), table);
  }
  return position;
}

/** Doubles the per-row arrays, keeping what they hold. */
function growRows(): typeof scratch {
  const capacity = scratch.starts.length * 2;
  scratch.starts = grow(scratch.starts, new Uint32Array(capacity));
  scratch.keys = grow(scratch.keys, new Float64Array(capacity));
  scratch.sizes = grow(scratch.sizes, new Float64Array(capacity));
  scratch.regionIndexes = grow(scratch.regionIndexes, new Uint32Array(capacity));
  scratch.statuses = grow(scratch.statuses, new Uint16Array(capacity));
  scratch.requesterIds = grow(scratch.requesterIds, new Uint32Array(capacity));
  return scratch;
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
  const regionTotals = regions.map(emptyTotals);
  const regionText = regions.map((region) => Buffer.from(`\t${region}\n`));
  const byDay = new Tally();
  let out = scratch.out;
  if (out.length < rows * 48) out = scratch.out = Buffer.allocUnsafe(Math.max(rows * 48, out.length * 2));
  if (scratch.kinds.length < rows)
    scratch.kinds = Buffer.allocUnsafe(Math.max(rows, scratch.kinds.length * 2));
  const kinds = scratch.kinds;
  let at = 0;
  let day = -1;
  let daySeconds = 0;
  const dayTotals = emptyTotals();
  const all = emptyTotals();
  for (let n = 0; n < rows; n++) {
    const r = order === null ? n : order[n];
    const region = regionText[regionIndexes[r]];
    if (at + 64 + region.length > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, at + 64 + region.length));
      out.copy(bigger, 0, 0, at);
      out = scratch.out = bigger;
    }
    at = writeRow(out, at, firstIndex + n, buf, starts[r], sizes[r], region);
    // Rows come in time order, so each day is one run: one map update per day, not per row.
    const key = keys[r];
    const rowDay = Math.floor(key / 1e6);
    if (rowDay !== day) {
      if (dayTotals.requests > 0) addTotals(byDay, dayText(day), dayTotals);
      day = rowDay;
      daySeconds = daysOfDay(rowDay) * 86400;
    }
    let kind: number = ROW_KIND.request;
    if (statuses[r] === 200) kind = ROW_KIND.download;
    else if (statuses[r] === 206) {
      const clock = key - rowDay * 1e6;
      const seconds =
        daySeconds + Math.floor(clock / 1e4) * 3600 + (Math.floor(clock / 100) % 100) * 60 + (clock % 100);
      kind = openView(requesterIds[r], seconds, table) ? ROW_KIND.view : ROW_KIND.partial;
    }
    kinds[n] = kind;
    count(regionTotals[regionIndexes[r]], sizes[r], kind);
    count(dayTotals, sizes[r], kind);
    count(all, sizes[r], kind);
  }
  if (dayTotals.requests > 0) addTotals(byDay, dayText(day), dayTotals);
  const byRegion = new Tally();
  for (let index = 0; index < regions.length; index++)
    addTotals(byRegion, regions[index], regionTotals[index]);
  const { bytes, downloads, views } = all;
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

/**
 * Writes one mapped row as bytes: the index and size as digits, the timestamp copied from the
 * binned row, the region from its encoded form (strings per row cost as much as the rest).
 */
function writeRow(
  out: Buffer,
  at: number,
  index: number,
  buf: Buffer,
  from: number,
  size: number,
  region: Buffer,
): number {
  let o = writeDigits(out, at, index);
  out[o++] = TAB;
  for (let k = 0; k < TIMESTAMP_LENGTH; k++) out[o + k] = buf[from + k];
  o += TIMESTAMP_LENGTH;
  out[o++] = TAB;
  o = writeDigits(out, o, size);
  for (let k = 0; k < region.length; k++) out[o + k] = region[k];
  return o + region.length;
}

function emptyTotals(): Totals {
  return { bytes: 0, requests: 0, downloads: 0, views: 0 };
}

/** Adds one row of `size` bytes and kind `kind` to `totals`. */
function count(totals: Totals, size: number, kind: number): void {
  totals.bytes += size;
  totals.requests++;
  if (kind === ROW_KIND.download) totals.downloads++;
  else if (kind === ROW_KIND.view) totals.views++;
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
