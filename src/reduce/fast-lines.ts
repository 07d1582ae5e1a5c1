import { type WasmGlobal, wasm } from "../io/wasm-api.js";
import type { IpTokenWriter } from "../privacy/ip-token.js";
import { R_NOT_ASSET_KEY, R_OPERATION, R_STATUS, R_YEAR } from "../s3log/reasons.js";
import type { LineCounter } from "./line-counts.js";
import { REDUCE_LINES_WASM } from "./reduce-lines-wasm.js";

/** The WebAssembly half of the reduce step's line loop (wasm/reduce-lines.ts), as JavaScript sees it. */
interface FastLinesExports {
  memory: { buffer: ArrayBuffer };
  setUp(input: number, output: number, operation: number, holes: number): void;
  configure(operation: number, tokens: number): void;
  scan(start: number, end: number, outputStart: number, headerWritten: number): number;
  inputAt: WasmGlobal;
  outputAt: WasmGlobal;
  operationAt: WasmGlobal;
  excludedYearsAt: WasmGlobal;
  holesAt: WasmGlobal;
  holeCount: WasmGlobal;
  outputLength: WasmGlobal;
  stopReason: WasmGlobal;
  lines: WasmGlobal;
  kept: WasmGlobal;
  filteredOperation: WasmGlobal;
  filteredStatus: WasmGlobal;
  filteredYear: WasmGlobal;
  filteredNotAssetKey: WasmGlobal;
}

/** Why `scan` stopped, besides 0 (no complete line left): a line for the JavaScript path, or a full output. */
export const STOP_BAIL = 1;
export const STOP_OUTPUT_FULL = 2;

/** Bytes of input one call sees: small enough to stay in cache, large enough to cost few calls. */
const INPUT_BYTES = 1 << 20;
/** Years a line's timestamp can hold (four digits). */
const YEARS = 10000;
/** Rows a call leaves a token's hole in, with an IP key. */
const TOKEN_HOLES = 4096;
/** The longest operation the loop compares (`REST.GET.OBJECT` is 15 bytes); a longer one takes the JavaScript path. */
const OPERATION_ROOM = 64;
/** Instances given back, by output size, kept for the next reducers of this thread. */
const POOL_SIZE = 4;
const pool = new Map<number, FastLines[]>();

/** The compiled module; null when this engine cannot compile it (no WebAssembly SIMD). */
let compiled: object | null | undefined;

/**
 * Compiled once per process (about 2 ms). An engine without WebAssembly SIMD (Node.js has had it
 * since 16.4 on x64 and arm64) reduces every line in JavaScript instead, to the same output.
 */
function fastLinesModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new wasm.Module(Buffer.from(REDUCE_LINES_WASM, "base64"));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * One reducer's WebAssembly instance: the input it scans, the output rows go to (shared with the
 * JavaScript path, so the rows of both stay in line order), and the counts of the last call.
 *
 * Making one costs about 0.2 ms (its memory is laid out and zeroed), as much as reducing 400 lines:
 * a folder of small log objects makes a reducer per object. So `acquire` takes one given back by
 * `release` when it can, and sets it up for its new reducer.
 */
export class FastLines {
  /** Where the bytes to scan are copied, `INPUT_BYTES` long. */
  readonly input: Buffer;
  /** Where rows are written, by the WebAssembly and the JavaScript path alike. */
  readonly output: Buffer;
  private readonly exports: FastLinesExports;
  /** Per hole of the last call: the address's start and end in `input`, the hole's offset in `output`. */
  private readonly holes: Uint32Array;
  private readonly operation: Buffer;
  private readonly years: Buffer;
  private released = false;

  /** An instance for a reducer of `operation`, or null when the operation is too long for the loop. */
  static acquire(
    operation: Uint8Array,
    excludedYears: ReadonlySet<number>,
    outputBytes: number,
    tokens: boolean,
  ): FastLines | null {
    const module = fastLinesModule();
    if (operation.length > OPERATION_ROOM || module === null) return null;
    let instance = pool.get(outputBytes)?.pop();
    if (instance === undefined) {
      try {
        instance = new FastLines(module, outputBytes);
      } catch {
        // No memory for one more instance (an address-space limit: each reserves room to grow):
        // this reducer takes the JavaScript path, to the same output.
        return null;
      }
    }
    instance.configure(operation, excludedYears, tokens);
    return instance;
  }

  private constructor(module: object, outputBytes: number) {
    const instance = new wasm.Instance(module, {});
    this.exports = instance.exports as FastLinesExports;
    const e = this.exports;
    e.setUp(INPUT_BYTES, outputBytes, OPERATION_ROOM, TOKEN_HOLES);
    // Memory does not grow after setUp: these views stay valid.
    const buffer = e.memory.buffer;
    this.input = Buffer.from(buffer, e.inputAt.value, INPUT_BYTES);
    this.output = Buffer.from(buffer, e.outputAt.value, outputBytes);
    this.operation = Buffer.from(buffer, e.operationAt.value, OPERATION_ROOM);
    this.years = Buffer.from(buffer, e.excludedYearsAt.value, YEARS);
    this.holes = new Uint32Array(buffer, e.holesAt.value, 3 * TOKEN_HOLES);
  }

  private configure(operation: Uint8Array, excludedYears: ReadonlySet<number>, tokens: boolean): void {
    this.released = false;
    this.operation.set(operation);
    this.years.fill(0);
    for (const year of excludedYears)
      if (Number.isInteger(year) && year >= 0 && year < YEARS) this.years[year] = 1;
    this.exports.configure(operation.length, tokens ? 1 : 0);
  }

  /** Gives the instance back for the next reducer of this thread; its buffers are then that reducer's. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const free = pool.get(this.output.length) ?? [];
    if (free.length < POOL_SIZE) free.push(this);
    pool.set(this.output.length, free);
  }

  /**
   * Reduces the lines of `input[start, end)` (see `scan` in wasm/reduce-lines.ts), rows from
   * `output[outputStart]`; adds the lines it decided to `counter`. Returns where it stopped.
   */
  scan(
    start: number,
    end: number,
    outputStart: number,
    headerWritten: boolean,
    counter: LineCounter,
  ): number {
    const e = this.exports;
    const stopped = e.scan(start, end, outputStart, headerWritten ? 1 : 0);
    counter.lines += e.lines.value;
    counter.kept += e.kept.value;
    counter.filtered[R_OPERATION] += e.filteredOperation.value;
    counter.filtered[R_STATUS] += e.filteredStatus.value;
    counter.filtered[R_YEAR] += e.filteredYear.value;
    counter.filtered[R_NOT_ASSET_KEY] += e.filteredNotAssetKey.value;
    return stopped;
  }

  /**
   * Writes the tokens of the rows the last call kept into their holes in `output` (`out`, a view of
   * it), through `tokens`: an address new to it leaves its hole listed in `pending` for `fillHoles`.
   */
  fillTokens(tokens: IpTokenWriter, out: DataView, pending: number[]): void {
    const holes = this.holes;
    const count = this.exports.holeCount.value;
    for (let i = 0; i < 3 * count; i += 3)
      tokens.writeToken(this.input, holes[i], holes[i + 1], out, holes[i + 2], pending);
  }

  get outputLength(): number {
    return this.exports.outputLength.value;
  }

  get stopReason(): number {
    return this.exports.stopReason.value;
  }
}
