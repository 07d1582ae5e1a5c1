// AssemblyScript, compiled to src/bin/reduced-rows-wasm.ts by `npm run build:wasm`.
//
// The fast path of the bin step's row parser (src/bin/reduced-row-parser.ts), for the rows that are
// valid as written by reduce: `timestamp \t ip_address \t key \t bytes_sent \t status \n` (or, in a
// day of the original format, without `\t status`) with a 41-byte Zarr key or a 50-byte blob key. JavaScript spends the first few thousand rows of a run interpreting its
// parser before the optimizing compiler has caught up (about 35 ms of a 250 ms daily run), while
// WebAssembly is compiled before it runs. It accepts a row only if the JavaScript parser would
// accept it, and stops at any other line (header, blank, damaged, a key with a path inside a Zarr):
// the JavaScript parser takes that one line and calls back. Keys and their ids live here, for both.
//
// It also holds the pass's rows (the RowStore's arena and arrays, placed by JavaScript with
// `allocate`) and arranges them by object, for the same reason. Memory is laid out by a bump
// allocator and never freed: an instance lives for one pass. A region that grows moves to the end.

const TAB: u8 = 0x09;
const NEWLINE: u8 = 0x0a;
const CR: u8 = 0x0d;
const DASH: u8 = 0x2d;
const TIMESTAMP_LENGTH: usize = 19;
const ZARR_KEY_LENGTH: usize = 41;
const BLOB_KEY_LENGTH: usize = 50;
const MAX_IP_LENGTH: usize = 45;
const MAX_BYTES_SENT_DIGITS: usize = 15;
/** Bytes kept per key: its length, then the key; 64 keeps slots aligned. */
const KEY_SLOT_BYTES: usize = 64;

let heapEnd: usize = 0;

/**
 * A region of `bytes` bytes, zeroed if never used before; 0 when memory cannot grow that far (wasm32
 * addresses 4 GB; sums are taken in 64 bits, so they cannot wrap). Sets `outOfMemory`.
 */
export function allocate(bytes: usize): usize {
  const at = (<u64>heapEnd + 15) & ~(<u64>15);
  const end = at + <u64>bytes;
  const have = <u64>memory.size() << 16;
  if (end > have) {
    if (end > (<u64>1 << 32) || memory.grow(<i32>((end - have + 0xffff) >> 16)) < 0) {
      outOfMemory = 1;
      return 0;
    }
  }
  heapEnd = <usize>end;
  return <usize>at;
}

/** Set when an allocation failed: the call's results are then not to be used. */
export let outOfMemory: u32 = 0;

// Regions, published for JavaScript.
export let inputStart: usize = 0;
export let scratchKey: usize = 0;
export let keySlots: usize = 0;

// What the last call to `parse` did.
export let rowsAdded: u32 = 0;
export let bytesAdded: u32 = 0;
export let validRows: u32 = 0;
/** Lines of other shares passed over (see `ownerOf`). */
export let skippedLines: u32 = 0;
export let firstTimestamp: f64 = -1;
export let lastTimestamp: f64 = -1;
export let keyCount: u32 = 0;

let table: usize = 0;
let tableMask: u32 = 0;
let keyCapacity: u32 = 0;

/** Sets up the regions for input chunks of up to `capacity` bytes. */
export function init(capacity: u32): void {
  heapEnd = (<usize>__heap_base + 15) & ~(<usize>15);
  // Reads may look a few bytes past a chunk's last newline; the slack keeps them inside memory.
  inputStart = allocate(capacity + 64);
  scratchKey = allocate(KEY_SLOT_BYTES);
  keyCount = 0;
  keyCapacity = 1024;
  keySlots = allocate(<usize>keyCapacity * KEY_SLOT_BYTES);
  tableMask = 4096 - 1;
  table = allocate(4096 << 2);
  memory.fill(table, 0, 4096 << 2);
}

// ---- Timestamps: YYYY-MM-DDTHH:MM:SS as the number YYYYMMDDHHMMSS, as in src/bin/timestamp.ts.

@inline function digit(p: usize): i32 {
  return <i32>load<u8>(p) - 0x30;
}

