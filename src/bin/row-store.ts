import { assetKeyEnd, ZARR_KEY_LENGTH } from "../dandi/object-key.js";
import { copyBytes, viewOf } from "../io/copy-bytes.js";
import { FastRows, type StagedRows } from "./fast-rows.js";

/** Timestamp, IP address `-`, the shortest asset key, one digit, three tabs and a newline. */
const MIN_REDUCED_ROW_BYTES = 19 + 1 + ZARR_KEY_LENGTH + 1 + 4;
/** Input the WebAssembly row parser takes at once: the bin step reads day files in chunks of this size. */
export const FAST_ROWS_CAPACITY = 1024 * 1024;

/**
 * The rows of one pass over a batch of days, held without a JavaScript object per row: each row is
 * kept already in its binned form (`timestamp\tbytes_sent\tip_address\n`) in one growing byte arena,
 * with its timestamp, object and day in parallel typed arrays. Row `i` spans
 * `arena[start[i], start[i + 1])`; rows are appended in input order (days in path order, lines in
 * file order), which is what breaks timestamp ties.
 */
export class RowStore {
  arena: Buffer;
  arenaView: DataView;
  arenaLength = 0;
  rows = 0;
  start: Uint32Array;
  timestamp: Float64Array;
  object: Uint32Array;
  day: Uint32Array;
  /** Object keys by id; the ids come from the key table in `fast`, which both parsers use. */
  readonly keys: string[] = [];
  readonly fast = new FastRows(FAST_ROWS_CAPACITY);

  constructor(expectedBytes: number) {
    const rows = Math.max(1024, Math.ceil(expectedBytes / 64));
    this.arena = Buffer.allocUnsafe(Math.max(64 * 1024, Math.ceil(expectedBytes * 0.6)));
    this.arenaView = viewOf(this.arena);
    this.start = new Uint32Array(rows + 1);
    this.timestamp = new Float64Array(rows);
    this.object = new Uint32Array(rows);
    this.day = new Uint32Array(rows);
  }

  get objectCount(): number {
    return this.keys.length;
  }

  /** The id of the object whose key field is `buf[keyStart, fieldEnd)`; -1 when it is not an asset key. */
  objectIdOf(buf: Buffer, keyStart: number, fieldEnd: number): number {
    const keyEnd = assetKeyEnd(buf, keyStart, fieldEnd);
    if (keyEnd === -1) return -1;
    const id = this.fast.idOf(buf, keyStart, keyEnd);
    this.takeNewKeys();
    return id;
  }

  /** Appends the rows the WebAssembly parser staged, all of day `day`; `reserveFor` made room. */
  takeStaged(staged: StagedRows, day: number): void {
    this.takeNewKeys();
    const rows = this.rows;
    this.arenaLength += staged.arena.copy(this.arena, this.arenaLength);
    this.start.set(staged.ends, rows + 1);
    this.timestamp.set(staged.timestamps, rows);
    this.object.set(staged.objects, rows);
    this.day.fill(day, rows, rows + staged.rows);
    this.rows = rows + staged.rows;
  }

  private takeNewKeys(): void {
    for (let id = this.keys.length; id < this.fast.keyCount; id++) this.keys.push(this.fast.key(id));
  }

  /**
   * Room for the rows of `inputBytes` more bytes of reduced rows, checked once per chunk rather than
   * once per row: a binned row is shorter than its reduced row, and a reduced row is at least
   * MIN_REDUCED_ROW_BYTES long.
   */
  reserveFor(inputBytes: number): void {
    if (this.arenaLength + inputBytes > this.arena.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.arenaLength + inputBytes));
      this.arena.copy(grown, 0, 0, this.arenaLength);
      this.arena = grown;
      this.arenaView = viewOf(grown);
    }
    const rows = this.rows + Math.ceil(inputBytes / MIN_REDUCED_ROW_BYTES) + 1;
    if (rows >= this.timestamp.length) {
      const size = Math.max(this.timestamp.length * 2, rows);
      this.start = grow(this.start, new Uint32Array(size + 1));
      this.timestamp = grow(this.timestamp, new Float64Array(size));
      this.object = grow(this.object, new Uint32Array(size));
      this.day = grow(this.day, new Uint32Array(size));
    }
  }

  /** Closes the row whose bytes were just written at the arena's end. */
  commitRow(timestamp: number, object: number, day: number, end: number): void {
    const row = this.rows++;
    this.timestamp[row] = timestamp;
    this.object[row] = object;
    this.day[row] = day;
    this.arenaLength = end;
    this.start[row + 1] = end;
  }

  /**
   * Rows grouped by object, each group sorted by timestamp with ties in input order, and copied in
   * that order into one buffer where each object's rows follow a copy of `header`: so an object
   * file's new content is one slice, written with one call. The arena the rows came from is released.
   *
   * Rows are pushed in input order to the next free place of their object (reads in order, writes to
   * one moving place per object), rather than pulled object by object from all over the arena: the
   * pull cost a cache and TLB miss a row; the push measured 45 ms down to 27 ms on a 180,000-row
   * day. Objects whose rows did not come in time order (1,119 of 3,000 on the bench's busy day,
   * whose first rows are stamped in the last minute of the day before) are then put in order within
   * their own slice.
   */
  arrangeByObject(header: Buffer): ArrangedRows {
    const objects = this.keys.length;
    const { object, start, timestamp } = this;
    // Each step is a function of its own: run once, a loop is compiled on its own (on-stack
    // replacement), and a small function compiles sooner, so less of the run is spent interpreted
    // (about 5 ms of the 33 the arrangement took as one function).
    const groupStart = new Uint32Array(objects + 1);
    const objectStart = new Uint32Array(objects + 1);
    const unordered = new Uint8Array(objects);
    countRows(object, start, timestamp, this.rows, groupStart, objectStart, unordered);
    for (let o = 0; o < objects; o++) {
      groupStart[o + 1] += groupStart[o];
      objectStart[o + 1] += objectStart[o] + header.length;
    }
    const bytes = Buffer.allocUnsafe(objectStart[objects]);
    const to = viewOf(bytes);
    const next = objectStart.slice(0, objects);
    const headerView = viewOf(header);
    for (let o = 0; o < objects; o++) next[o] = copyBytes(headerView, 0, header.length, to, next[o]);
    const order = new Uint32Array(this.rows);
    pushRows(object, start, this.rows, this.arenaView, to, groupStart, next, order);
    // pushRows kept in `object` where each row went, for reordering.
    const placed = object;
    let scratch = Buffer.alloc(0);
    for (let o = 0; o < objects; o++) {
      if (unordered[o] === 0) continue;
      sortGroup(order, groupStart[o], groupStart[o + 1], timestamp);
      const rowsStart = objectStart[o] + header.length;
      const length = objectStart[o + 1] - rowsStart;
      if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, 64 * 1024));
      bytes.copy(scratch, 0, rowsStart, rowsStart + length);
      reorderRows(viewOf(scratch), rowsStart, to, order, groupStart[o], groupStart[o + 1], placed, start);
    }
    this.arena = Buffer.alloc(0);
    this.arenaView = viewOf(this.arena);
    this.object = new Uint32Array(0);
    return { order, groupStart, bytes, view: to, objectStart, headerLength: header.length };
  }
}

