import { assetKeyEnd, ZARR_KEY_LENGTH } from "../dandi/object-key.js";
import { viewOf } from "../io/copy-bytes.js";
import { type FastParse, FastRows, type RowRegions } from "./fast-rows.js";

/** Timestamp, IP address `-`, the shortest asset key, one digit, three tabs and a newline. */
const MIN_REDUCED_ROW_BYTES = 19 + 1 + ZARR_KEY_LENGTH + 1 + 4;
/** Input the WebAssembly row parser takes at once: the bin step reads day files in chunks of this size. */
export const FAST_ROWS_CAPACITY = 1024 * 1024;

/**
 * The rows of one pass over a batch of days, held without a JavaScript object per row: each row is
 * kept already in its binned form (`timestamp\tbytes_sent\tip_address\tstatus\n`, or without the
 * status for days of the original format) in one growing byte arena,
 * with its timestamp, object and day in parallel typed arrays. Row `i` spans
 * `arena[start[i], start[i + 1])`; rows are appended in input order (days in path order, lines in
 * file order), which is what breaks timestamp ties.
 *
 * All of it lives in the memory of the pass's WebAssembly instance (`fast`), which parses most rows
 * and arranges them (see wasm/reduced-rows.ts); the typed arrays here are views of that memory, renewed
 * whenever it grows. The JavaScript parser adds the rows the WebAssembly one leaves through
 * `arenaView` and `commitRow`.
 */
export class RowStore {
  readonly fast = new FastRows(FAST_ROWS_CAPACITY);
  /** Object keys by id; the ids come from the key table in `fast`, which both parsers use. */
  readonly keys: string[] = [];
  arena!: Buffer;
  arenaView!: DataView;
  arenaLength = 0;
  rows = 0;
  start!: Uint32Array;
  timestamp!: Float64Array;
  object!: Uint32Array;
  day!: Uint32Array;
  private arenaAt: number;
  private arenaCapacity: number;
  private rowsAt: { start: number; timestamp: number; object: number; day: number };
  private rowCapacity: number;

  /**
   * Sized for `expectedBytes` of reduced input all kept: memory not written to takes no room, so only
   * a pass whose partition turns out larger than its share of the input has to move a region (and
   * then keeps the old copy too, as memory is never freed during a pass).
   */
  constructor(expectedBytes: number) {
    this.rowCapacity = Math.max(1024, Math.ceil(expectedBytes / 64));
    this.arenaCapacity = Math.max(64 * 1024, expectedBytes);
    this.arenaAt = this.fast.allocate(this.arenaCapacity);
    this.rowsAt = this.allocateRows(this.rowCapacity);
    this.renewViews();
  }

  /** The id of the object whose key field is `buf[keyStart, fieldEnd)`; -1 when it is not an asset key. */
  objectIdOf(buf: Buffer, keyStart: number, fieldEnd: number): number {
    const keyEnd = assetKeyEnd(buf, keyStart, fieldEnd);
    if (keyEnd === -1) return -1;
    const id = this.fast.idOf(buf, keyStart, keyEnd);
    this.afterFastCall();
    return id;
  }

  /**
   * Runs the WebAssembly parser over `src[start, end)` from `from` on (see FastRows.parse), adding
   * its rows of `partition` and `share` as rows of `day` (with their status when `status`); returns
   * what it read and where it stopped.
   */
  parseFast(
    src: Uint8Array,
    start: number,
    end: number,
    from: number,
    partition: number,
    partitions: number,
    share: number,
    shares: number,
    day: number,
    status: boolean,
  ): FastParse {
    const read = this.fast.parse(
      src,
      start,
      end,
      from,
      partition,
      partitions,
      share,
      shares,
      this.regions(),
      day,
      status,
    );
    this.rows += read.rowsAdded;
    this.arenaLength += read.bytesAdded;
    this.afterFastCall();
    return read;
  }