function timestampAt(p: usize): f64 {
  if (
    load<u8>(p + 4) != DASH ||
    load<u8>(p + 7) != DASH ||
    load<u8>(p + 10) != 0x54 ||
    load<u8>(p + 13) != 0x3a ||
    load<u8>(p + 16) != 0x3a
  )
    return -1;
  const y0 = digit(p), y1 = digit(p + 1), y2 = digit(p + 2), y3 = digit(p + 3);
  const m0 = digit(p + 5), m1 = digit(p + 6), d0 = digit(p + 8), d1 = digit(p + 9);
  const h0 = digit(p + 11), h1 = digit(p + 12), i0 = digit(p + 14), i1 = digit(p + 15);
  const s0 = digit(p + 17), s1 = digit(p + 18);
  const bad =
    y0 | (9 - y0) | y1 | (9 - y1) | y2 | (9 - y2) | y3 | (9 - y3) |
    m0 | (9 - m0) | m1 | (9 - m1) | d0 | (9 - d0) | d1 | (9 - d1) |
    h0 | (9 - h0) | h1 | (9 - h1) | i0 | (9 - i0) | i1 | (9 - i1) | s0 | (9 - s0) | s1 | (9 - s1);
  if (bad < 0) return -1;
  const month = m0 * 10 + m1;
  const day = d0 * 10 + d1;
  const hour = h0 * 10 + h1;
  const minute = i0 * 10 + i1;
  const second = s0 * 10 + s1;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return -1;
  const date = ((y0 * 10 + y1) * 10 + y2) * 10 + y3;
  return <f64>((date * 100 + month) * 100 + day) * 1000000.0 + <f64>(hour * 10000 + minute * 100 + second);
}

// ---- Keys, as in src/dandi/object-key.ts.

@inline function isHex(c: u32): bool {
  return (c - 0x30 < 10) || (c - 0x61 < 6);
}

function isUuidAt(p: usize): bool {
  if (load<u8>(p + 8) != DASH || load<u8>(p + 13) != DASH || load<u8>(p + 18) != DASH || load<u8>(p + 23) != DASH)
    return false;
  for (let i: usize = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    if (!isHex(<u32>load<u8>(p + i))) return false;
  }
  return true;
}

/** `blobs/aaa/bbb/<uuid>`, the 3 + 3 being the uuid's first six digits. */
function isBlobKey(p: usize): bool {
  return (
    load<u32>(p) == 0x626f6c62 && // "blob"
    load<u8>(p + 4) == 0x73 && // "s"
    load<u8>(p + 5) == 0x2f &&
    load<u8>(p + 9) == 0x2f &&
    load<u8>(p + 13) == 0x2f &&
    load<u8>(p + 6) == load<u8>(p + 14) &&
    load<u8>(p + 7) == load<u8>(p + 15) &&
    load<u8>(p + 8) == load<u8>(p + 16) &&
    load<u8>(p + 10) == load<u8>(p + 17) &&
    load<u8>(p + 11) == load<u8>(p + 18) &&
    load<u8>(p + 12) == load<u8>(p + 19) &&
    isUuidAt(p + 14)
  );
}

/** `zarr/<uuid>`. */
function isZarrKey(p: usize): bool {
  return load<u32>(p) == 0x7272617a && load<u8>(p + 4) == 0x2f && isUuidAt(p + 5); // "zarr/"
}

@inline function uuidOffset(length: usize): usize {
  return length == ZARR_KEY_LENGTH ? 5 : 14;
}

function keyHash(p: usize, length: usize): u32 {
  const uuid = p + uuidOffset(length);
  let hash: u32 = (<u32>length ^ load<u32>(uuid)) * 0x9e3779b1;
  hash = (hash ^ load<u32>(uuid + 4)) * 0x9e3779b1;
  return hash ^ (hash >> 16);
}

function sameKey(slot: usize, p: usize, length: usize): bool {
  if (<usize>load<u8>(slot) != length) return false;
  return memory.compare(slot + 1, p, length) == 0;
}

/** The id of the key of `length` bytes at `p`, or -1. */
function findKey(p: usize, length: usize): i32 {
  let slot = keyHash(p, length) & tableMask;
  let entry = load<u32>(table + (<usize>slot << 2));
  while (entry != 0) {
    if (sameKey(keySlots + <usize>(entry - 1) * KEY_SLOT_BYTES, p, length)) return <i32>(entry - 1);
    slot = (slot + 1) & tableMask;
    entry = load<u32>(table + (<usize>slot << 2));
  }
  return -1;
}

