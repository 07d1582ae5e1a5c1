// AssemblyScript, compiled to src/reduce/reduce-lines-wasm.ts by `npm run build:wasm`.
//
// The fast path of the reduce step's line loop (src/reduce/log-reducer.ts), for the lines AWS writes
// in the usual shape: a time of fixed width, a one-token requester, an operation token, a quoted
// request URI followed by its status block, and a line that reaches its version ID. It decides such
// a line's fate exactly as the JavaScript path would (filtered by operation, by status, by year, as
// not an asset key; or kept, its row written) and stops at any other line (blank, CR-terminated,
// damaged, a spaced requester, a time zone other than +0000, an unusual operation, a malformed field,
// the first row before the header): the JavaScript path takes that one line and calls again. So it
// may stop more often than needed, never decide otherwise.
//
// Why: the JavaScript loop crosses into C++ for every search (`Buffer.indexOf`), 8 to 10 times a
// line; here a search is a loop over 16 bytes at a time. Memory is laid out once by `setUp` and
// never grows, so the views JavaScript holds stay valid.

const TAB: u8 = 0x09;
const NEWLINE: u8 = 0x0a;
const CR: u8 = 0x0d;
const SPACE: u8 = 0x20;
const QUOTE: u8 = 0x22;
const DASH: u8 = 0x2d;
const DOT: u8 = 0x2e;
const SLASH: u8 = 0x2f;
const DIGIT_0: u8 = 0x30;
const DIGIT_2: u8 = 0x32;
const DIGIT_9: u8 = 0x39;
const COLON: u8 = 0x3a;
const UPPER_A: u8 = 0x41;
const UPPER_Z: u8 = 0x5a;
const UNDERSCORE: u8 = 0x5f;
const OPEN_BRACKET: u8 = 0x5b;
const CLOSE_BRACKET: u8 = 0x5d;
const UPPER_T: u8 = 0x54;
const PLUS: u8 = 0x2b;

/** `[06/Feb/2019:00:00:38 +0000]`, as AWS writes it. */
const TIME_FIELD_WIDTH: usize = 28;
const TIME_FIELD_LENGTH: usize = 26;
const ISO_TIMESTAMP_LENGTH: usize = 19;
const MAX_IP_LENGTH: usize = 45;
const MAX_BYTES_SENT_DIGITS: usize = 15;
const UUID_LENGTH: usize = 36;
const BLOB_KEY_LENGTH: usize = 50;
const ZARR_KEY_LENGTH: usize = 41;
/** Longest row: timestamp, tab, IP (45), tab, key (50), tab, bytes (20 digits), tab, status (3), newline. */
const MAX_ROW_BYTES: usize = 19 + 1 + 45 + 1 + 50 + 1 + 20 + 1 + 3 + 1;

/** Why `scan` returned. */
const STOP_NO_LINE: u32 = 0;
const STOP_BAIL: u32 = 1;
const STOP_OUTPUT_FULL: u32 = 2;

// Regions, laid out by setUp.
export let inputAt: usize = 0;
export let outputAt: usize = 0;
let outputBytes: usize = 0;
/** The operation kept (`REST.GET.OBJECT` unless told). */
export let operationAt: usize = 0;
let operationLength: usize = 0;
/** One byte per year 0..9999: 1 when the year's lines are filtered out. */
export let excludedYearsAt: usize = 0;
/**
 * With an IP key, the rows kept leave a hole of a token's length where the address goes, and list
 * it here for JavaScript to fill (src/privacy/ip-token.ts): per row, three u32, the address's start
 * and end in the input region and the hole's offset in the output region. Capacity 0: no key.
 */
export let holesAt: usize = 0;
let holeRoom: u32 = 0;
let holeCapacity: u32 = 0;
export let holeCount: u32 = 0;
const TOKEN_LENGTH: usize = 34;

/** 1 for every byte of an IP address's text form. */
let ipCharacterAt: usize = 0;
/** Month number by the last two letters of its name (see src/s3log/timestamp.ts), and each month's first letter. */
let monthByTailAt: usize = 0;
let firstLetterAt: usize = 0;

