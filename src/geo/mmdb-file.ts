import * as fs from "node:fs";

/**
 * A MaxMind DB file (the `.mmdb` format of the DB-IP databases), read from its file descriptor rather
 * than loaded whole. A map run looks up a few hundred to a few thousand distinct addresses, and loading
 * the 63 MB IPv4 file for them cost about 0.25 s of every run, almost all of it the first touch of
 * fresh memory on these machines. Here each lookup reads the few small blocks of the search tree it
 * walks (kept, since the top of the tree is shared by every lookup), and the file is loaded whole only
 * once the blocks read add up to a thirty-second of it, so many lookups cost little more than a whole load.
 *
 * The format (maxmind.github.io/MaxMind-DB): a binary search tree of `node_count` nodes, each two
 * records of `record_size` bits; 16 zero bytes; the data section of typed values; then a marker and
 * the metadata, a map in the data section's encoding.
 */
export class MmdbFile {
  readonly nodeCount: number;
  readonly recordSize: 24 | 28 | 32;
  readonly ipVersion: 4 | 6;
  /** Where the data section starts, in the file. */
  private readonly dataStart: number;
  private readonly nodeBytes: number;
  private readonly blocks = new Map<number, Buffer>();
  private whole: Buffer | null = null;
  private bytesReadInBlocks = 0;
  /** The node of the IPv4 subtree (`::/96`) of an IPv6 tree, found on first use. */
  private ipv4Root: number | null = null;

  private constructor(
    private readonly fd: number,
    private readonly size: number,
    readonly path: string,
  ) {
    const metadata = readMetadata(fd, size, path);
    this.nodeCount = metadata.nodeCount;
    this.recordSize = metadata.recordSize;
    this.ipVersion = metadata.ipVersion;
    this.nodeBytes = (this.recordSize * 2) / 8;
    this.dataStart = this.nodeCount * this.nodeBytes + DATA_SEPARATOR_BYTES;
    if (this.dataStart > size) throw new Error(`${path}: its search tree is larger than the file`);
  }