function insertId(id: u32): void {
  const slot0 = keySlots + <usize>id * KEY_SLOT_BYTES;
  let slot = keyHash(slot0 + 1, <usize>load<u8>(slot0)) & tableMask;
  while (load<u32>(table + (<usize>slot << 2)) != 0) slot = (slot + 1) & tableMask;
  store<u32>(table + (<usize>slot << 2), id + 1);
}

function addKey(p: usize, length: usize): i32 {
  if (keyCount == keyCapacity) {
    const grown = allocate(<usize>keyCapacity * 2 * KEY_SLOT_BYTES);
    if (grown == 0) return -1;
    memory.copy(grown, keySlots, <usize>keyCapacity * KEY_SLOT_BYTES);
    keySlots = grown;
    keyCapacity *= 2;
  }
  const id = keyCount;
  const slot = keySlots + <usize>id * KEY_SLOT_BYTES;
  store<u8>(slot, <u8>length);
  memory.copy(slot + 1, p, length);
  keyCount = id + 1;
  // Kept at most a quarter full, so probes stay short.
  if (<usize>keyCount * 4 > <usize>tableMask + 1) {
    const size = (<usize>tableMask + 1) << 1;
    const grown = allocate(size << 2);
    if (grown == 0) return -1;
    table = grown;
    memory.fill(table, 0, size << 2);
    tableMask = <u32>size - 1;
    for (let other: u32 = 0; other < keyCount; other++) insertId(other);
  } else {
    insertId(id);
  }
  return <i32>id;
}

/**
 * The id of a checked key of `length` bytes written at `scratchKey`, added if new: the JavaScript
 * parser's lookup, for the lines it takes.
 */
export function idOfScratchKey(length: u32): i32 {
  const found = findKey(scratchKey, length);
  return found >= 0 ? found : addKey(scratchKey, length);
}

/**
 * Whether an object is in pass `partition` of `partitions` and share `share` of `shares`, by the
 * first six hex digits of its uuid, as ReducedRowParser's inPartition tells it.
 */
function isInPartition(p: usize, length: usize, partition: u32, partitions: u32, share: u32, shares: u32): bool {
  const uuid = p + uuidOffset(length);
  let value: u32 = 0;
  for (let i: usize = 0; i < 6; i++) {
    const c = <u32>load<u8>(uuid + i);
    value = value * 16 + (c <= 0x39 ? c - 0x30 : c - 0x61 + 10);
  }
  return value % partitions == partition && (value >>> 12) % shares == share;
}

// ---- Shares: which thread's a line is, as ReducedRowParser's ownerOf tells it.

const ONES: u64 = 0x0101010101010101;
const HIGHS: u64 = 0x8080808080808080;

/** The bytes of `word` equal to the byte repeated in `pattern`, as their high bits (exact up to the first). */
@inline function bytesEqual(word: u64, pattern: u64): u64 {
  const x = word ^ pattern;
  return (x - ONES) & ~x & HIGHS;
}

/** Where the first newline at or after `p` is, eight bytes at a time (the input ends just past one). */
function newlineFrom(p: usize): usize {
  let found: u64 = 0;
  while (found == 0) {
    found = bytesEqual(load<u64>(p), 0x0a0a0a0a0a0a0a0a);
    p += 8;
  }
  return p - 8 + <usize>(ctz(found) >> 3);
}

/** Where the first tab or newline at or after `p` is, eight bytes at a time. */
function tabOrNewlineFrom(p: usize): usize {
  let found: u64 = 0;
  while (found == 0) {
    const word = load<u64>(p);
    found = bytesEqual(word, 0x0909090909090909) | bytesEqual(word, 0x0a0a0a0a0a0a0a0a);
    p += 8;
  }
  return p - 8 + <usize>(ctz(found) >> 3);
}

/**
 * The share of the line at `s`: when its third field starts `zarr/` or `blobs/` with six hex digits
 * where the uuid begins, that of the uuid (as `isInPartition` gives a valid row's object), else 0.
 * Decided by the line's own bytes before it is checked, so that each thread checks and counts its
 * own lines alone. The bytes looked at past the second tab are all checked to be what a key holds,
 * so none of them is the line's newline.
 */
