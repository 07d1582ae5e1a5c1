import * as crypto from "node:crypto";
import { RunError } from "../errors.js";
import { parseIpv6 } from "../geo/ip-address.js";
import { copyBytes, viewOf } from "../io/copy-bytes.js";
import type { IpKey } from "./ip-key.js";

/**
 * IP addresses as tokens: a deterministic, reversible encryption of each address, written where the
 * address would be (reduced and binned rows), so that binning, distinct counts and caches work on
 * tokens unchanged, and map recovers the address to find its region.
 *
 * A token is 34 characters: a two-character prefix that no IP address can start with, then the
 * 16 bytes of one AES-256 block in lowercase hex. One block under one key is a permutation of
 * 16-byte values (the construction of "ipcrypt-deterministic"), so equal addresses give equal
 * tokens and nothing else does. Tokens use only the characters of addresses (hex digits, `.`, `:`)
 * and are shorter than the longest address (45), so every reader of the address column, the bin
 * step's WebAssembly row parser included, takes them as they are. The prefix says what the block
 * holds:
 *  - `..` an address of up to 15 characters (every IPv4 address, short IPv6 ones), exactly as
 *    written: its length, its characters, zeros;
 *  - `.:` a longer IPv6 address as its 16 bytes; it decodes to the standard text form (RFC 5952),
 *    which names the same address;
 *  - `:.` a longer text that is no address (reduce keeps whatever looks like one); not reversible,
 *    a keyed hash, so that two such texts still count as two requesters. Its region is `unknown`,
 *    as the text's would be.
 * Valid IPv4 and IPv6 text never starts with `.`, nor with `:.`; a token is never taken for an
 * address, and an address never for a token.
 */
export const TOKEN_LENGTH = 34;
const SHORT = "..";
const LONG = ".:";
const OPAQUE = ":.";
const BLOCK = 16;
const MAX_SHORT = BLOCK - 1;
const DOT = 0x2e;
const COLON = 0x3a;
const DASH = 0x2d;
/** The longest address text reduce keeps (as isRemoteIp), and an entry of the table: its length, its bytes. */
const MAX_ADDRESS = 45;
const ENTRY_STRIDE = 48;
/** Distinct addresses kept per cache (about 100 bytes each): past that, memory stays bounded. */
const MAX_CACHED = 100_000;

/** Whether `text` is a token rather than an address: it starts with `.` or `:.`. */
export function isIpToken(text: string): boolean {
  const first = text.charCodeAt(0);
  return first === DOT || (first === COLON && text.charCodeAt(1) === DOT);
}

/**
 * Turns addresses into tokens, each distinct address encrypted once (addresses repeat a lot, from
 * day to day too: one writer serves every day a thread reduces, see `tokenWriterFor`).
 *
 * Made for reduce's row writer, which has the address as bytes: a hash table over those bytes
 * finds an address's token without making a string of it (a string and a Map lookup a row cost
 * more than everything else the tokens add). An address not seen yet gets a hole of the token's
 * length, listed in the caller's `holes`, and `fillHoles`, called before the buffer is read,
 * encrypts every new address in one call of the cipher (a call costs about 2 µs, as much as
 * encrypting 30 blocks) and fills the holes. Past MAX_CACHED addresses, memory stays bounded: new
 * ones are encrypted one at a time and not kept.
 */
export class IpTokenWriter {
  private readonly cipher: crypto.Cipher;
  /** Open addressing: entry + 1 per slot, 0 for an empty slot. */
  private slots = new Int32Array(1 << 16);
  private hashes = new Uint32Array(1 << 15);
  /** Per entry, at ENTRY_STRIDE: the address's length, then its bytes. */
  private addresses = Buffer.alloc((1 << 15) * ENTRY_STRIDE);
  /** Per entry, at 2 * BLOCK: the token after its prefix, in hex. */
  private hex = Buffer.alloc((1 << 15) * 2 * BLOCK);
  private hexView = viewOf(this.hex);
  /** Per entry: the token's two prefix bytes. */
  private prefixes = new Uint8Array((1 << 15) * 2);
  private count = 0;
  /** Entries below this one have their token; the others wait for `fillHoles`. */
  private filled = 0;
  private readonly scratch = Buffer.alloc(MAX_ADDRESS + TOKEN_LENGTH);

  /** `maxCached`: distinct addresses kept (tests make it small). */
  constructor(
    private readonly key: IpKey,
    private readonly maxCached = MAX_CACHED,
  ) {
    this.cipher = crypto.createCipheriv("aes-256-ecb", key.bytes, null);
    // Blocks are encrypted with the same cipher call after call, never finished: no padding.
    this.cipher.setAutoPadding(false);
  }

  /** The token of `address` (`-`, no address, stays as it is). */
  tokenOf(address: string): string {
    const scratch = this.scratch;
    const length = scratch.write(address, 0, MAX_ADDRESS, "latin1");
    const view = viewOf(scratch);
    const holes: number[] = [];
    const end = this.writeToken(scratch, 0, length, view, MAX_ADDRESS, holes);
    this.fillHoles(view, holes);
    return scratch.toString("latin1", MAX_ADDRESS, end);
  }