/** Counts each object's rows and bytes, and marks the objects whose rows are not in time order. */
function countRows(
  object: Uint32Array,
  start: Uint32Array,
  timestamp: Float64Array,
  rows: number,
  counts: Uint32Array,
  bytes: Uint32Array,
  unordered: Uint8Array,
): void {
  const latest = new Float64Array(unordered.length);
  for (let i = 0; i < rows; i++) {
    const o = object[i];
    counts[o + 1]++;
    bytes[o + 1] += start[i + 1] - start[i];
    const t = timestamp[i];
    if (t < latest[o]) unordered[o] = 1;
    else latest[o] = t;
  }
}

/**
 * Copies each row, in input order, to the next free place `next[o]` of its object, and lists it in
 * `order` by object. Where each row went replaces its object id in `object`, which is read just
 * before: reordering needs it, and the pass then needs no more memory.
 */
function pushRows(
  object: Uint32Array,
  start: Uint32Array,
  rows: number,
  from: DataView,
  to: DataView,
  groupStart: Uint32Array,
  next: Uint32Array,
  order: Uint32Array,
): void {
  const nextInOrder = groupStart.slice(0, next.length);
  for (let i = 0; i < rows; i++) {
    const o = object[i];
    order[nextInOrder[o]++] = i;
    const at = next[o];
    object[i] = at;
    next[o] = copyBytes(from, start[i], start[i + 1], to, at);
  }
}

/** Copies the rows of one object back from `scratch` (its slice as pushed) in the order of `order`. */
function reorderRows(
  scratch: DataView,
  rowsStart: number,
  to: DataView,
  order: Uint32Array,
  from: number,
  end: number,
  placed: Uint32Array,
  start: Uint32Array,
): void {
  let at = rowsStart;
  for (let g = from; g < end; g++) {
    const row = order[g];
    const offset = placed[row] - rowsStart;
    at = copyBytes(scratch, offset, offset + start[row + 1] - start[row], to, at);
  }
}

/** The rows of a pass in object order, ready to write. */
export interface ArrangedRows {
  /** Row indices, object by object, each object's in binned order. */
  order: Uint32Array;
  /** Where each object's rows are in `order`. */
  groupStart: Uint32Array;
  /** Object by object: the header, then the object's rows as binned lines. */
  bytes: Buffer;
  view: DataView;
  /** Where each object's header starts in `bytes`; its rows start `headerLength` later. */
  objectStart: Uint32Array;
  headerLength: number;
}

/**
 * Sorts `order[from, to)` by timestamp, stably. Logs come nearly in time order, so an insertion sort
 * does it in about one pass; if the rows turn out far from ordered, the rest goes to the (stable)
 * built-in sort, which then costs n log n instead of n^2.
 */
function sortGroup(order: Uint32Array, from: number, to: number, timestamp: Float64Array): void {
  let budget = 8 * (to - from) + 64;
  for (let i = from + 1; i < to; i++) {
    const row = order[i];
    const t = timestamp[row];
    let j = i - 1;
    if (timestamp[order[j]] <= t) continue;
    while (j >= from && timestamp[order[j]] > t) {
      order[j + 1] = order[j];
      j--;
      budget--;
    }
    order[j + 1] = row;
    if (budget < 0) {
      const group = Array.from(order.subarray(from, to));
      group.sort((a, b) => timestamp[a] - timestamp[b]);
      order.set(group, from);
      return;
    }
  }
}

function grow<T extends Uint32Array | Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
