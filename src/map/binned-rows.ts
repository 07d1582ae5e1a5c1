import { BINNED_HEADER, BINNED_STATUS_HEADER } from "../io/table-headers.js";
import { type AddressColumns, HASH_START, hashStep } from "./address-columns.js";

/**
 * Reading the rows of a binned object file (`timestamp\tbytes_sent\tip_address[\tstatus]`), byte
 * by byte: the fields, the time as a number, and the address as the id of its column.
 */

/** The headers of a binned object file: with the HTTP status (this version), and the original tool's. */
const BINNED_HEADER_LINE = BINNED_HEADER.trimEnd();
const BINNED_STATUS_HEADER_LINE = BINNED_STATUS_HEADER.trimEnd();

const TAB = 0x09;
const NEWLINE = 0x0a;
const CR = 0x0d;
const DIGIT_0 = 0x30;
export const TIMESTAMP_LENGTH = 19;
/** Byte counts up to 15 digits stay exact in a double. */
const MAX_BYTES_DIGITS = 15;

export class BinnedHeaderError extends Error {
  override name = "BinnedHeaderError";
}

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
export function daysOfDay(day: number): number {
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
export interface BinnedRow {
  key: number;
  size: number;
  column: number;
  /** The HTTP status, or 0 when the row has none (an earlier version's, or the original tool's). */
  status: number;
  /** Where the next line starts. */
  next: number;
}

/**
 * Reads the binned row at `lineStart` into `row` and returns null, or returns why it is not one
 * (then `row.next` is still where the next line starts). One walk over the bytes: a native
 * indexOf per line and per field cost more than the walk for lines of 50 bytes (measured: a third
 * of the time of a million rows).
 */
export function readBinnedRow(
  buf: Buffer,
  lineStart: number,
  columns: AddressColumns,
  row: BinnedRow,
): string | null {
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
