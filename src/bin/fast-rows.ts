import { REDUCED_ROWS_WASM } from "./reduced-rows-wasm.js";

/** An exported global of the module: a number. */
interface Global {
  value: number;
}

/** The WebAssembly half of the row parser (wasm/reduced-rows.ts): its exports, as JavaScript sees them. */
interface FastRowsExports {
  memory: { buffer: ArrayBuffer };
  init(capacity: number): void;
  parse(start: number, end: number, partition: number, partitions: number, arenaBase: number): number;
  idOfScratchKey(length: number): number;
  inputStart: Global;
  inputCapacity: Global;
  stagedArena: Global;
  stagedEnds: Global;
  stagedTimestamps: Global;
  stagedObjects: Global;
  scratchKey: Global;
  keySlots: Global;
  stagedRows: Global;
  stagedBytes: Global;
  validRows: Global;
  firstTimestamp: Global;
  lastTimestamp: Global;
  keyCount: Global;
}

/** Bytes the key table keeps per key: its length, then the key. */
const KEY_SLOT_BYTES = 64;

/** The part of the WebAssembly API used here (@types/node 20 declares none of it; lib.dom would). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

let compiled: object | null = null;

/** Compiled once per process (3 KB, about 2 ms), instantiated once per row store. */
function fastRowsModule(): object {
  compiled ??= new wasm.Module(Buffer.from(REDUCED_ROWS_WASM, "base64"));
  return compiled;
}

/** What one call of `parse` accepted, read from the staging region before the next call. */
export interface StagedRows {
  /** Rows of the pass's partition, staged. */
  rows: number;
  /** All valid rows read, of every partition. */
  validRows: number;
  first: number;
  last: number;
  arena: Buffer;
  ends: Uint32Array;
  timestamps: Float64Array;
  objects: Uint32Array;
}

/**
 * The key table and the fast row path, in WebAssembly memory. Chunks are copied into its input
 * region; accepted rows come back staged as binned rows, for the RowStore to take.
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
    this.inputStart = this.exports.inputStart.value;
    this.bytes = this.view();
  }

  get keyCount(): number {
    return this.exports.keyCount.value;
  }

  /**
   * Parses the complete lines of `src[start, end)` (at most `capacity` bytes, ending just past a
   * newline) from `from` on, copying them in first when `from` is `start`. Returns where it stopped,
   * in `src`: `end`, or the start of a line it leaves to the caller, who calls again after that line.
   */
  parse(
    src: Uint8Array,
    start: number,
    end: number,
    from: number,
    partition: number,
    partitions: number,
    arenaBase: number,
  ): number {
    if (from === start) this.bytes.set(src.subarray(start, end), this.inputStart);
    const offset = this.inputStart - start;
    const stopped =
      this.exports.parse(from + offset, end + offset, partition, partitions, arenaBase) - offset;
    this.bytes = this.view();
    return stopped;
  }

  /** The rows the last `parse` accepted: views into WebAssembly memory, valid until the next call. */
  staged(): StagedRows {
    const e = this.exports;
    const rows = e.stagedRows.value;
    const buffer = e.memory.buffer;
    return {
      rows,
      validRows: e.validRows.value,
      first: e.firstTimestamp.value,
      last: e.lastTimestamp.value,
      arena: Buffer.from(buffer, e.stagedArena.value, e.stagedBytes.value),
      ends: new Uint32Array(buffer, e.stagedEnds.value, rows),
      timestamps: new Float64Array(buffer, e.stagedTimestamps.value, rows),
      objects: new Uint32Array(buffer, e.stagedObjects.value, rows),
    };
  }

  /** The id of the checked key `src[start, end)` (50 bytes at most), added if new. */
  idOf(src: Uint8Array, start: number, end: number): number {
    this.bytes.set(src.subarray(start, end), this.exports.scratchKey.value);
    const id = this.exports.idOfScratchKey(end - start);
    this.bytes = this.view();
    return id;
  }

  /** The key of `id`, as text. */
  key(id: number): string {
    const slot = this.exports.keySlots.value + id * KEY_SLOT_BYTES;
    return this.bytes.toString("latin1", slot + 1, slot + 1 + this.bytes[slot]);
  }

  /** A view of all of memory: renewed after every call, as growing memory detaches the old one. */
  private view(): Buffer {
    const buffer = this.exports.memory.buffer;
    return this.bytes?.buffer === buffer ? this.bytes : Buffer.from(buffer);
  }
}
