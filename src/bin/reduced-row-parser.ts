import { assetKeyEnd, BLOB_KEY_LENGTH, ZARR_KEY_LENGTH } from "../dandi/object-key.js";
import { copyBytes, viewOf } from "../io/copy-bytes.js";
import { REDUCED_HEADER, REDUCED_HEADER_WITHOUT_STATUS } from "../io/table-headers.js";
import { isRemoteIp } from "../s3log/ip-address.js";
import type { FastParse } from "./fast-rows.js";
import { REJECT_REASONS, type RejectReason } from "./reject-reasons.js";
import type { RowStore } from "./row-store.js";
import { TIMESTAMP_LENGTH, timestampAt } from "./timestamp.js";

const NEWLINE = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MAX_BYTES_SENT_DIGITS = 15;
/** Where a blob key's uuid starts (`blobs/aaa/bbb/`), and a Zarr key's (`zarr/`). */
const BLOB_UUID_OFFSET = 14;
const ZARR_UUID_OFFSET = 5;

const STATUS_HEADER = Buffer.from(REDUCED_HEADER.trimEnd());
const PLAIN_HEADER = Buffer.from(REDUCED_HEADER_WITHOUT_STATUS.trimEnd());
/** An HTTP status is three digits. */
const STATUS_LENGTH = 3;

const DASH = 0x2d;
/** The longest IPv6 text form, with an embedded IPv4 address (as in isRemoteIp). */
const MAX_IP_LENGTH = 45;
/** What each byte is in an IP address's text form: not part of one, `.` or `:`, digit, hex letter. */
const NOT_IP = 0;
const IP_SEPARATOR = 1;
const IP_DIGIT = 2;
const IP_HEX_LETTER = 3;
const IP_BYTE = new Uint8Array(256);
for (const c of ".:") IP_BYTE[c.charCodeAt(0)] = IP_SEPARATOR;
for (const c of "0123456789") IP_BYTE[c.charCodeAt(0)] = IP_DIGIT;
for (const c of "abcdefABCDEF") IP_BYTE[c.charCodeAt(0)] = IP_HEX_LETTER;

const HEX_VALUE = new Int8Array(256).fill(-1);
for (const c of "0123456789abcdef") HEX_VALUE[c.charCodeAt(0)] = Number.parseInt(c, 16);

/** What a day's valid rows span, over all partitions: the journal keeps it to order ties exactly. */
export interface DayStats {
  rows: number;
  /** Smallest and largest timestamp (YYYYMMDDHHMMSS), or -1 for a day without rows. */
  first: number;
  last: number;
}

export interface ReducedRowParserOptions {
  /** Index of the day in its batch, stored with each row. */
  day: number;
  /**
   * Rows have the HTTP status as a fifth column, kept as the binned row's fourth (true); or they are
   * the four columns of the original format, binned as its three (false, the default).
   */
  status?: boolean;
  /** Only rows of objects in `partition` of `partitions` are stored (a day too big for one pass). */
  partition?: number;
  partitions?: number;
  /**
   * The share of the lines this parser takes (a batch shared out over threads, see bin-share.ts):
   * lines of other shares (`ownerOf`) are only counted, and checked, stored, rejected and counted
   * in `stats` by their own share's parser.
   */
  share?: number;
  shares?: number;
  /**
   * False parses every line in JavaScript, the reference the WebAssembly fast path must agree with
   * (the tests compare the two); true by default.
   */
  fastPath?: boolean;
  /** A line that is not a valid row: its 1-based number, the reason and its bytes `buf[start, end)`. */
  onReject?: (line: number, reason: RejectReason, buf: Buffer, start: number, end: number) => void;
}

/**
 * Parses the rows of one reduced day file (`timestamp ip_address object_key bytes_sent status`, or
 * the original's four columns without the status) into a RowStore, checking every field again: the
 * file may have been edited by hand, and its key becomes a path. Free of I/O: `parse` takes whatever
 * bytes were read and says how far it got, `finish` takes a last line without a newline.
 */
export class ReducedRowParser {
  line = 0;
  /** Lines the WebAssembly parser left to JavaScript: header, blank, damaged or unusual ones. */
  slowLines = 0;
  readonly stats: DayStats = { rows: 0, first: -1, last: -1 };
  readonly rejected = new Float64Array(REJECT_REASONS.length);
  private readonly day: number;
  private readonly partition: number;
  private readonly partitions: number;
  private readonly share: number;
  private readonly shares: number;
  private readonly fastPath: boolean;
  private readonly status: boolean;
  private readonly header: Buffer;