  /** Opens the file and reads its metadata; throws when it is not a MaxMind DB file. */
  static open(path: string): MmdbFile {
    const fd = fs.openSync(path, "r");
    try {
      return new MmdbFile(fd, fs.fstatSync(fd).size, path);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
    this.blocks.clear();
    this.whole = null;
  }

  /** Loads the whole file into memory, for reading every record (see `forEachRecordPointer`). */
  loadWhole(): void {
    if (this.whole !== null) return;
    const whole = Buffer.allocUnsafe(this.size);
    readFully(this.fd, whole, 0, this.path);
    this.whole = whole;
    this.blocks.clear();
  }

  /**
   * The data-section offset of the record of an address (IPv4 as an unsigned 32-bit number, IPv6 as a
   * 128-bit bigint), or null when the tree holds nothing for it. Records are shared by many ranges, so
   * callers cache what they decode by this offset.
   */
  recordOffsetOf(address: number | bigint, version: 4 | 6): number | null {
    if (version === 6 && this.ipVersion === 4) return null;
    let node = 0;
    if (version === 4) {
      if (this.ipVersion === 6) node = this.ipv4RootNode();
      const value = address as number;
      for (let bit = 31; bit >= 0 && node < this.nodeCount; bit--)
        node = this.recordOf(node, (value >>> bit) & 1);
    } else {
      const value = address as bigint;
      for (let bit = 127; bit >= 0 && node < this.nodeCount; bit--)
        node = this.recordOf(node, Number((value >> BigInt(bit)) & 1n));
    }
    return this.pointerOf(node);
  }

  /** Decodes the value at a data-section offset (a record, for `recordOffsetOf`'s answers). */
  decode(dataOffset: number): unknown {
    return new Decoder(this, this.dataStart).value(dataOffset).value;
  }

  /**
   * Calls `visit` once for every record pointer the tree holds, each as often as records hold it,
   * in file order; a caller wanting each record once keeps a set. Loads the whole file first.
   */
  forEachRecordPointer(visit: (dataOffset: number) => void): void {
    this.loadWhole();
    for (let node = 0; node < this.nodeCount; node++) {
      const left = this.recordOf(node, 0);
      if (left > this.nodeCount) visit(this.pointerOf(left)!);
      const right = this.recordOf(node, 1);
      if (right > this.nodeCount) visit(this.pointerOf(right)!);
    }
  }

  /** The record `side` (0 left, 1 right) of a node: a node number, `nodeCount` (nothing), or data. */
  private recordOf(node: number, side: number): number {
    const at = node * this.nodeBytes;
    const bytes = this.bytesAt(at, this.nodeBytes);
    const o = bytes.offset;
    const b = bytes.buffer;
    if (this.recordSize === 24) {
      const p = o + side * 3;
      return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
    }
    if (this.recordSize === 28) {
      // The middle byte holds the top four bits of the left record (high nibble) and the right (low).
      if (side === 0) return ((b[o + 3] & 0xf0) << 20) | (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
      return ((b[o + 3] & 0x0f) << 24) | (b[o + 4] << 16) | (b[o + 5] << 8) | b[o + 6];
    }
    return b.readUInt32BE(o + side * 4);
  }

  private pointerOf(record: number): number | null {
    if (record <= this.nodeCount) return null;
    const offset = record - this.nodeCount - DATA_SEPARATOR_BYTES;
    if (this.dataStart + offset >= this.size)
      throw new Error(`${this.path}: a record points past the end of the file`);
    return offset;
  }

  private ipv4RootNode(): number {
    if (this.ipv4Root === null) {
      let node = 0;
      for (let bit = 0; bit < 96 && node < this.nodeCount; bit++) node = this.recordOf(node, 0);
      this.ipv4Root = node;
    }
    return this.ipv4Root;
  }

  /**
   * `length` bytes from file offset `at`, as a buffer and an offset into it: a view of the whole file
   * once loaded, else of a kept block, else (a range across two blocks) a read of its own.
   */
  bytesAt(at: number, length: number): { buffer: Buffer; offset: number } {
    if (this.whole !== null) return { buffer: this.whole, offset: at };
    if (at < 0 || at + length > this.size)
      throw new Error(`${this.path}: a read at ${at} runs past the end of the file`);
    const index = Math.floor(at / BLOCK_BYTES);
    if (Math.floor((at + length - 1) / BLOCK_BYTES) !== index) {
      const buffer = Buffer.allocUnsafe(length);
      readFully(this.fd, buffer, at, this.path);
      this.countRead(length);
      return { buffer, offset: 0 };
    }
    let block = this.blocks.get(index);
    if (block === undefined) {
      const start = index * BLOCK_BYTES;
      block = Buffer.allocUnsafe(Math.min(BLOCK_BYTES, this.size - start));
      readFully(this.fd, block, start, this.path);
      this.blocks.set(index, block);
      this.countRead(block.length);
      // countRead may have loaded the whole file: the block just read is still right.
    }
    return { buffer: block, offset: at - index * BLOCK_BYTES };
  }

  private countRead(bytes: number): void {
    this.bytesReadInBlocks += bytes;
    if (this.bytesReadInBlocks * LOAD_WHOLE_FRACTION > this.size) this.loadWhole();
  }
}

/** Small blocks: a lookup reads one per level below the shared top of the tree. */
const BLOCK_BYTES = 512;
/** Blocks read up to this fraction of the file; past it the file is loaded whole. */
const LOAD_WHOLE_FRACTION = 32;
const DATA_SEPARATOR_BYTES = 16;
const METADATA_MARKER = Buffer.from("\xab\xcd\xefMaxMind.com", "latin1");
/** The format puts the metadata within the last 128 KiB. */
const METADATA_MAX_BYTES = 128 * 1024;

function readFully(fd: number, buffer: Buffer, position: number, path: string): void {
  let done = 0;
  while (done < buffer.length) {
    const n = fs.readSync(fd, buffer, done, buffer.length - done, position + done);
    if (n === 0) throw new Error(`${path}: the file ended early (it changed while being read?)`);
    done += n;
  }
}

function readMetadata(
  fd: number,
  size: number,
  path: string,
): { nodeCount: number; recordSize: 24 | 28 | 32; ipVersion: 4 | 6 } {
  const tailBytes = Math.min(size, METADATA_MAX_BYTES);
  const tail = Buffer.allocUnsafe(tailBytes);
  readFully(fd, tail, size - tailBytes, path);
  const marker = tail.lastIndexOf(METADATA_MARKER);
  if (marker === -1) throw new Error(`${path} is not a MaxMind DB file (no metadata marker)`);
  const metadata = tail.subarray(marker + METADATA_MARKER.length);
  const source = { bytesAt: (at: number) => ({ buffer: metadata, offset: at }) };
  const map = new Decoder(source, 0).value(0).value as Record<string, unknown> | null;
  const nodeCount = map?.node_count;
  const recordSize = map?.record_size;
  const ipVersion = map?.ip_version;
  if (typeof nodeCount !== "number" || nodeCount < 1)
    throw new Error(`${path}: its metadata has no node_count`);
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32)
    throw new Error(`${path}: record size ${String(recordSize)} is not one of 24, 28 or 32`);
  if (ipVersion !== 4 && ipVersion !== 6)
    throw new Error(`${path}: IP version ${String(ipVersion)} is not 4 or 6`);
  return { nodeCount, recordSize, ipVersion };
}

interface ByteSource {
  bytesAt(at: number, length: number): { buffer: Buffer; offset: number };
}

const TYPE_POINTER = 1;
const TYPE_STRING = 2;
const TYPE_DOUBLE = 3;
const TYPE_BYTES = 4;
const TYPE_UINT16 = 5;
const TYPE_UINT32 = 6;
const TYPE_MAP = 7;
const TYPE_INT32 = 8;
const TYPE_UINT64 = 9;
const TYPE_UINT128 = 10;
const TYPE_ARRAY = 11;
const TYPE_BOOLEAN = 14;
const TYPE_FLOAT = 15;
/** Pointers deeper than this are a loop in a damaged file. */
const MAX_DEPTH = 64;

/**
 * Decodes values of the data section: strings, numbers (64- and 128-bit ones as bigint), maps, arrays,
 * booleans and bytes, following pointers. Offsets are relative to `base` in the source.
 */
class Decoder {
  constructor(
    private readonly source: ByteSource,
    private readonly base: number,
  ) {}

