import { checkWholeNumber } from "../check-options.js";
import { assetKeyEnd } from "../dandi/object-key.js";
import { copyBytes, viewOf } from "../io/copy-bytes.js";
import { REDUCED_HEADER } from "../io/table-headers.js";
import { IpKey } from "../privacy/ip-key.js";
import { type IpTokenWriter, tokenWriterFor } from "../privacy/ip-token.js";
import {
  DEFAULT_OPERATION,
  F_BYTES_SENT,
  F_HTTP_STATUS,
  F_KEY,
  F_REMOTE_IP,
  F_TIME,
} from "../s3log/fields.js";
import { isRemoteIp } from "../s3log/ip-address.js";
import { LineLocator, LOCATED } from "../s3log/line-locator.js";
import {
  M_BAD_BYTES_SENT,
  M_BAD_HTTP_STATUS,
  M_BAD_REMOTE_IP,
  M_BAD_TIMESTAMP,
  M_LINE_TOO_LONG,
  MALFORMED_REASONS,
  type MalformedReason,
  R_BLANK,
  R_IP,
  R_NOT_ASSET_KEY,
  R_OPERATION,
  R_STATUS,
  R_YEAR,
} from "../s3log/reasons.js";
import { writeIsoTimestamp } from "../s3log/timestamp.js";
import { FastLines, STOP_BAIL, STOP_OUTPUT_FULL } from "./fast-lines.js";
import { LineCounter } from "./line-counts.js";

const NEWLINE = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const SPACE = 0x20;
const DASH = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_2 = 0x32;
const DIGIT_9 = 0x39;

export { REDUCED_HEADER };

const HEADER_BYTES = Buffer.from(REDUCED_HEADER);
/** Longest row: timestamp, tab, IP (45), tab, key (50), tab, bytes (20 digits), tab, status (3), newline. */
const MAX_ROW_BYTES = 19 + 1 + 45 + 1 + 50 + 1 + 20 + 1 + 3 + 1;
const MAX_BYTES_SENT_DIGITS = 15;

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export interface LogReducerOptions {
  /** The operation whose lines are kept; `REST.GET.OBJECT` unless told. */
  operation?: string;
  /** Years (as in the line's UTC timestamp) whose lines are filtered out. */
  excludedYears?: Iterable<number | string>;
  /** Remote IP addresses whose lines are filtered out. */
  excludedIps?: Iterable<string>;
  /** A line longer than this is malformed (`line_too_long`) and skipped without being held in memory. */
  maxLineBytes?: number;
  /** Size of the buffer rows are gathered in before `output` is called. */
  outputBufferBytes?: number;
  /** Whether the header goes before the first row (true); false for a day's later ranges. */
  header?: boolean;
  /** The IP key's bytes (`IpKey.bytes`): rows then hold each address's token instead of the address. */
  ipKeyBytes?: Uint8Array | null;
}

/** Where a reducer hands its results. Both callbacks are synchronous; buffers are reused after they return. */
export interface ReducerSink {
  /** Reduced rows (header included, once, before the first row), to append to the day's file. */
  output(chunk: Buffer, length: number): void;
  /** A malformed line: its 1-based number, the reason, and its bytes `buf[start, end)`. */
  malformed(lineNumber: number, reason: MalformedReason, buf: Buffer, start: number, end: number): void;
}

/**
 * Reduces raw S3 log bytes to the rows of a reduced day file:
 * `timestamp ip_address object_key bytes_sent status`, the status as the line has it (three digits,
 * 2xx since only those are kept).
 *
 * Free of I/O, like a stream parser: `write` takes chunks of any size, split anywhere (a line may
 * span many chunks), and `end` flushes the last line. Every line is counted as kept, filtered or
 * malformed; decoding happens only for the five fields of kept lines, straight from bytes to bytes.
 */
export class LogReducer {
  readonly counter = new LineCounter();
  private readonly locator = new LineLocator();
  private readonly operation: Buffer;
  private readonly excludedYears: Set<number>;
  private readonly excludedIps: Set<string>;
  private readonly maxLineBytes: number;
  private out: Buffer;
  private outView: DataView;
  private outLength = 0;
  /** Views over the buffer being reduced and the output, for copying four bytes at a time. */
  private inView: DataView = new DataView(new ArrayBuffer(0));
  private wroteHeader = false;
  private carry: Buffer = Buffer.alloc(0);
  private carryLength = 0;
  private skippingLongLine = false;
  private readonly tokens: IpTokenWriter | null;
  /** Where rows wait for the tokens of addresses new to the writer (see IpTokenWriter). */
  private readonly tokenHoles: number[] = [];
  /** The WebAssembly loop, which writes its rows into `out` too; null when every line takes the JavaScript path. */
  private fast: FastLines | null;
  private released = false;