// The outcome of a call: counts since the last call, where the output ends, why it stopped.
export let outputLength: usize = 0;
export let stopReason: u32 = 0;
export let lines: u32 = 0;
export let kept: u32 = 0;
export let filteredOperation: u32 = 0;
export let filteredStatus: u32 = 0;
export let filteredYear: u32 = 0;
export let filteredNotAssetKey: u32 = 0;

/**
 * Lays out memory: the input and output regions, room for an operation of `operation` bytes, the
 * token holes (`holes` rows a call), the tables. Call once; `configure` before each use.
 */
export function setUp(input: usize, output: usize, operation: usize, holes: u32): void {
  const tables: usize = 10000 + 256 + (1 << 14) + 16;
  const needed =
    <usize>memory.size() * 65536 + input + output + operation + <usize>holes * 12 + tables + 128;
  memory.grow(<i32>((needed - <usize>memory.size() * 65536 + 0xffff) >> 16));
  let at = (<usize>__heap_base + 15) & ~(<usize>15);
  inputAt = at;
  at += input + 64;
  outputAt = at;
  outputBytes = output;
  at += output;
  operationAt = at;
  at = (at + operation + 3) & ~(<usize>3);
  holesAt = at;
  holeRoom = holes;
  at += <usize>holes * 12;
  excludedYearsAt = at;
  at += 10000;
  ipCharacterAt = at;
  at += 256;
  monthByTailAt = at;
  at += 1 << 14;
  firstLetterAt = at;
  memory.fill(excludedYearsAt, 0, 10000);
  memory.fill(ipCharacterAt, 0, 256);
  for (let c: usize = 0x30; c <= 0x39; c++) store<u8>(ipCharacterAt + c, 1);
  for (let c: usize = 0x61; c <= 0x66; c++) store<u8>(ipCharacterAt + c, 1);
  for (let c: usize = 0x41; c <= 0x46; c++) store<u8>(ipCharacterAt + c, 1);
  store<u8>(ipCharacterAt + DOT, 1);
  store<u8>(ipCharacterAt + COLON, 1);
  memory.fill(monthByTailAt, 0, 1 << 14);
  setMonth(1, "Jan");
  setMonth(2, "Feb");
  setMonth(3, "Mar");
  setMonth(4, "Apr");
  setMonth(5, "May");
  setMonth(6, "Jun");
  setMonth(7, "Jul");
  setMonth(8, "Aug");
  setMonth(9, "Sep");
  setMonth(10, "Oct");
  setMonth(11, "Nov");
  setMonth(12, "Dec");
}

/**
 * Sets what the next reducer keeps: an operation of `operation` bytes (JavaScript writes it at
 * `operationAt`, as it writes the excluded years), and whether its rows hold tokens.
 */
export function configure(operation: usize, tokens: bool): void {
  operationLength = operation;
  holeCapacity = tokens ? holeRoom : 0;
}

function setMonth(month: u8, name: string): void {
  const tail = ((<usize>name.charCodeAt(1) & 0x7f) << 7) | (<usize>name.charCodeAt(2) & 0x7f);
  store<u8>(monthByTailAt + tail, month);
  store<u8>(firstLetterAt + month, <u8>name.charCodeAt(0));
}

/** The first `byte` in `[from, end)`, or `end`. Reads up to 31 bytes past `end`, inside memory (the input region is followed by 64 spare bytes). */
// @ts-ignore: decorator
@inline
function find(from: usize, end: usize, byte: u8): usize {
  const wanted = i8x16.splat(<i8>byte);
  let p = from;
  while (p < end) {
    const low = i8x16.eq(v128.load(p), wanted);
    const high = i8x16.eq(v128.load(p, 16), wanted);
    if (v128.any_true(v128.or(low, high))) {
      const mask = i8x16.bitmask(low) | (i8x16.bitmask(high) << 16);
      const at = p + <usize>ctz(mask);
      return at < end ? at : end;
    }
    p += 32;
  }
  return end;
}