  value(offset: number, depth = 0): { value: unknown; next: number } {
    if (depth > MAX_DEPTH) throw new Error("the MaxMind DB data nest too deep (a pointer loop?)");
    const control = this.byte(offset);
    let at = offset + 1;
    let type = control >> 5;
    if (type === TYPE_POINTER) {
      const { target, next } = this.pointer(control, at);
      // A pointer's target is read in place of the pointer; decoding goes on after the pointer.
      return { value: this.value(target, depth + 1).value, next };
    }
    if (type === 0) {
      type = 7 + this.byte(at);
      at++;
    }
    let size = control & 0x1f;
    if (size >= 29) {
      const extra = size - 28;
      const bytes = this.uint(at, extra);
      at += extra;
      size = size === 29 ? 29 + bytes : size === 30 ? 285 + bytes : 65821 + bytes;
    }
    switch (type) {
      case TYPE_STRING:
        return { value: this.text(at, size), next: at + size };
      case TYPE_DOUBLE:
        return { value: this.read(at, 8, (b, o) => b.readDoubleBE(o)), next: at + 8 };
      case TYPE_FLOAT:
        return { value: this.read(at, 4, (b, o) => b.readFloatBE(o)), next: at + 4 };
      case TYPE_BYTES:
        return {
          value: this.read(at, size, (b, o) => Buffer.from(b.subarray(o, o + size))),
          next: at + size,
        };
      case TYPE_UINT16:
      case TYPE_UINT32:
        return { value: this.uint(at, size), next: at + size };
      case TYPE_INT32:
        return { value: this.uint(at, size) | 0, next: at + size };
      case TYPE_UINT64:
      case TYPE_UINT128:
        return { value: this.bigUint(at, size), next: at + size };
      case TYPE_BOOLEAN:
        return { value: size !== 0, next: at };
      case TYPE_MAP: {
        const map: Record<string, unknown> = {};
        for (let i = 0; i < size; i++) {
          const key = this.value(at, depth + 1);
          const entry = this.value(key.next, depth + 1);
          map[String(key.value)] = entry.value;
          at = entry.next;
        }
        return { value: map, next: at };
      }
      case TYPE_ARRAY: {
        const array: unknown[] = [];
        for (let i = 0; i < size; i++) {
          const entry = this.value(at, depth + 1);
          array.push(entry.value);
          at = entry.next;
        }
        return { value: array, next: at };
      }
      default:
        throw new Error(`the MaxMind DB data hold a value of unknown type ${type}`);
    }
  }

  private pointer(control: number, at: number): { target: number; next: number } {
    const sizeBits = (control >> 3) & 3;
    const low = control & 7;
    if (sizeBits === 0) return { target: (low << 8) | this.byte(at), next: at + 1 };
    if (sizeBits === 1) return { target: ((low << 16) | this.uint(at, 2)) + 2048, next: at + 2 };
    if (sizeBits === 2) return { target: low * 2 ** 24 + this.uint(at, 3) + 526336, next: at + 3 };
    return { target: this.uint(at, 4), next: at + 4 };
  }

  private byte(at: number): number {
    const { buffer, offset } = this.source.bytesAt(this.base + at, 1);
    return buffer[offset];
  }

  /** An unsigned big-endian number of up to four bytes (an empty one is 0). */
  private uint(at: number, length: number): number {
    if (length === 0) return 0;
    return this.read(at, length, (b, o) => {
      let value = 0;
      for (let i = 0; i < length; i++) value = value * 256 + b[o + i];
      return value;
    });
  }

  private bigUint(at: number, length: number): bigint {
    if (length === 0) return 0n;
    return this.read(at, length, (b, o) => {
      let value = 0n;
      for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(b[o + i]);
      return value;
    });
  }

  private text(at: number, length: number): string {
    if (length === 0) return "";
    return this.read(at, length, (b, o) => b.toString("utf8", o, o + length));
  }

  private read<T>(at: number, length: number, take: (buffer: Buffer, offset: number) => T): T {
    const { buffer, offset } = this.source.bytesAt(this.base + at, length);
    return take(buffer, offset);
  }
}