  constructor(
    private readonly store: RowStore,
    private readonly options: ReducedRowParserOptions,
  ) {
    this.day = options.day;
    this.partition = options.partition ?? 0;
    this.partitions = options.partitions ?? 1;
    this.share = options.share ?? 0;
    this.shares = options.shares ?? 1;
    this.fastPath = options.fastPath ?? true;
    this.status = options.status ?? false;
    this.header = this.status ? STATUS_HEADER : PLAIN_HEADER;
  }

  /**
   * Parses the complete lines in `buf[start, end)`; returns where the first incomplete line starts.
   * The WebAssembly parser takes the rows (see wasm/reduced-rows.ts); each line it leaves, the
   * methods below take, and it goes on after that line. It accepts only rows these would accept.
   */
  parse(buf: Buffer, start: number, end: number): number {
    const lastNewline = buf.lastIndexOf(NEWLINE, end - 1);
    if (lastNewline < start) return start;
    const consumed = lastNewline + 1;
    const store = this.store;
    const capacity = store.fast.capacity;
    store.reserveFor(consumed - start);
    const view = viewOf(buf);
    let windowStart = start;
    while (windowStart < consumed) {
      // Windows of at most the WebAssembly input's size, ending after a newline.
      let windowEnd = consumed;
      if (windowEnd - windowStart > capacity)
        windowEnd = buf.lastIndexOf(NEWLINE, windowStart + capacity - 1) + 1;
      if (windowEnd <= windowStart || !this.fastPath) {
        windowStart = this.parseLine(buf, view, windowStart, lastNewline);
        continue;
      }
      let s = windowStart;
      while (s < windowEnd) {
        const fast = store.parseFast(
          buf,
          windowStart,
          windowEnd,
          s,
          this.partition,
          this.partitions,
          this.share,
          this.shares,
          this.day,
          this.status,
        );
        this.count(fast);
        s = fast.stopped;
        if (s < windowEnd) s = this.parseLine(buf, view, s, lastNewline);
      }
      windowStart = windowEnd;
    }
    return consumed;
  }

  private count(read: FastParse): void {
    this.line += read.validRows + read.skippedLines;
    if (read.validRows === 0) return;
    const stats = this.stats;
    stats.rows += read.validRows;
    if (stats.first === -1 || read.first < stats.first) stats.first = read.first;
    if (read.last > stats.last) stats.last = read.last;
  }

