/**
 * The log's time field, `06/Feb/2019:00:00:38 +0000` (brackets already stripped), written as the
 * reduced tables want it: `2019-02-06T00:00:38`, in UTC with no zone.
 */

const DIGIT_0 = 0x30;
const SLASH = 0x2f;
const COLON = 0x3a;
const SPACE = 0x20;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DASH = MINUS;
const T = 0x54;
export const TIME_FIELD_LENGTH = 26;
export const ISO_TIMESTAMP_LENGTH = 19;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** Month number by the last two letters of its name (unique among the twelve); a Map lookup was a tenth of the row cost. */
const MONTH_BY_TAIL = new Uint8Array(1 << 14);
const FIRST_LETTER_BY_MONTH = new Uint8Array(13);
MONTHS.forEach((name, index) => {
  MONTH_BY_TAIL[((name.charCodeAt(1) & 0x7f) << 7) | (name.charCodeAt(2) & 0x7f)] = index + 1;
  FIRST_LETTER_BY_MONTH[index + 1] = name.charCodeAt(0);
});

/** Days of each month (1-based) in a common year. */
const DAYS_IN_MONTH = new Uint8Array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);

function isPastMonthEnd(day: number, month: number, year: number): boolean {
  if (day <= DAYS_IN_MONTH[month]) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return !(month === 2 && day === 29 && leap);
}

function monthAt(buf: Uint8Array, at: number): number {
  const month = MONTH_BY_TAIL[((buf[at + 1] & 0x7f) << 7) | (buf[at + 2] & 0x7f)];
  return month !== 0 && FIRST_LETTER_BY_MONTH[month] === buf[at] && buf[at + 1] < 0x80 && buf[at + 2] < 0x80
    ? month
    : -1;
}

function twoDigits(buf: Uint8Array, at: number): number {
  const a = buf[at] - DIGIT_0;
  const b = buf[at + 1] - DIGIT_0;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function fourDigits(buf: Uint8Array, at: number): number {
  const high = twoDigits(buf, at);
  const low = twoDigits(buf, at + 2);
  return high < 0 || low < 0 ? -1 : high * 100 + low;
}

/**
 * Writes the ISO form of the time field at `buf[start, end)` into `out` at `at`.
 * Returns the offset after it, or -1 when the field is not a valid time.
 */
export function writeIsoTimestamp(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
): number {
  if (end - start !== TIME_FIELD_LENGTH) return -1;
  if (buf[start + 2] !== SLASH || buf[start + 6] !== SLASH || buf[start + 11] !== COLON) return -1;
  if (buf[start + 14] !== COLON || buf[start + 17] !== COLON || buf[start + 20] !== SPACE) return -1;
  const day = twoDigits(buf, start);
  const month = monthAt(buf, start + 3);
  const year = fourDigits(buf, start + 7);
  const hour = twoDigits(buf, start + 12);
  const minute = twoDigits(buf, start + 15);
  const second = twoDigits(buf, start + 18);
  const sign = buf[start + 21];
  const zone = fourDigits(buf, start + 22);
  if (day < 1 || day > 31 || month < 0 || year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59)
    return -1;
  if (second < 0 || second > 59 || zone < 0 || (sign !== PLUS && sign !== MINUS)) return -1;
  // `31/Feb` is no date; days up to 28 exist in every month, so most lines skip the table.
  if (day > 28 && isPastMonthEnd(day, month, year)) return -1;
  if (zone === 0) {
    // The usual case: copy the digits across, no Date object.
    out[at] = buf[start + 7];
    out[at + 1] = buf[start + 8];
    out[at + 2] = buf[start + 9];
    out[at + 3] = buf[start + 10];
    out[at + 4] = DASH;
    out[at + 5] = DIGIT_0 + ((month / 10) | 0);
    out[at + 6] = DIGIT_0 + (month % 10);
    out[at + 7] = DASH;
    out[at + 8] = buf[start];
    out[at + 9] = buf[start + 1];
    out[at + 10] = T;
    for (let i = 0; i < 8; i++) out[at + 11 + i] = buf[start + 12 + i];
    return at + ISO_TIMESTAMP_LENGTH;
  }
  const offsetMinutes = (sign === PLUS ? 1 : -1) * (Math.floor(zone / 100) * 60 + (zone % 100));
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000);
  const iso = utc.toISOString().slice(0, ISO_TIMESTAMP_LENGTH);
  for (let i = 0; i < ISO_TIMESTAMP_LENGTH; i++) out[at + i] = iso.charCodeAt(i);
  return at + ISO_TIMESTAMP_LENGTH;
}

/** `06/Feb/2019:00:00:38 +0000` as `2019-02-06T00:00:38` (UTC), or null when it is not a valid time. */
export function isoTimestampOf(timeField: string): string | null {
  const buf = Buffer.from(timeField, "latin1");
  const out = Buffer.alloc(ISO_TIMESTAMP_LENGTH);
  return writeIsoTimestamp(buf, 0, buf.length, out, 0) === -1 ? null : out.toString("latin1");
}