  /**
   * Writes the token of the address `buf[start, end)` into `out` at `at`, or leaves a hole of its
   * length, listed in `holes` for `fillHoles`; returns where it ends. `-` (no address) is written as it is. `out` is
   * a view of the caller's buffer: tokens are copied four bytes at a time (see copyBytes).
   */
  writeToken(
    buf: Uint8Array,
    start: number,
    end: number,
    out: DataView,
    at: number,
    holes: number[],
  ): number {
    const length = end - start;
    if (length === 1 && buf[start] === DASH) {
      out.setUint8(at, DASH);
      return at + 1;
    }
    // FNV-1a over the address's bytes: a few multiplications, no allocation.
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i], 0x01000193);
    hash >>>= 0;
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = hash & mask;
    let entry = slots[slot] - 1;
    while (entry !== -1 && !(this.hashes[entry] === hash && this.holds(entry, buf, start, length))) {
      slot = (slot + 1) & mask;
      entry = slots[slot] - 1;
    }
    if (entry === -1) {
      if (this.count >= this.maxCached) return this.writeUncached(buf, start, length, out, at);
      entry = this.add(hash, slot, buf, start, length);
    }
    if (entry < this.filled) this.copyToken(entry, out, at);
    else holes.push(entry, at);
    return at + TOKEN_LENGTH;
  }

  private copyToken(entry: number, out: DataView, at: number): void {
    out.setUint8(at, this.prefixes[2 * entry]);
    out.setUint8(at + 1, this.prefixes[2 * entry + 1]);
    copyBytes(this.hexView, 2 * BLOCK * entry, 2 * BLOCK * (entry + 1), out, at + 2);
  }

  /** Fills the holes `writeToken` left in `out`, and empties `holes`. */
  fillHoles(out: DataView, holes: number[]): void {
    if (holes.length === 0) return;
    if (this.filled < this.count) this.encryptNew();
    for (let i = 0; i < holes.length; i += 2) this.copyToken(holes[i], out, holes[i + 1]);
    holes.length = 0;
  }

  /** An address past the table's capacity: encrypted alone, written at once. */
  private writeUncached(buf: Uint8Array, start: number, length: number, out: DataView, at: number): number {
    const block = Buffer.alloc(BLOCK);
    const prefix = plaintextOf(Buffer.from(buf.subarray(start, start + length)), 0, length, block, 0);
    const text =
      prefix === OPAQUE
        ? OPAQUE + this.opaqueHex(Buffer.from(buf.subarray(start, start + length)).toString("latin1"))
        : prefix + this.cipher.update(block).toString("hex");
    for (let i = 0; i < TOKEN_LENGTH; i++) out.setUint8(at + i, text.charCodeAt(i));
    return at + TOKEN_LENGTH;
  }

  private opaqueHex(text: string): string {
    return crypto
      .createHmac("sha256", this.key.bytes)
      .update(`opaque\0${text}`)
      .digest("hex")
      .slice(0, 2 * BLOCK);
  }

  private holds(entry: number, buf: Uint8Array, start: number, length: number): boolean {
    const addresses = this.addresses;
    const at = entry * ENTRY_STRIDE;
    if (addresses[at] !== length) return false;
    for (let i = 0; i < length; i++) if (addresses[at + 1 + i] !== buf[start + i]) return false;
    return true;
  }

  private add(hash: number, slot: number, buf: Uint8Array, start: number, length: number): number {
    // The slots are sized apart from the entries: `slot` stays free when the entries grow.
    if (this.count === this.hashes.length) this.grow();
    const entry = this.count++;
    this.slots[slot] = entry + 1;
    this.hashes[entry] = hash;
    const at = entry * ENTRY_STRIDE;
    const addresses = this.addresses;
    addresses[at] = length;
    for (let i = 0; i < length; i++) addresses[at + 1 + i] = buf[start + i];
    if (2 * this.count > this.slots.length) this.rehash(this.slots.length * 2);
    return entry;
  }

  private freeSlotOf(hash: number): number {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const entries = this.hashes.length * 2;
    const hashes = new Uint32Array(entries);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const addresses = Buffer.alloc(entries * ENTRY_STRIDE);
    this.addresses.copy(addresses);
    this.addresses = addresses;
    const hex = Buffer.alloc(entries * 2 * BLOCK);
    this.hex.copy(hex);
    this.hex = hex;
    this.hexView = viewOf(hex);
    const prefixes = new Uint8Array(entries * 2);
    prefixes.set(this.prefixes);
    this.prefixes = prefixes;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let entry = 0; entry < this.count; entry++)
      this.slots[this.freeSlotOf(this.hashes[entry])] = entry + 1;
  }

  /** Encrypts the entries added since the last call, in one call of the cipher. */
  private encryptNew(): void {
    const first = this.filled;
    const blocks = Buffer.alloc((this.count - first) * BLOCK);
    const opaque: number[] = [];
    for (let entry = first; entry < this.count; entry++) {
      const at = entry * ENTRY_STRIDE;
      const length = this.addresses[at];
      const prefix = plaintextOf(this.addresses, at + 1, length, blocks, (entry - first) * BLOCK);
      if (prefix === OPAQUE) opaque.push(entry);
      this.prefixes[2 * entry] = prefix.charCodeAt(0);
      this.prefixes[2 * entry + 1] = prefix.charCodeAt(1);
    }
    this.hex.write(this.cipher.update(blocks).toString("hex"), 2 * BLOCK * first, "latin1");
    for (const entry of opaque) {
      const at = entry * ENTRY_STRIDE;
      const text = this.addresses.toString("latin1", at + 1, at + 1 + this.addresses[at]);
      this.hex.write(this.opaqueHex(text), 2 * BLOCK * entry, "latin1");
    }
    this.filled = this.count;
  }
}