  /**
   * Parses the line at `s` (complete: `lastNewline` ends the chunk) and returns where the next one
   * starts: the lines the WebAssembly parser leaves, and so the definition of a valid row. Fields are
   * checked and copied byte by byte, with no string but the key.
   */
  private parseLine(buf: Buffer, view: DataView, s: number, lastNewline: number): number {
    const stats = this.stats;
    this.line++;
    if (this.shares > 1 && ownerOf(buf, s, this.shares) !== this.share) return buf.indexOf(NEWLINE, s) + 1;
    this.slowLines++;
    const timestamp = timestampAt(buf, s);
    if (timestamp >= 0 && buf[s + TIMESTAMP_LENGTH] === TAB) {
      const ipStart = s + TIMESTAMP_LENGTH + 1;
      // The IP address is scanned and checked in one pass rather than two (isRemoteIp after a scan
      // for the tab; this matches it, see the test): the scan stops at the first byte that cannot
      // be in an address, the tab if the field is one.
      let p = ipStart;
      let separators = 0;
      let digits = 0;
      for (let kind = IP_BYTE[buf[p]]; kind !== NOT_IP; kind = IP_BYTE[buf[++p]]) {
        if (kind === IP_SEPARATOR) separators++;
        else if (kind === IP_DIGIT) digits++;
      }
      if (p === ipStart && buf[p] === DASH) p++;
      const ipEnd = p;
      const ipLength = ipEnd - ipStart;
      if (
        buf[p] === TAB &&
        (ipLength === 1
          ? buf[ipStart] === DASH
          : ipLength >= 2 && ipLength <= MAX_IP_LENGTH && separators > 0 && (digits > 0 || ipLength > 2))
      ) {
        const keyStart = ++p;
        // Checked keys have one of two lengths: look for the tab there before scanning for it. The
        // shorter first: a tab 50 bytes on from a Zarr key can lie past the line, even past the
        // bytes read (a stale byte of the buffer), while byte 41 of a blob key is never a tab.
        if (buf[keyStart + ZARR_KEY_LENGTH] === TAB) p = keyStart + ZARR_KEY_LENGTH;
        else if (keyStart + BLOB_KEY_LENGTH < lastNewline && buf[keyStart + BLOB_KEY_LENGTH] === TAB)
          p = keyStart + BLOB_KEY_LENGTH;
        else while (buf[p] !== TAB && buf[p] !== NEWLINE) p++;
        const object = buf[p] === TAB ? this.store.objectIdOf(buf, keyStart, p) : -1;
        if (object !== -1) {
          const bytesStart = ++p;
          while (buf[p] >= DIGIT_0 && buf[p] <= DIGIT_9) p++;
          const bytesEnd = p;
          // Where the status is (its tab), -1 without one; a bad one leaves `p` on the tab.
          let statusAt = -1;
          if (this.status && isStatusAt(buf, p)) {
            statusAt = p;
            p += 1 + STATUS_LENGTH;
          }
          if (buf[p] === CR) p++;
          if (
            buf[p] === NEWLINE &&
            (statusAt !== -1 || !this.status) &&
            bytesEnd > bytesStart &&
            bytesEnd - bytesStart <= MAX_BYTES_SENT_DIGITS
          ) {
            stats.rows++;
            if (stats.first === -1 || timestamp < stats.first) stats.first = timestamp;
            if (timestamp > stats.last) stats.last = timestamp;
            if (
              (this.partitions === 1 && this.shares === 1) ||
              isInPartition(
                buf,
                keyStart,
                this.store.keys[object].length,
                this.partition,
                this.partitions,
                this.share,
                this.shares,
              )
            ) {
              this.keep(view, s, timestamp, ipStart, ipEnd, object, bytesStart, bytesEnd, statusAt);
            }
            return p + 1;
          }
        }
      }
    }
    return this.rejectLine(buf, s) + 1;
  }

  /** Parses a last line that has no newline: `buf` must have one spare byte after `end`. */
  finish(buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    buf[end] = NEWLINE;
    this.parse(buf, start, end + 1);
  }

  /** Counts a line longer than any read buffer, whose start is `buf[start, end)`. */
  skipLongLine(buf: Buffer, start: number, end: number): void {
    this.line++;
    // Its key cannot be told: the first share's.
    if (this.share === 0) this.reject("line_too_long", buf, start, end);
  }

  private keep(
    view: DataView,
    timestampStart: number,
    timestamp: number,
    ipStart: number,
    ipEnd: number,
    object: number,
    bytesStart: number,
    bytesEnd: number,
    statusAt: number,
  ): void {
    const store = this.store;
    const arena = store.arenaView;
    let o = copyBytes(view, timestampStart, timestampStart + TIMESTAMP_LENGTH, arena, store.arenaLength);
    arena.setUint8(o++, TAB);
    o = copyBytes(view, bytesStart, bytesEnd, arena, o);
    arena.setUint8(o++, TAB);
    o = copyBytes(view, ipStart, ipEnd, arena, o);
    // The tab and the three digits: the binned row's last column.
    if (statusAt !== -1) o = copyBytes(view, statusAt, statusAt + 1 + STATUS_LENGTH, arena, o);
    arena.setUint8(o++, NEWLINE);
    store.commitRow(timestamp, object, this.day, o);
  }

  /** The slow path: finds the line's end, and the reason when it is neither blank nor the header. */
  private rejectLine(buf: Buffer, start: number): number {
    const newline = buf.indexOf(NEWLINE, start);
    let end = newline;
    if (end > start && buf[end - 1] === CR) end--;
    if (isBlank(buf, start, end)) return newline;
    const header = this.header;
    if (
      this.line === 1 &&
      end - start === header.length &&
      buf.compare(header, 0, header.length, start, end) === 0
    )
      return newline;
    this.reject(reasonOf(buf, start, end, this.line, this.status), buf, start, end);
    return newline;
  }

  private reject(reason: RejectReason, buf: Buffer, start: number, end: number): void {
    this.rejected[REJECT_REASONS.indexOf(reason)]++;
    this.options.onReject?.(this.line, reason, buf, start, end);
  }
}