  /**
   * Room for the rows of `inputBytes` more bytes of reduced rows, checked once per chunk rather than
   * once per row: a binned row is shorter than its reduced row, and a reduced row is at least
   * MIN_REDUCED_ROW_BYTES long. A region that grows moves to the end of memory.
   */
  reserveFor(inputBytes: number): void {
    if (this.arenaLength + inputBytes > this.arenaCapacity) {
      const capacity = Math.max(this.arenaCapacity * 2, this.arenaLength + inputBytes);
      const at = this.fast.allocate(capacity);
      const memory = new Uint8Array(this.fast.buffer);
      memory.copyWithin(at, this.arenaAt, this.arenaAt + this.arenaLength);
      this.arenaAt = at;
      this.arenaCapacity = capacity;
    }
    const rows = this.rows + Math.ceil(inputBytes / MIN_REDUCED_ROW_BYTES) + 1;
    if (rows >= this.rowCapacity) {
      const capacity = Math.max(this.rowCapacity * 2, rows);
      const to = this.allocateRows(capacity);
      const memory = new Uint8Array(this.fast.buffer);
      const from = this.rowsAt;
      memory.copyWithin(to.start, from.start, from.start + (this.rows + 1) * 4);
      memory.copyWithin(to.timestamp, from.timestamp, from.timestamp + this.rows * 8);
      memory.copyWithin(to.object, from.object, from.object + this.rows * 4);
      memory.copyWithin(to.day, from.day, from.day + this.rows * 4);
      this.rowsAt = to;
      this.rowCapacity = capacity;
    }
    this.renewViews();
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
   * file's new content is one slice, written with one call (WebAssembly: see wasm/reduced-rows.ts).
   * Ends the store: `object` is overwritten.
   */
  arrangeByObject(header: Buffer): ArrangedRows {
    const objects = this.keys.length;
    const at = this.fast.arrange(objects, this.regions(), header);
    const buffer = this.fast.buffer;
    const objectStart = new Uint32Array(buffer, at.objectStart, objects + 1);
    const bytes = Buffer.from(buffer, at.bytes, objectStart[objects]);
    this.renewViews();
    this.object = new Uint32Array(0);
    return {
      order: new Uint32Array(buffer, at.order, this.rows),
      groupStart: new Uint32Array(buffer, at.groupStart, objects + 1),
      bytes,
      view: viewOf(bytes),
      objectStart,
      header,
      headerLength: header.length,
    };
  }

  private regions(): RowRegions {
    return {
      arena: this.arenaAt,
      arenaLength: this.arenaLength,
      ends: this.rowsAt.start,
      timestamps: this.rowsAt.timestamp,
      objects: this.rowsAt.object,
      days: this.rowsAt.day,
      rows: this.rows,
    };
  }

  private allocateRows(capacity: number): { start: number; timestamp: number; object: number; day: number } {
    return {
      start: this.fast.allocate((capacity + 1) * 4),
      timestamp: this.fast.allocate(capacity * 8),
      object: this.fast.allocate(capacity * 4),
      day: this.fast.allocate(capacity * 4),
    };
  }

  /** New keys get their text; views detached by memory growth are renewed. */
  private afterFastCall(): void {
    for (let id = this.keys.length; id < this.fast.keyCount; id++) this.keys.push(this.fast.key(id));
    if (this.arena.buffer !== this.fast.buffer) this.renewViews();
  }

  private renewViews(): void {
    const buffer = this.fast.buffer;
    this.arena = Buffer.from(buffer, this.arenaAt, this.arenaCapacity);
    this.arenaView = viewOf(this.arena);
    this.start = new Uint32Array(buffer, this.rowsAt.start, this.rowCapacity + 1);
    this.timestamp = new Float64Array(buffer, this.rowsAt.timestamp, this.rowCapacity);
    this.object = new Uint32Array(buffer, this.rowsAt.object, this.rowCapacity);
    this.day = new Uint32Array(buffer, this.rowsAt.day, this.rowCapacity);
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
  /** The header of the folder's object files, with or without the status column. */
  header: Buffer;
  headerLength: number;
}