  constructor(
    private readonly sink: ReducerSink,
    options: LogReducerOptions = {},
  ) {
    this.operation = Buffer.from(options.operation ?? DEFAULT_OPERATION, "latin1");
    this.excludedYears = new Set([...(options.excludedYears ?? [])].map(Number));
    this.excludedIps = new Set(options.excludedIps ?? []);
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.wroteHeader = options.header === false;
    this.locator.expectOperation(this.operation);
    this.tokens = options.ipKeyBytes == null ? null : tokenWriterFor(IpKey.fromBytes(options.ipKeyBytes));
    // Checked here too: a reducer made directly, not through reduceFile, gets no other check, and
    // an output region of no bytes would leave the WebAssembly loop nowhere to write.
    checkWholeNumber(options.outputBufferBytes, "outputBufferBytes", 1);
    const outputBytes = Math.max(
      options.outputBufferBytes ?? 256 * 1024,
      MAX_ROW_BYTES + HEADER_BYTES.length,
    );
    // Lines of the usual shape go through the WebAssembly loop (wasm/reduce-lines.ts), unless
    // addresses are excluded; `DANDI_S3_LOG_PARSER_REDUCE_FAST=off` sends every line through
    // JavaScript, as the tests compare.
    const fast = process.env.DANDI_S3_LOG_PARSER_REDUCE_FAST !== "off" && this.excludedIps.size === 0;
    this.fast = fast
      ? FastLines.acquire(this.operation, this.excludedYears, outputBytes, this.tokens !== null)
      : null;
    this.out = this.fast?.output ?? Buffer.allocUnsafe(outputBytes);
    this.outView = viewOf(this.out);
  }

