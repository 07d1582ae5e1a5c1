import { ZARR_KEY_LENGTH } from "../dandi/object-key.js";
import { copyBytes, viewOf } from "./copy-bytes.js";

/** Where a blob key's uuid starts (`blobs/aaa/bbb/`), and a Zarr key's (`zarr/`). */
const BLOB_UUID_OFFSET = 14;
const ZARR_UUID_OFFSET = 5;
const UUID_WORDS = 9;
/** Timestamp, IP address `-`, the shortest asset key, one digit, three tabs and a newline. */
const MIN_REDUCED_ROW_BYTES = 19 + 1 + ZARR_KEY_LENGTH + 1 + 4;

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
  /** Object keys by id. */
  readonly keys: string[] = [];
  /**
   * Ids by key, in an open-addressing table hashed on the key's bytes, so that a row costs no
   * string: a checked key is fully given by its length (blob or Zarr) and its uuid (a blob's
   * `aaa/bbb` repeat the uuid), kept as nine 32-bit words per object.
   */
  private table = new Int32Array(1 << 12);
  private keyWords = new Int32Array(1024 * UUID_WORDS);
  private keyLengths = new Uint8Array(1024);

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

  /** The id of the checked asset key `buf[keyStart, keyEnd)`, `view` being a DataView of `buf`. */
  objectIdAt(buf: Buffer, view: DataView, keyStart: number, keyEnd: number): number {
    const length = keyEnd - keyStart;
    const uuid = keyStart + (length === ZARR_KEY_LENGTH ? ZARR_UUID_OFFSET : BLOB_UUID_OFFSET);
    let hash = length;
    for (let w = 0; w < UUID_WORDS; w++)
      hash = Math.imul(hash ^ view.getInt32(uuid + 4 * w, true), 0x9e3779b1);
    hash ^= hash >>> 16;
    const table = this.table;
    const mask = table.length - 1;
    const words = this.keyWords;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = table[slot] - 1;
      if (id === -1) return this.addObject(buf, view, keyStart, keyEnd, uuid, slot);
      if (this.keyLengths[id] !== length) continue;
      let w = 0;
      const base = id * UUID_WORDS;
      while (w < UUID_WORDS && words[base + w] === view.getInt32(uuid + 4 * w, true)) w++;
      if (w === UUID_WORDS) return id;
    }
  }

  private addObject(
    buf: Buffer,
    view: DataView,
    keyStart: number,
    keyEnd: number,
    uuid: number,
    slot: number,
  ): number {
    const id = this.keys.length;
    this.keys.push(buf.toString("latin1", keyStart, keyEnd));
    if (id >= this.keyLengths.length) {
      const words = new Int32Array(this.keyWords.length * 2);
      words.set(this.keyWords);
      this.keyWords = words;
      const lengths = new Uint8Array(this.keyLengths.length * 2);
      lengths.set(this.keyLengths);
      this.keyLengths = lengths;
    }
    for (let w = 0; w < UUID_WORDS; w++)
      this.keyWords[id * UUID_WORDS + w] = view.getInt32(uuid + 4 * w, true);
    this.keyLengths[id] = keyEnd - keyStart;
    this.table[slot] = id + 1;
    // Kept at most a quarter full, so probes stay short.
    if ((id + 1) * 4 > this.table.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let id = 0; id < this.keys.length; id++) {
      let hash = this.keyLengths[id];
      for (let w = 0; w < UUID_WORDS; w++)
        hash = Math.imul(hash ^ this.keyWords[id * UUID_WORDS + w], 0x9e3779b1);
      hash ^= hash >>> 16;
      let slot = hash & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.table = table;
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
   * Rows grouped by object, each group sorted by timestamp with ties in input order (a stable
   * counting sort by object, then a stable sort of each group), and copied in that order into one
   * buffer where each object's rows follow a copy of `header`: so an object file's new content is
   * one slice, written with one call. The arena the rows came from is released.
   */
  arrangeByObject(header: Buffer): ArrangedRows {
    const objects = this.keys.length;
    const rows = this.rows;
    const groupStart = new Uint32Array(objects + 1);
    for (let i = 0; i < rows; i++) groupStart[this.object[i] + 1]++;
    for (let o = 0; o < objects; o++) groupStart[o + 1] += groupStart[o];
    const next = groupStart.slice(0, objects);
    const order = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) order[next[this.object[i]]++] = i;
    for (let o = 0; o < objects; o++) sortGroup(order, groupStart[o], groupStart[o + 1], this.timestamp);

    // One pass of scattered reads (a cache miss a row, about 4 times the cost of reading in order);
    // partitioning into cache-sized buckets first measured slower still in a run this short.
    const start = this.start;
    const from = this.arenaView;
    const bytes = Buffer.allocUnsafe(this.arenaLength + objects * header.length);
    const to = viewOf(bytes);
    const headerView = viewOf(header);
    const objectStart = new Float64Array(objects + 1);
    let at = 0;
    for (let o = 0; o < objects; o++) {
      objectStart[o] = at;
      at = copyBytes(headerView, 0, header.length, to, at);
      for (let k = groupStart[o]; k < groupStart[o + 1]; k++) {
        const row = order[k];
        at = copyBytes(from, start[row], start[row + 1], to, at);
      }
    }
    objectStart[objects] = at;
    this.arena = Buffer.alloc(0);
    this.arenaView = viewOf(this.arena);
    return { order, groupStart, bytes, view: to, objectStart, headerLength: header.length };
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
  objectStart: Float64Array;
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

function grow<T extends Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