function ownerOf(s: usize, shares: u32): u32 {
  const first = tabOrNewlineFrom(s);
  if (load<u8>(first) != TAB) return 0;
  const second = tabOrNewlineFrom(first + 1);
  if (load<u8>(second) != TAB) return 0;
  const key = second + 1;
  let uuid: usize = 0;
  if (load<u32>(key) == 0x7272617a && load<u8>(key + 4) == 0x2f) uuid = key + 5; // "zarr/"
  else if (load<u32>(key) == 0x626f6c62 && load<u16>(key + 4) == 0x2f73) uuid = key + 14; // "blobs/"
  else return 0;
  let value: u32 = 0;
  for (let i: usize = 0; i < 6; i++) {
    const c = <u32>load<u8>(uuid + i);
    if (!isHex(c)) return 0;
    value = value * 16 + (c <= 0x39 ? c - 0x30 : c - 0x61 + 10);
  }
  return (value >>> 12) % shares;
}

// ---- Rows.

@inline function ipByte(c: u32): u32 {
  // 0: not in an address; 1: `.` or `:`; 2: digit; 3: hex letter.
  if (c - 0x30 < 10) return 2;
  if (c == 0x2e || c == 0x3a) return 1;
  if ((c | 0x20) - 0x61 < 6) return 3;
  return 0;
}

/**
 * Parses the rows of `[start, end)` (inside the input region, `end` just past a newline) until the
 * end or the first line it leaves to JavaScript, whose start it returns. Accepted rows of
 * `partition` and `share` are added to the RowStore's arena and arrays (row `rows` on, the arena from
 * `arenaLength` on; JavaScript made room) as binned rows of day `day`. With `status` (1) rows have
 * the HTTP status as a fifth column, which the binned row keeps as its fourth. With `shares` above
 * 1, lines of other shares are passed over unchecked and counted in `skippedLines`.
 */
export function parse(
  start: usize,
  end: usize,
  partition: u32,
  partitions: u32,
  share: u32,
  shares: u32,
  arena: usize,
  arenaLength: u32,
  ends: usize,
  timestamps: usize,
  objects: usize,
  days: usize,
  rows: u32,
  day: u32,
  status: u32,
): usize {
  rowsAdded = 0;
  validRows = 0;
  skippedLines = 0;
  firstTimestamp = -1;
  lastTimestamp = -1;
  let out = arena + <usize>arenaLength;
  let row = <usize>rows;
  let s = start;
  while (s < end) {
    if (shares > 1 && ownerOf(s, shares) != share) {
      skippedLines++;
      s = newlineFrom(s) + 1;
      continue;
    }
    const timestamp = timestampAt(s);
    if (timestamp < 0 || load<u8>(s + TIMESTAMP_LENGTH) != TAB) break;
    const ipStart = s + TIMESTAMP_LENGTH + 1;
    let p = ipStart;
    let separators = 0;
    let digits = 0;
    for (;;) {
      const kind = ipByte(<u32>load<u8>(p));
      if (kind == 0) break;
      if (kind == 1) separators++;
      else if (kind == 2) digits++;
      p++;
    }
    if (p == ipStart && load<u8>(p) == DASH) p++;
    const ipEnd = p;
    const ipLength = ipEnd - ipStart;
    if (load<u8>(p) != TAB) break;
    if (ipLength == 1) {
      if (load<u8>(ipStart) != DASH) break;
    } else if (!(ipLength >= 2 && ipLength <= MAX_IP_LENGTH && separators > 0 && (digits > 0 || ipLength > 2))) {
      break;
    }
    const keyStart = p + 1;
    // Where the JavaScript parser takes the key field to end: the two checked lengths first.
    let keyLength: usize = 0;
    if (load<u8>(keyStart + ZARR_KEY_LENGTH) == TAB) keyLength = ZARR_KEY_LENGTH;
    else if (keyStart + BLOB_KEY_LENGTH < end - 1 && load<u8>(keyStart + BLOB_KEY_LENGTH) == TAB)
      keyLength = BLOB_KEY_LENGTH;
    else break;
    let object = findKey(keyStart, keyLength);
    if (object < 0) {
      if (keyLength == ZARR_KEY_LENGTH ? !isZarrKey(keyStart) : !isBlobKey(keyStart)) break;
      object = addKey(keyStart, keyLength);
      if (object < 0) break;
    }
    const bytesStart = keyStart + keyLength + 1;
    p = bytesStart;
    while (<u32>load<u8>(p) - 0x30 < 10) p++;
    const bytesEnd = p;
    // The status: a tab and three digits, moved as one 4-byte word (unaligned loads are allowed).
    let statusWord: u32 = 0;
    if (status != 0) {
      if (
        load<u8>(p) != TAB ||
        <u32>load<u8>(p + 1) - 0x30 >= 10 ||
        <u32>load<u8>(p + 2) - 0x30 >= 10 ||
        <u32>load<u8>(p + 3) - 0x30 >= 10
      )
        break;
      statusWord = load<u32>(p);
      p += 4;
    }
    if (load<u8>(p) == CR) p++;
    if (load<u8>(p) != NEWLINE || bytesEnd == bytesStart || bytesEnd - bytesStart > MAX_BYTES_SENT_DIGITS) break;
    validRows++;
    if (firstTimestamp < 0 || timestamp < firstTimestamp) firstTimestamp = timestamp;
    if (timestamp > lastTimestamp) lastTimestamp = timestamp;
    if ((partitions == 1 && shares == 1) || isInPartition(keyStart, keyLength, partition, partitions, share, shares)) {
      memory.copy(out, s, TIMESTAMP_LENGTH);
      out += TIMESTAMP_LENGTH;
      store<u8>(out++, TAB);
      memory.copy(out, bytesStart, bytesEnd - bytesStart);
      out += bytesEnd - bytesStart;
      store<u8>(out++, TAB);
      memory.copy(out, ipStart, ipLength);
      out += ipLength;
      if (status != 0) {
        store<u32>(out, statusWord);
        out += 4;
      }
      store<u8>(out++, NEWLINE);
      store<f64>(timestamps + (row << 3), timestamp);
      store<u32>(objects + (row << 2), <u32>object);
      store<u32>(days + (row << 2), day);
      row++;
      store<u32>(ends + (row << 2), <u32>(out - arena));
    }
    s = p + 1;
  }
  rowsAdded = <u32>(row - <usize>rows);
  bytesAdded = <u32>(out - arena) - arenaLength;
  return s;
}