/** The first newline in `[from, end)`, or `end`: lines run to hundreds of bytes, so 64 at a time. */
function findNewline(from: usize, end: usize): usize {
  const wanted = i8x16.splat(<i8>NEWLINE);
  let p = from;
  while (p < end) {
    const a = i8x16.eq(v128.load(p), wanted);
    const b = i8x16.eq(v128.load(p, 16), wanted);
    const c = i8x16.eq(v128.load(p, 32), wanted);
    const d = i8x16.eq(v128.load(p, 48), wanted);
    if (v128.any_true(v128.or(v128.or(a, b), v128.or(c, d)))) {
      const low = <u64>(i8x16.bitmask(a) | (i8x16.bitmask(b) << 16));
      const high = <u64>(i8x16.bitmask(c) | (i8x16.bitmask(d) << 16));
      const at = p + <usize>ctz(low | (high << 32));
      return at < end ? at : end;
    }
    p += 64;
  }
  return end;
}

/** The last `byte` in `[start, end)`, or `start - 1` (as a wrapped-around value when none: check `>= start`). */
function findLast(start: usize, end: usize, byte: u8): isize {
  let p = <isize>end;
  while (p - 16 >= <isize>start) {
    p -= 16;
    const mask = i8x16.bitmask(i8x16.eq(v128.load(<usize>p), i8x16.splat(<i8>byte)));
    if (mask !== 0) return p + 31 - <isize>clz(mask);
  }
  while (p > <isize>start) {
    p--;
    if (load<u8>(<usize>p) === byte) return p;
  }
  return -1;
}

// @ts-ignore: decorator
@inline
function isDigit(c: u8): bool {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

/** An operation token's shape: see `isOperation` in src/s3log/line-locator.ts. */
function isOperation(start: usize, end: usize): bool {
  if (end - start < 5) return false;
  const first = load<u8>(start);
  if (first < UPPER_A || first > UPPER_Z) return false;
  let dots = 0;
  for (let i = start + 1; i < end; i++) {
    const c = load<u8>(i);
    if (c === DOT) dots++;
    else if (!((c >= UPPER_A && c <= UPPER_Z) || isDigit(c) || c === UNDERSCORE)) return false;
  }
  return dots >= 2;
}

function isOperationKept(start: usize, end: usize): bool {
  if (end - start !== operationLength) return false;
  return memory.compare(start, operationAt, operationLength) === 0;
}

/** `123 ` or `- ` at `at`: the offset after the space, or 0. */
function skipNumberOrDash(at: usize, end: usize): usize {
  if (load<u8>(at) === DASH) return load<u8>(at + 1) === SPACE ? at + 2 : 0;
  const start = at;
  while (at < end && isDigit(load<u8>(at))) at++;
  return at > start && at < end && load<u8>(at) === SPACE ? at + 1 : 0;
}

function isRemoteIp(start: usize, end: usize): bool {
  const length = end - start;
  if (length === 1) return load<u8>(start) === DASH;
  if (length < 2 || length > MAX_IP_LENGTH) return false;
  let separators = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = load<u8>(i);
    if (load<u8>(ipCharacterAt + c) !== 1) return false;
    if (c === DOT || c === COLON) separators++;
    else if (isDigit(c)) digits++;
  }
  return separators > 0 && (digits > 0 || length > 2);
}