  /** Feeds the next bytes of the log. The chunk is not kept after this returns. */
  write(chunk: Buffer): void {
    this.refuseReleased();
    let p = 0;
    if (this.carryLength > 0 || this.skippingLongLine) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline === -1) {
        this.appendCarry(chunk, 0, chunk.length);
        return;
      }
      this.appendCarry(chunk, 0, newline);
      this.finishCarriedLine();
      p = newline + 1;
    }
    this.locator.setBuffer(chunk);
    this.inView = viewOf(chunk);
    if (this.fast !== null) p = this.reduceFast(this.fast, chunk, p);
    let newline = chunk.indexOf(NEWLINE, p);
    while (newline !== -1) {
      this.reduceLine(chunk, p, newline);
      p = newline + 1;
      newline = chunk.indexOf(NEWLINE, p);
    }
    if (p < chunk.length) this.appendCarry(chunk, p, chunk.length);
  }

  /**
   * Where a reader may read straight into, so that the WebAssembly loop scans the bytes where they
   * lie (a chunk from elsewhere is copied there first); null when every line takes the JavaScript path.
   */
  get inputBuffer(): Buffer | null {
    return this.fast?.input ?? null;
  }

  /**
   * Reduces the complete lines of `chunk` from `p` through the WebAssembly loop, each line it stops
   * at through `reduceLine`; returns where the last, incomplete, line starts.
   */
  private reduceFast(fast: FastLines, chunk: Buffer, p: number): number {
    const input = fast.input;
    // Read straight into the input region, or copied there a slice at a time.
    const inPlace = chunk.buffer === input.buffer;
    while (p < chunk.length) {
      // `offset` takes a position in the chunk to one in the input region.
      let offset = chunk.byteOffset - input.byteOffset;
      let end = offset + chunk.length;
      if (!inPlace) {
        const length = Math.min(chunk.length - p, input.length);
        chunk.copy(input, 0, p, p + length);
        offset = -p;
        end = length;
      }
      const from = p + offset;
      let at = from;
      for (;;) {
        if (this.outLength + MAX_ROW_BYTES + HEADER_BYTES.length > this.out.length) this.flush();
        at = fast.scan(at, end, this.outLength, this.wroteHeader, this.counter);
        this.outLength = fast.outputLength;
        // The tokens of its rows, before anything else reads or moves the output.
        if (this.tokens !== null) fast.fillTokens(this.tokens, this.outView, this.tokenHoles);
        const stop = fast.stopReason;
        if (stop === STOP_OUTPUT_FULL) {
          this.flush();
        } else if (stop === STOP_BAIL) {
          // A line of another shape: JavaScript decides it, from the chunk itself.
          const newline = input.indexOf(NEWLINE, at);
          this.reduceLine(chunk, at - offset, newline - offset);
          at = newline + 1;
        } else {
          break;
        }
      }
      // Not one complete line in a whole slice (a line longer than it): left to the loop of `write`.
      if (at === from) return p;
      p = at - offset;
      if (inPlace || end < input.length) break;
    }
    return p;
  }

  /** Reduces a last line that had no newline and hands over the rows still buffered. */
  end(): void {
    this.refuseReleased();
    if (this.carryLength > 0 || this.skippingLongLine) this.finishCarriedLine();
    this.flush();
  }

  /**
   * Gives the reducer's WebAssembly instance back, for the next reducer made on this thread (making
   * one costs about 0.2 ms, and a folder of small log objects makes one per object). Call once the
   * reducer is done, after `end`; it cannot be written to after. Optional: an instance not given
   * back is collected with its reducer.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.fast?.release();
    this.fast = null;
  }

  private refuseReleased(): void {
    if (this.released) throw new Error("this LogReducer was released: make a new one");
  }

  private appendCarry(chunk: Buffer, start: number, end: number): void {
    if (this.skippingLongLine) return;
    const needed = this.carryLength + (end - start);
    if (needed > this.maxLineBytes) {
      // Keep the start of the line for the error log, drop the rest as it streams past.
      this.skippingLongLine = true;
      const room = this.maxLineBytes - this.carryLength;
      this.growCarry(this.maxLineBytes);
      chunk.copy(this.carry, this.carryLength, start, start + room);
      this.carryLength = this.maxLineBytes;
      return;
    }
    this.growCarry(needed);
    chunk.copy(this.carry, this.carryLength, start, end);
    this.carryLength = needed;
  }

  private growCarry(size: number): void {
    if (size <= this.carry.length) return;
    const grown = Buffer.allocUnsafe(
      Math.min(Math.max(size, this.carry.length * 2, 4096), this.maxLineBytes),
    );
    this.carry.copy(grown, 0, 0, this.carryLength);
    this.carry = grown;
  }

  private finishCarriedLine(): void {
    const line = this.carry.subarray(0, this.carryLength);
    if (this.skippingLongLine) {
      this.counter.lines++;
      this.reportMalformed(M_LINE_TOO_LONG, line, 0, line.length);
    } else {
      this.locator.setBuffer(line);
      this.inView = viewOf(line);
      this.reduceLine(line, 0, line.length);
    }
    this.carryLength = 0;
    this.skippingLongLine = false;
    // A carried line can be as long as maxLineBytes; do not hold that much after a rare long line.
    if (this.carry.length > 64 * 1024) this.carry = Buffer.alloc(0);
  }

  private reportMalformed(reason: number, buf: Buffer, start: number, end: number): void {
    this.counter.malformed[reason]++;
    this.sink.malformed(this.counter.lines, MALFORMED_REASONS[reason], buf, start, end);
  }

  /** The hot path: one call per line, ordered so most lines are decided after `locateHead`. */
  private reduceLine(buf: Buffer, start: number, end: number): void {
    const counter = this.counter;
    counter.lines++;
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start || isBlank(buf, start, end)) {
      counter.filtered[R_BLANK]++;
      return;
    }
    const locator = this.locator;
    let result = locator.locateHead(start, end);
    if (result !== LOCATED) {
      this.reportMalformed(result, buf, start, end);
      return;
    }
    const starts = locator.starts;
    const ends = locator.ends;
    if (!locator.operationMatched) {
      counter.filtered[R_OPERATION]++;
      return;
    }
    result = locator.locateTail(false);
    if (result !== LOCATED) {
      this.reportMalformed(result, buf, start, end);
      return;
    }

    const status = starts[F_HTTP_STATUS];
    if (
      ends[F_HTTP_STATUS] - status !== 3 ||
      !isDigit(buf[status]) ||
      !isDigit(buf[status + 1]) ||
      !isDigit(buf[status + 2])
    ) {
      this.reportMalformed(M_BAD_HTTP_STATUS, buf, start, end);
      return;
    }
    if (buf[status] !== DIGIT_2) {
      counter.filtered[R_STATUS]++;
      return;
    }
    const ipStart = starts[F_REMOTE_IP];
    const ipEnd = ends[F_REMOTE_IP];
    if (!isRemoteIp(buf, ipStart, ipEnd)) {
      this.reportMalformed(M_BAD_REMOTE_IP, buf, start, end);
      return;
    }

    if (this.outLength + MAX_ROW_BYTES + HEADER_BYTES.length > this.out.length) this.flush();
    const out = this.out;
    const rowStart = this.outLength;
    let o = writeIsoTimestamp(buf, starts[F_TIME], ends[F_TIME], out, rowStart);
    if (o === -1) {
      this.reportMalformed(M_BAD_TIMESTAMP, buf, start, end);
      return;
    }
    if (this.excludedYears.size > 0 && this.excludedYears.has(yearAt(out, rowStart))) {
      counter.filtered[R_YEAR]++;
      return;
    }
    if (this.excludedIps.size > 0 && this.excludedIps.has(buf.toString("latin1", ipStart, ipEnd))) {
      counter.filtered[R_IP]++;
      return;
    }
    const keyStart = starts[F_KEY];
    const keyEnd = assetKeyEnd(buf, keyStart, ends[F_KEY]);
    if (keyEnd === -1) {
      counter.filtered[R_NOT_ASSET_KEY]++;
      return;
    }
    const bytesStart = starts[F_BYTES_SENT];
    const bytesEnd = ends[F_BYTES_SENT];
    const bytesIsDash = bytesEnd - bytesStart === 1 && buf[bytesStart] === DASH;
    if (!bytesIsDash && !isWholeNumber(buf, bytesStart, bytesEnd)) {
      this.reportMalformed(M_BAD_BYTES_SENT, buf, start, end);
      return;
    }

    if (!this.wroteHeader) {
      // The header goes before the first row; shift the timestamp already written.
      out.copyWithin(rowStart + HEADER_BYTES.length, rowStart, o);
      HEADER_BYTES.copy(out, rowStart);
      o += HEADER_BYTES.length;
      this.wroteHeader = true;
    }
    const inView = this.inView;
    const outView = this.outView;
    out[o++] = TAB;
    const tokens = this.tokens;
    if (tokens === null) o = copyBytes(inView, ipStart, ipEnd, outView, o);
    // Each distinct address is encrypted once, in a batch at flush; the rest is a lookup of its bytes.
    else o = tokens.writeToken(buf, ipStart, ipEnd, outView, o, this.tokenHoles);
    out[o++] = TAB;
    o = copyBytes(inView, keyStart, keyEnd, outView, o);
    out[o++] = TAB;
    if (bytesIsDash) out[o++] = DIGIT_0;
    else o = copyBytes(inView, bytesStart, bytesEnd, outView, o);
    // The status was checked above to be three digits: copied as bytes, with no field scan.
    out[o++] = TAB;
    out[o++] = buf[status];
    out[o++] = buf[status + 1];
    out[o++] = buf[status + 2];
    out[o++] = NEWLINE;
    this.outLength = o;
    counter.kept++;
  }

  private flush(): void {
    if (this.outLength === 0) return;
    this.tokens?.fillHoles(this.outView, this.tokenHoles);
    this.sink.output(this.out, this.outLength);
    this.outLength = 0;
  }
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

function isBlank(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== SPACE && c !== TAB && c !== CR) return false;
  }
  return true;
}

function isWholeNumber(buf: Uint8Array, start: number, end: number): boolean {
  if (end <= start || end - start > MAX_BYTES_SENT_DIGITS) return false;
  for (let i = start; i < end; i++) if (!isDigit(buf[i])) return false;
  return true;
}

function yearAt(buf: Uint8Array, at: number): number {
  return (
    (buf[at] - DIGIT_0) * 1000 +
    (buf[at + 1] - DIGIT_0) * 100 +
    (buf[at + 2] - DIGIT_0) * 10 +
    (buf[at + 3] - DIGIT_0)
  );
}