// ---- Arranging a pass's rows by object, as RowStore.arrangeByObject describes.

// Where `arrange` put its results; 0 in outBytes when memory could not grow.
export let outGroupStart: usize = 0;
export let outObjectStart: usize = 0;
export let outOrder: usize = 0;
export let outBytes: usize = 0;

@inline function u32At(base: usize, i: usize): u32 {
  return load<u32>(base + (i << 2));
}

@inline function setU32(base: usize, i: usize, value: u32): void {
  store<u32>(base + (i << 2), value);
}

@inline function f64At(base: usize, i: usize): f64 {
  return load<f64>(base + (i << 3));
}

/**
 * Groups the `rows` rows by object, each group sorted by timestamp with ties in input order, and
 * copies them in that order into one region where each object's rows follow a copy of the header:
 * an object file's new content is then one slice, written with one call. `objects` (each row's
 * object id) is overwritten with where each row went.
 *
 * Rows are pushed in input order to the next free place of their object (reads in order, writes to
 * one moving place per object), rather than pulled object by object from all over the arena: the
 * pull cost a cache and TLB miss a row, 37 ms against 27 ms in JavaScript on the bench's busy day.
 * Objects whose rows did not come in time order (1,119 of 3,000 there, whose first rows are stamped
 * in the last minute of the day before) are then put in order within their own slice.
 */