function twoDigits(at: usize): i32 {
  const a = <i32>load<u8>(at) - DIGIT_0;
  const b = <i32>load<u8>(at + 1) - DIGIT_0;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function isLeap(year: i32): bool {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysIn(month: i32, year: i32): i32 {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The time field `06/Feb/2019:00:00:38 +0000` at `start` written as `2019-02-06T00:00:38` at `out`;
 * false when it is not a valid time or its zone is not +0000 (JavaScript converts other zones).
 */
function writeIsoTimestamp(start: usize, out: usize): bool {
  if (load<u8>(start + 2) !== SLASH || load<u8>(start + 6) !== SLASH || load<u8>(start + 11) !== COLON) return false;
  if (load<u8>(start + 14) !== COLON || load<u8>(start + 17) !== COLON || load<u8>(start + 20) !== SPACE) return false;
  const day = twoDigits(start);
  const m0 = load<u8>(start + 3);
  const m1 = load<u8>(start + 4);
  const m2 = load<u8>(start + 5);
  const month = <i32>load<u8>(monthByTailAt + ((<usize>(m1 & 0x7f) << 7) | <usize>(m2 & 0x7f)));
  if (month === 0 || load<u8>(firstLetterAt + month) !== m0 || m1 >= 0x80 || m2 >= 0x80) return false;
  const high = twoDigits(start + 7);
  const low = twoDigits(start + 9);
  const hour = twoDigits(start + 12);
  const minute = twoDigits(start + 15);
  const second = twoDigits(start + 18);
  if (day < 1 || day > 31 || high < 0 || low < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  if (second < 0 || second > 59) return false;
  // Only +0000 (or -0000) here: another zone needs a conversion, which JavaScript does.
  const sign = load<u8>(start + 21);
  if ((sign !== PLUS && sign !== DASH) || load<u32>(start + 22) !== 0x30303030) return false;
  if (day > 28 && day > daysIn(month, high * 100 + low)) return false;
  store<u32>(out, load<u32>(start + 7));
  store<u8>(out + 4, DASH);
  store<u8>(out + 5, DIGIT_0 + <u8>(month / 10));
  store<u8>(out + 6, DIGIT_0 + <u8>(month % 10));
  store<u8>(out + 7, DASH);
  store<u16>(out + 8, load<u16>(start));
  store<u8>(out + 10, UPPER_T);
  store<u64>(out + 11, load<u64>(start + 12));
  return true;
}

/** Where a `8-4-4-4-12` UUID has its dashes, in the three 16-byte windows `isUuidAt` reads (at 0, 16 and 20). */
const DASHES_0 = i8x16(0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0);
const DASHES_16 = i8x16(0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0);
const DASHES_20 = i8x16(0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

/** Whether the 16 bytes at `at` are lowercase hex digits, but dashes where `dashes` says. */
// @ts-ignore: decorator
@inline
function isUuidWindow(at: usize, dashes: v128): bool {
  const v = v128.load(at);
  const digit = i8x16.lt_u(i8x16.sub(v, i8x16.splat(0x30)), i8x16.splat(10));
  const letter = i8x16.lt_u(i8x16.sub(v, i8x16.splat(0x61)), i8x16.splat(6));
  const dash = i8x16.eq(v, i8x16.splat(<i8>DASH));
  // Hex where no dash is wanted, a dash where one is.
  return i8x16.all_true(v128.bitselect(dash, v128.or(digit, letter), dashes));
}

/** Whether a lowercase `8-4-4-4-12` UUID starts at `start`: see `isUuidAt` in src/dandi/object-key.ts. */
function isUuidAt(start: usize): bool {
  return isUuidWindow(start, DASHES_0) && isUuidWindow(start + 16, DASHES_16) && isUuidWindow(start + 20, DASHES_20);
}

/** Where the reduced asset key of `[start, end)` ends, or 0: see `assetKeyEnd` in src/dandi/object-key.ts. */
function assetKeyEnd(start: usize, end: usize): usize {
  const length = end - start;
  // `blobs/` and `zarr/`, read as little-endian words.
  if (length === BLOB_KEY_LENGTH && load<u32>(start) === 0x626f6c62 && load<u16>(start + 4) === 0x2f73) {
    const uuid = start + 14;
    const ok =
      load<u8>(start + 9) === SLASH &&
      load<u8>(start + 13) === SLASH &&
      load<u8>(start + 6) === load<u8>(uuid) &&
      load<u8>(start + 7) === load<u8>(uuid + 1) &&
      load<u8>(start + 8) === load<u8>(uuid + 2) &&
      load<u8>(start + 10) === load<u8>(uuid + 3) &&
      load<u8>(start + 11) === load<u8>(uuid + 4) &&
      load<u8>(start + 12) === load<u8>(uuid + 5) &&
      isUuidAt(uuid);
    return ok ? end : 0;
  }
  if (length >= ZARR_KEY_LENGTH && load<u32>(start) === 0x7272617a && load<u8>(start + 4) === SLASH) {
    const keyEnd = start + ZARR_KEY_LENGTH;
    if (!isUuidAt(start + 5)) return 0;
    if (keyEnd === end) return keyEnd;
    if (load<u8>(keyEnd) !== SLASH) return 0;
    for (let i = keyEnd + 1; i + 1 < end; i++) if (load<u8>(i) === DOT && load<u8>(i + 1) === DOT) return 0;
    return keyEnd;
  }
  return 0;
}

function isWholeNumber(start: usize, end: usize): bool {
  if (end <= start || end - start > MAX_BYTES_SENT_DIGITS) return false;
  for (let i = start; i < end; i++) if (!isDigit(load<u8>(i))) return false;
  return true;
}

/**
 * Copies `length` bytes (a field of a row, at most 50) 8 at a time; may write up to 7 bytes past
 * them, which the row's next field or the output's spare room takes. Returns the end.
 */
// @ts-ignore: decorator
@inline
function copy(to: usize, from: usize, length: usize): usize {
  for (let i: usize = 0; i < length; i += 8) store<u64>(to + i, load<u64>(from + i));
  return to + length;
}

/**
 * Reduces the lines of the input region from `start` to `end` (offsets into it), rows written to the
 * output region, until a line needs the JavaScript path (`STOP_BAIL`: the
 * returned offset is that line's start), the output, filled from `outputStart`, has no room for
 * another row or no more token holes (`STOP_OUTPUT_FULL`), or no complete line is left (`STOP_NO_LINE`: the returned offset is where
 * the incomplete one starts). `headerWritten` false makes the first row to keep a bail, so that
 * JavaScript writes the header before it. Counts are of this call only.
 */
export function scan(start: usize, end: usize, outputStart: usize, headerWritten: bool): usize {
  lines = 0;
  kept = 0;
  filteredOperation = 0;
  filteredStatus = 0;
  filteredYear = 0;
  filteredNotAssetKey = 0;
  holeCount = 0;
  const base = inputAt;
  const limit = base + end;
  const outEnd = outputAt + outputBytes;
  let out = outputAt + outputStart;
  let p = base + start;
  while (true) {
    if (out + MAX_ROW_BYTES > outEnd || (holeCapacity > 0 && holeCount === holeCapacity)) {
      stopReason = STOP_OUTPUT_FULL;
      break;
    }
    const lineEnd = findNewline(p, limit);
    if (lineEnd >= limit) {
      stopReason = STOP_NO_LINE;
      break;
    }
    const fate = reduceLine(p, lineEnd, out, headerWritten);
    if (fate === BAIL) {
      stopReason = STOP_BAIL;
      break;
    }
    lines++;
    if (fate !== FILTERED) {
      out = fate;
      kept++;
    }
    p = lineEnd + 1;
  }
  outputLength = out - outputAt;
  return p - base;
}

// The fate of a line: a bail, filtered, or kept (then the end of its row, an address past both).
const BAIL: usize = 0;
const FILTERED: usize = 1;

function reduceLine(start: usize, end: usize, out: usize, headerWritten: bool): usize {
  if (end === start) return BAIL;
  const first = load<u8>(start);
  // A blank line, or one ending in CR: JavaScript decides.
  if (first === SPACE || first === TAB || first === CR || load<u8>(end - 1) === CR) return BAIL;

  // Head: the time's bracket, the time at its fixed width, the remote IP, requester, request ID, operation.
  const bracket = find(start, end, OPEN_BRACKET);
  if (bracket >= end || bracket === start || load<u8>(bracket - 1) !== SPACE) return BAIL;
  if (
    !(
      bracket + TIME_FIELD_WIDTH < end &&
      load<u8>(bracket + TIME_FIELD_WIDTH - 1) === CLOSE_BRACKET &&
      load<u8>(bracket + TIME_FIELD_WIDTH) === SPACE
    )
  )
    return BAIL;
  const timeStart = bracket + 1;
  const ipStart = bracket + TIME_FIELD_WIDTH + 1;
  const ipEnd = find(ipStart, end, SPACE);
  if (ipEnd >= end) return BAIL;
  const requester = ipEnd + 1;
  const requesterEnd =
    load<u8>(requester) === DASH && load<u8>(requester + 1) === SPACE ? requester + 1 : find(requester, end, SPACE);
  if (requesterEnd >= end) return BAIL;
  const requestIdEnd = find(requesterEnd + 1, end, SPACE);
  if (requestIdEnd >= end) return BAIL;
  const operationStart = requestIdEnd + 1;
  const operationEnd = find(operationStart, end, SPACE);
  if (operationEnd >= end) return BAIL;
  if (!isOperationKept(operationStart, operationEnd)) {
    if (!isOperation(operationStart, operationEnd)) return BAIL;
    filteredOperation++;
    return FILTERED;
  }

  // Tail: the key, the quoted request URI and the status block after it, and a line that reaches its version ID.
  const keyStart = operationEnd + 1;
  const keyEnd = find(keyStart, end, SPACE);
  if (keyEnd >= end) return BAIL;
  const uri = keyEnd + 1;
  if (load<u8>(uri) !== QUOTE) return BAIL;
  let close = find(uri + 1, end, QUOTE);
  let status: usize = 0;
  let bytesStart: usize = 0;
  let bytesEnd: usize = 0;
  let afterObjectSize: usize = 0;
  while (close < end) {
    // ` 200 NoSuchKey 512 1024 `: see `matchStatusBlock` in src/s3log/line-locator.ts.
    const q = close + 1;
    if (load<u8>(q) === SPACE) {
      let at = q + 1;
      let shaped = true;
      if (load<u8>(at) === DASH) at++;
      else if (isDigit(load<u8>(at)) && isDigit(load<u8>(at + 1)) && isDigit(load<u8>(at + 2))) at += 3;
      else shaped = false;
      if (shaped && load<u8>(at) === SPACE) {
        const errorEnd = find(at + 1, end, SPACE);
        if (errorEnd < end) {
          const objectSize = skipNumberOrDash(errorEnd + 1, end);
          const after: usize = objectSize === 0 ? 0 : skipNumberOrDash(objectSize, end);
          if (after !== 0) {
            status = q + 1;
            bytesStart = errorEnd + 1;
            bytesEnd = objectSize - 1;
            afterObjectSize = after;
            // The status field: from after the space to before the error code.
            if (at - status !== 3) status = 0xffffffff;
            break;
          }
        }
      }
    }
    close = find(close + 1, end, QUOTE);
  }
  if (close >= end || status === 0 || status === 0xffffffff) return BAIL;
  // The cheap completeness check: the last quote lies past the status block, then a space and a byte.
  const lastQuote = findLast(start, end, QUOTE);
  if (!(lastQuote >= <isize>afterObjectSize && lastQuote + 2 < <isize>end && load<u8>(<usize>lastQuote + 1) === SPACE))
    return BAIL;

  if (load<u8>(status) !== DIGIT_2) {
    filteredStatus++;
    return FILTERED;
  }
  if (!isRemoteIp(ipStart, ipEnd)) return BAIL;
  if (!headerWritten) return BAIL;
  if (!writeIsoTimestamp(timeStart, out)) return BAIL;
  const year = <usize>twoDigits(out) * 100 + <usize>twoDigits(out + 2);
  if (load<u8>(excludedYearsAt + year) !== 0) {
    filteredYear++;
    return FILTERED;
  }
  const assetEnd = assetKeyEnd(keyStart, keyEnd);
  if (assetEnd === 0) {
    filteredNotAssetKey++;
    return FILTERED;
  }
  const bytesIsDash = bytesEnd - bytesStart === 1 && load<u8>(bytesStart) === DASH;
  if (!bytesIsDash && !isWholeNumber(bytesStart, bytesEnd)) return BAIL;

  let o = out + ISO_TIMESTAMP_LENGTH;
  store<u8>(o++, TAB);
  if (holeCapacity === 0 || (ipEnd - ipStart === 1 && load<u8>(ipStart) === DASH)) {
    o = copy(o, ipStart, ipEnd - ipStart);
  } else {
    // The address's token, which JavaScript writes (`-`, no address, stays as it is).
    const hole = holesAt + <usize>holeCount * 12;
    store<u32>(hole, ipStart - inputAt);
    store<u32>(hole, ipEnd - inputAt, 4);
    store<u32>(hole, o - outputAt, 8);
    holeCount++;
    o += TOKEN_LENGTH;
  }
  store<u8>(o++, TAB);
  o = copy(o, keyStart, assetEnd - keyStart);
  store<u8>(o++, TAB);
  if (bytesIsDash) store<u8>(o++, DIGIT_0);
  else o = copy(o, bytesStart, bytesEnd - bytesStart);
  store<u8>(o++, TAB);
  store<u8>(o, load<u8>(status));
  store<u8>(o + 1, load<u8>(status + 1));
  store<u8>(o + 2, load<u8>(status + 2));
  store<u8>(o + 3, NEWLINE);
  return o + 4;
}