const writers = new Map<string, IpTokenWriter>();

/** The writer of `key` in this thread, made once: its table serves every day reduced with the key. */
export function tokenWriterFor(key: IpKey): IpTokenWriter {
  let writer = writers.get(key.check);
  if (writer === undefined) {
    writer = new IpTokenWriter(key);
    writers.set(key.check, writer);
  }
  return writer;
}

/**
 * Writes the block the address `bytes[start, start + length)` is encrypted as into `blocks` at `at`
 * (zeros there), and returns the prefix of its token: OPAQUE for text that is no address.
 */
function plaintextOf(bytes: Buffer, start: number, length: number, blocks: Buffer, at: number): string {
  if (length <= MAX_SHORT) {
    blocks[at] = length;
    for (let i = 0; i < length; i++) blocks[at + 1 + i] = bytes[start + i];
    return SHORT;
  }
  const text = bytes.toString("latin1", start, start + length);
  const value = text.includes(":") ? parseIpv6(text) : null;
  if (value === null) return OPAQUE;
  let v = value;
  for (let i = BLOCK - 1; i >= 0; i--, v >>= 8n) blocks[at + i] = Number(v & 0xffn);
  return LONG;
}

/**
 * Reads the address column of rows for map: with a key, turns tokens back into addresses (each
 * distinct token decrypted once); without one, passes addresses through. Either way a row of the
 * other kind stops the run, so a mixed folder never yields a wrong region.
 */
export class AddressReader {
  private readonly decipher: crypto.Decipher | null;
  private readonly addresses = new Map<string, string>();

  /** `where` names the folder in messages. */
  constructor(
    key: IpKey | null,
    private readonly where: string,
  ) {
    this.decipher = key === null ? null : crypto.createDecipheriv("aes-256-ecb", key.bytes, null);
    this.decipher?.setAutoPadding(false);
  }

  addressOf(column: string): string {
    if (this.decipher === null) {
      if (isIpToken(column))
        throw new RunError(
          `${this.where} is recorded as holding addresses in clear, but holds an encrypted one (${column}); a folder must not mix the two: encrypt the whole work folder with \`rekey\``,
          { code: "ERR_IP_MODE_MIX" },
        );
      return column;
    }
    let address = this.addresses.get(column);
    if (address === undefined) {
      address = this.decode(column);
      if (this.addresses.size >= MAX_CACHED) this.addresses.clear();
      this.addresses.set(column, address);
    }
    return address;
  }

  private decode(token: string): string {
    if (token === "-") return token;
    if (token.length !== TOKEN_LENGTH || !isIpToken(token) || !/^[0-9a-f]+$/.test(token.slice(2)))
      throw this.notAToken(token);
    const prefix = token.slice(0, 2);
    if (prefix === OPAQUE) return token;
    const block = this.decipher!.update(Buffer.from(token.slice(2), "hex"));
    if (prefix === LONG) {
      let value = 0n;
      for (const byte of block) value = (value << 8n) | BigInt(byte);
      return formatIpv6(value);
    }
    const length = block[0];
    if (
      prefix !== SHORT ||
      length === 0 ||
      length > MAX_SHORT ||
      block.subarray(1 + length).some((b: number) => b !== 0)
    )
      throw new RunError(
        `${this.where} holds a token (${token}) that does not decrypt with the IP key given; it was encrypted with another key`,
        { code: "ERR_WRONG_IP_KEY" },
      );
    return block.toString("latin1", 1, 1 + length);
  }

  private notAToken(column: string): RunError {
    return new RunError(
      `${this.where} is recorded as encrypted, but holds an address in clear or a damaged token (${isIpToken(column) ? column : "an address"}); a folder must not mix the two: run \`rekey\` on the work folder to encrypt what is left in clear`,
      { code: "ERR_IP_MODE_MIX" },
    );
  }
}

/** The standard text form of an IPv6 address (RFC 5952): lowercase, the longest run of zero groups as `::`. */
export function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(16 * i)) & 0xffffn));
  if (value >> 32n === 0xffffn) {
    const v4 = Number(value & 0xffffffffn);
    return `::ffff:${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