export function arrange(
  objectCount: u32,
  rows: u32,
  arena: usize,
  ends: usize,
  timestamps: usize,
  objects: usize,
  header: usize,
  headerLength: u32,
): void {
  const n = <usize>objectCount;
  const groupStart = allocate((n + 1) << 2);
  const objectStart = allocate((n + 1) << 2);
  const unordered = allocate(n);
  const latest = allocate(n << 3);
  const order = allocate(<usize>rows << 2);
  const next = allocate(n << 2);
  const nextInOrder = allocate(n << 2);
  outBytes = 0;
  if (groupStart == 0 || objectStart == 0 || unordered == 0 || latest == 0 || order == 0 || next == 0 || nextInOrder == 0)
    return;
  for (let i: usize = 0; i < <usize>rows; i++) {
    const o = <usize>u32At(objects, i);
    setU32(groupStart, o + 1, u32At(groupStart, o + 1) + 1);
    setU32(objectStart, o + 1, u32At(objectStart, o + 1) + u32At(ends, i + 1) - u32At(ends, i));
    const t = f64At(timestamps, i);
    if (t < f64At(latest, o)) store<u8>(unordered + o, 1);
    else store<f64>(latest + (o << 3), t);
  }
  for (let o: usize = 0; o < n; o++) {
    setU32(groupStart, o + 1, u32At(groupStart, o + 1) + u32At(groupStart, o));
    setU32(objectStart, o + 1, u32At(objectStart, o + 1) + u32At(objectStart, o) + headerLength);
  }
  const bytes = allocate(<usize>u32At(objectStart, n));
  if (bytes == 0) return;
  for (let o: usize = 0; o < n; o++) {
    const at = u32At(objectStart, o);
    memory.copy(bytes + <usize>at, header, headerLength);
    setU32(next, o, at + headerLength);
    setU32(nextInOrder, o, u32At(groupStart, o));
  }
  for (let i: usize = 0; i < <usize>rows; i++) {
    const o = <usize>u32At(objects, i);
    const k = u32At(nextInOrder, o);
    setU32(nextInOrder, o, k + 1);
    setU32(order, k, <u32>i);
    const at = u32At(next, o);
    setU32(objects, i, at);
    const from = u32At(ends, i);
    const length = u32At(ends, i + 1) - from;
    memory.copy(bytes + <usize>at, arena + <usize>from, length);
    setU32(next, o, at + length);
  }
  let scratch: usize = 0;
  let scratchBytes: usize = 0;
  for (let o: usize = 0; o < n; o++) {
    if (load<u8>(unordered + o) == 0) continue;
    const from = <usize>u32At(groupStart, o);
    const to = <usize>u32At(groupStart, o + 1);
    const rowsStart = u32At(objectStart, o) + headerLength;
    const length = <usize>(u32At(objectStart, o + 1) - rowsStart);
    const need = max(length, (to - from) << 2);
    if (scratchBytes < need) {
      scratchBytes = max(need, 1 << 16);
      scratch = allocate(scratchBytes);
      if (scratch == 0) return;
    }
    sortGroup(order, from, to, timestamps, scratch);
    memory.copy(scratch, bytes + <usize>rowsStart, length);
    let at = rowsStart;
    for (let g = from; g < to; g++) {
      const row = <usize>u32At(order, g);
      const offset = u32At(objects, row) - rowsStart;
      const rowLength = u32At(ends, row + 1) - u32At(ends, row);
      memory.copy(bytes + <usize>at, scratch + <usize>offset, rowLength);
      at += rowLength;
    }
  }
  outGroupStart = groupStart;
  outObjectStart = objectStart;
  outOrder = order;
  outBytes = bytes;
}

/**
 * Sorts `order[from, to)` by timestamp, stably. Logs come nearly in time order, so an insertion sort
 * does it in about one pass; if the rows turn out far from ordered, a merge sort (through `scratch`,
 * room for the group's indices) does the rest in n log n rather than n^2.
 */
function sortGroup(order: usize, from: usize, to: usize, timestamps: usize, scratch: usize): void {
  let budget = <i64>(8 * (to - from) + 64);
  for (let i = from + 1; i < to; i++) {
    const row = u32At(order, i);
    const t = f64At(timestamps, <usize>row);
    let j = i;
    while (j > from && f64At(timestamps, <usize>u32At(order, j - 1)) > t) {
      setU32(order, j, u32At(order, j - 1));
      j--;
      budget--;
    }
    setU32(order, j, row);
    if (budget < 0) {
      mergeSort(order, from, to, timestamps, scratch);
      return;
    }
  }
}

/** Stable bottom-up merge sort of `order[from, to)` by timestamp. */
function mergeSort(order: usize, from: usize, to: usize, timestamps: usize, scratch: usize): void {
  const n = to - from;
  let src = order + (from << 2);
  let dst = scratch;
  for (let width: usize = 1; width < n; width <<= 1) {
    for (let left: usize = 0; left < n; left += width << 1) {
      const mid = min(left + width, n);
      const right = min(left + (width << 1), n);
      let a = left;
      let b = mid;
      let k = left;
      while (a < mid && b < right) {
        const ra = u32At(src, a);
        const rb = u32At(src, b);
        // Ties take the left, earlier run first: stable.
        if (f64At(timestamps, <usize>rb) < f64At(timestamps, <usize>ra)) {
          setU32(dst, k++, rb);
          b++;
        } else {
          setU32(dst, k++, ra);
          a++;
        }
      }
      while (a < mid) setU32(dst, k++, u32At(src, a++));
      while (b < right) setU32(dst, k++, u32At(src, b++));
    }
    const swap = src;
    src = dst;
    dst = swap;
  }
  if (src != order + (from << 2)) memory.copy(order + (from << 2), src, n << 2);
}