/** Why `buf[start, end)` is not a valid row (of five columns with `status`, else four). */
function reasonOf(buf: Buffer, start: number, end: number, line: number, status: boolean): RejectReason {
  const tabs: number[] = [];
  for (let i = start; i < end; i++) if (buf[i] === TAB) tabs.push(i);
  const first = buf[start];
  const columnTabs = status ? 4 : 3;
  if (line === 1 && !(first >= DIGIT_0 && first <= DIGIT_9)) return "bad_header";
  if (tabs.length < columnTabs) return "too_few_columns";
  if (tabs.length > columnTabs) return "too_many_columns";
  if (tabs[0] - start !== TIMESTAMP_LENGTH || timestampAt(buf, start) < 0) return "bad_timestamp";
  if (!isRemoteIp(buf, tabs[0] + 1, tabs[1])) return "bad_ip_address";
  if (assetKeyEnd(buf, tabs[1] + 1, tabs[2]) === -1) return "not_asset_key";
  if (!status || !isWholeNumber(buf, tabs[2] + 1, tabs[3])) return "bad_bytes_sent";
  return "bad_status";
}

function isWholeNumber(buf: Buffer, start: number, end: number): boolean {
  if (end <= start || end - start > MAX_BYTES_SENT_DIGITS) return false;
  for (let i = start; i < end; i++) if (buf[i] < DIGIT_0 || buf[i] > DIGIT_9) return false;
  return true;
}

/** Whether `buf[at]` is a tab followed by the three digits of an HTTP status. */
function isStatusAt(buf: Buffer, at: number): boolean {
  return (
    buf[at] === TAB &&
    buf[at + 1] >= DIGIT_0 &&
    buf[at + 1] <= DIGIT_9 &&
    buf[at + 2] >= DIGIT_0 &&
    buf[at + 2] <= DIGIT_9 &&
    buf[at + 3] >= DIGIT_0 &&
    buf[at + 3] <= DIGIT_9
  );
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== SPACE && buf[i] !== TAB && buf[i] !== CR) return false;
  return true;
}

/**
 * The share of the line at `s`: when its third field starts `zarr/` or `blobs/` with six hex digits
 * where the uuid begins, that of the uuid (as `isInPartition` gives a valid row's object, a key
 * inside a Zarr included), else 0. Decided by the line's own bytes before anything is checked, so
 * that each thread checks its own lines alone (wasm/reduced-rows.ts agrees). The bytes looked at
 * past the second tab are all checked to be what a key holds, so none is the line's newline.
 */
export function ownerOf(buf: Uint8Array, s: number, shares: number): number {
  let p = s;
  while (buf[p] !== TAB && buf[p] !== NEWLINE) p++;
  if (buf[p] !== TAB) return 0;
  p++;
  while (buf[p] !== TAB && buf[p] !== NEWLINE) p++;
  if (buf[p] !== TAB) return 0;
  const key = p + 1;
  let uuid: number;
  if (startsWith(buf, key, ZARR_PREFIX)) uuid = key + ZARR_UUID_OFFSET;
  else if (startsWith(buf, key, BLOB_PREFIX)) uuid = key + BLOB_UUID_OFFSET;
  else return 0;
  let value = 0;
  for (let i = uuid; i < uuid + 6; i++) {
    const digit = i < buf.length ? HEX_VALUE[buf[i]] : -1;
    if (digit < 0) return 0;
    value = value * 16 + digit;
  }
  return (value >>> 12) % shares;
}

const ZARR_PREFIX = Buffer.from("zarr/");
const BLOB_PREFIX = Buffer.from("blobs/");

function startsWith(buf: Uint8Array, at: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * Whether an object is in pass `partition` of `partitions` and in share `share` of `shares`, by the
 * first six hex digits of its uuid, which are random. Passes go by the whole number, shares by its
 * first three digits alone: a blob's are its top folder (`blobs/aaa/`), so the threads of a batch's
 * shares make their files' folders apart (two threads making folders in one folder wait on each
 * other's lock there), and a share holds the same objects in every pass.
 */
export function isInPartition(
  buf: Uint8Array,
  keyStart: number,
  keyLength: number,
  partition: number,
  partitions: number,
  share: number,
  shares: number,
): boolean {
  const uuid = keyStart + (keyLength === ZARR_KEY_LENGTH ? ZARR_UUID_OFFSET : BLOB_UUID_OFFSET);
  let value = 0;
  for (let i = uuid; i < uuid + 6; i++) value = value * 16 + HEX_VALUE[buf[i]];
  return value % partitions === partition && (value >>> 12) % shares === share;
}
