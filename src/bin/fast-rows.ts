import { RunError } from "../errors.js";
import { type WasmGlobal, wasm } from "../io/wasm-api.js";
import { REDUCED_ROWS_WASM } from "./reduced-rows-wasm.js";

/** The WebAssembly half of the bin step's rows (wasm/reduced-rows.ts), as JavaScript sees it. */
interface FastRowsExports {
  memory: { buffer: ArrayBuffer };
  init(capacity: number): void;
  allocate(bytes: number): number;
  parse(
    start: number,
    end: number,
    partition: number,
    partitions: number,
    share: number,
    shares: number,
    arena: number,
    arenaLength: number,
    ends: number,
    timestamps: number,
    objects: number,
    days: number,
    rows: number,
    day: number,
    status: number,
  ): number;
  idOfScratchKey(length: number): number;
  outOfMemory: WasmGlobal;
  arrange(
    objectCount: number,
    rows: number,
    arena: number,
    ends: number,
    timestamps: number,
    objects: number,
    header: number,
    headerLength: number,
  ): void;
  inputStart: WasmGlobal;
  scratchKey: WasmGlobal;
  keySlots: WasmGlobal;
  keyCount: WasmGlobal;
  rowsAdded: WasmGlobal;
  bytesAdded: WasmGlobal;
  validRows: WasmGlobal;
  skippedLines: WasmGlobal;
  firstTimestamp: WasmGlobal;
  lastTimestamp: WasmGlobal;
  outGroupStart: WasmGlobal;
  outObjectStart: WasmGlobal;
  outOrder: WasmGlobal;
  outBytes: WasmGlobal;
}

/** Bytes the key table keeps per key: its length, then the key. */
const KEY_SLOT_BYTES = 64;

let compiled: object | null = null;

/** Compiled once per process (6 KB, about 2 ms), instantiated once per pass. */
function fastRowsModule(): object {
  compiled ??= new wasm.Module(Buffer.from(REDUCED_ROWS_WASM, "base64"));
  return compiled;
}

function outOfMemory(): RunError {
  return new RunError(
    "a pass of the bin step outgrew the 4 GB WebAssembly can address; lower `bufferBytes`",
    {
      code: "ERR_WASM_OUT_OF_MEMORY",
      optionNames: ["bufferBytes"],
    },
  );
}

/** Where the RowStore's arena and arrays are in WebAssembly memory, and how much they hold. */
export interface RowRegions {
  arena: number;
  arenaLength: number;
  ends: number;
  timestamps: number;
  objects: number;
  days: number;
  rows: number;
}

/** What a `parse` call read, and where it stopped. */
export interface FastParse {
  /** In the caller's buffer: the end, or the start of a line left to the caller. */
  stopped: number;
  /** Rows of the pass's partition and share, added to the store. */
  rowsAdded: number;
  bytesAdded: number;
  /** All valid rows read, of every partition (of the share's lines). */
  validRows: number;
  /** Lines of other shares passed over. */
  skippedLines: number;
  first: number;
  last: number;
}

/** Where `arrange` put the rows, in WebAssembly memory. */
export interface ArrangedRegions {
  groupStart: number;
  objectStart: number;
  order: number;
  bytes: number;
}

/**
 * One pass's WebAssembly instance: the key table, the fast row path, and the memory the RowStore's
 * rows live in. Views of its memory (`buffer`) are detached whenever it grows: callers renew theirs
 * after every call here that may allocate.
 */
export class FastRows {
  readonly capacity: number;
  private readonly exports: FastRowsExports;
  private bytes: Buffer;
  private readonly inputStart: number;

  constructor(capacity: number) {
    const instance = new wasm.Instance(fastRowsModule(), {});
    this.exports = instance.exports as unknown as FastRowsExports;
    this.exports.init(capacity);
    this.capacity = capacity;
    this.inputStart = this.exports.inputStart.value >>> 0;
    this.bytes = Buffer.from(this.exports.memory.buffer);
  }

  get buffer(): ArrayBuffer {
    return this.exports.memory.buffer;
  }

  get keyCount(): number {
    return this.exports.keyCount.value;
  }

  /** A region of `bytes` bytes (zeroed if new); growing past 4 GB fails with advice. */
  allocate(bytes: number): number {
    // Addresses are unsigned 32-bit numbers, which cross the boundary as signed ones.
    const at = this.exports.allocate(bytes) >>> 0;
    this.afterCall();
    return at;
  }

  /**
   * Parses the complete lines of `src[start, end)` (at most `capacity` bytes, ending just past a
   * newline) from `from` on, copying them in first when `from` is `start`; accepted rows go to
   * `regions` (which has room). Rows have the HTTP status as a fifth column when `status` is true.
   * Stops at `end`, or at the start of a line it leaves to the caller, who calls again after that line.
   */
  parse(
    src: Uint8Array,
    start: number,
    end: number,
    from: number,
    partition: number,
    partitions: number,
    share: number,
    shares: number,
    regions: RowRegions,
    day: number,
    status: boolean,
  ): FastParse {
    if (from === start) this.bytes.set(src.subarray(start, end), this.inputStart);
    const offset = this.inputStart - start;
    const r = regions;
    const stopped = this.exports.parse(
      from + offset,
      end + offset,
      partition,
      partitions,
      share,
      shares,
      r.arena,
      r.arenaLength,
      r.ends,
      r.timestamps,
      r.objects,
      r.days,
      r.rows,
      day,
      status ? 1 : 0,
    );
    this.afterCall();
    const e = this.exports;
    return {
      stopped: (stopped >>> 0) - offset,
      rowsAdded: e.rowsAdded.value,
      bytesAdded: e.bytesAdded.value,
      validRows: e.validRows.value,
      skippedLines: e.skippedLines.value,
      first: e.firstTimestamp.value,
      last: e.lastTimestamp.value,
    };
  }

  /** The id of the checked key `src[start, end)` (50 bytes at most), added if new. */
  idOf(src: Uint8Array, start: number, end: number): number {
    this.bytes.set(src.subarray(start, end), this.exports.scratchKey.value >>> 0);
    const id = this.exports.idOfScratchKey(end - start);
    this.afterCall();
    return id;
  }

  /** The key of `id`, as text. */
  key(id: number): string {
    const slot = (this.exports.keySlots.value >>> 0) + id * KEY_SLOT_BYTES;
    return this.bytes.toString("latin1", slot + 1, slot + 1 + this.bytes[slot]);
  }

  /** Arranges the rows of `regions` by object (see wasm/reduced-rows.ts), after `header` in each. */
  arrange(objectCount: number, regions: RowRegions, header: Uint8Array): ArrangedRegions {
    const headerAt = this.allocate(header.length);
    this.bytes.set(header, headerAt);
    const r = regions;
    const e = this.exports;
    e.arrange(objectCount, r.rows, r.arena, r.ends, r.timestamps, r.objects, headerAt, header.length);
    this.afterCall();
    return {
      groupStart: e.outGroupStart.value >>> 0,
      objectStart: e.outObjectStart.value >>> 0,
      order: e.outOrder.value >>> 0,
      bytes: e.outBytes.value >>> 0,
    };
  }

  /** Fails if the call could not allocate; renews the view of memory, which growing memory detaches. */
  private afterCall(): void {
    if (this.exports.outOfMemory.value !== 0) throw outOfMemory();
    const buffer = this.exports.memory.buffer;
    if (this.bytes.buffer !== buffer) this.bytes = Buffer.from(buffer);
  }
}
