import { isCloudRegion } from "../geo/published-regions.js";

/**
 * The distinct address columns of the binned rows a map run reads, each turned into text and into
 * its region once. A popular object's file holds millions of rows from a few thousand addresses:
 * making a string of every row's column and looking it up by that string cost a fifth of a full
 * map (string hashing and the garbage of a million short strings). Here a row's column is found by
 * the hash of its bytes, computed while the row is walked, and compared byte for byte.
 *
 * A column's region is resolved when first asked for (about 15 µs: the city database and the cloud
 * ranges): a daily run reads the last 8 hours before each object's new rows only for the views they
 * leave open, and asks those rows for their requester, never their region (3,000 addresses of the
 * bench's quiet day after 30 days, 44 ms).
 *
 * Addresses stay in memory only, as the resolver's cache does; nothing here is ever written.
 */
export class AddressColumns {
  private slots = new Int32Array(1024).fill(-1);
  private hashes = new Int32Array(256);
  private starts = new Uint32Array(256);
  private lengths = new Uint32Array(256);
  private bytes = Buffer.allocUnsafe(256 * 16);
  private bytesUsed = 0;
  private readonly texts: string[] = [];
  /** Each column's region and whether it is a cloud's, valid where `resolved` is 1. */
  private readonly regions: string[] = [];
  private readonly clouds: boolean[] = [];
  private resolved = new Uint8Array(256);
  private readonly requesterIds: number[] = [];
  private readonly requesterIdOf = new Map<string, number>();

  /**
   * `regionOfColumn` turns a column into its region; `requesterOfColumn` into the requester it
   * stands for (the address in its standard form, whatever the column's spelling or token), so
   * that two columns of one address are one requester and one view session. Without it, each
   * distinct column is its own requester.
   */
  constructor(
    private readonly regionOfColumn: (column: string) => string,
    private readonly requesterOfColumn: (column: string) => string = (column) => column,
  ) {}

  /** Distinct columns seen. */
  get count(): number {
    return this.texts.length;
  }

  /** The column's text, as the binned file holds it (an address, or its token). */
  text(id: number): string {
    return this.texts[id];
  }

  region(id: number): string {
    if (this.resolved[id] === 0) this.resolve(id);
    return this.regions[id];
  }

  /** Whether the column's address is a cloud's or a CI service's: not counted as a requester. */
  isCloud(id: number): boolean {
    if (this.resolved[id] === 0) this.resolve(id);
    return this.clouds[id];
  }

  private resolve(id: number): void {
    const region = this.regionOfColumn(this.texts[id]);
    this.regions[id] = region;
    this.clouds[id] = isCloudRegion(region);
    this.resolved[id] = 1;
  }

  /** A number per requester (see the constructor), the same for every column of one address. */
  requester(id: number): number {
    return this.requesterIds[id];
  }

  /** The id of the column `buf[start, end)`, whose `hashBytes` is `hash`; new columns are resolved here. */
  idOf(buf: Buffer, start: number, end: number, hash: number): number {
    const length = end - start;
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = this.slots[slot];
      if (id === -1) return this.add(slot, buf, start, end, hash);
      if (this.hashes[id] === hash && this.lengths[id] === length && this.same(id, buf, start, length))
        return id;
    }
  }

  private same(id: number, buf: Buffer, start: number, length: number): boolean {
    const at = this.starts[id];
    for (let k = 0; k < length; k++) if (this.bytes[at + k] !== buf[start + k]) return false;
    return true;
  }

  private add(slot: number, buf: Buffer, start: number, end: number, hash: number): number {
    const id = this.texts.length;
    const length = end - start;
    const text = buf.toString("latin1", start, end);
    // Made before anything is stored: a column the requester's function refuses leaves no half entry.
    const requester = this.requesterOfColumn(text);
    if (id === this.hashes.length) {
      this.hashes = grown(this.hashes, new Int32Array(id * 2));
      this.starts = grown(this.starts, new Uint32Array(id * 2));
      this.lengths = grown(this.lengths, new Uint32Array(id * 2));
      this.resolved = grown(this.resolved, new Uint8Array(id * 2));
    }
    if (this.bytesUsed + length > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.bytesUsed + length));
      this.bytes.copy(bigger, 0, 0, this.bytesUsed);
      this.bytes = bigger;
    }
    buf.copy(this.bytes, this.bytesUsed, start, end);
    this.hashes[id] = hash;
    this.starts[id] = this.bytesUsed;
    this.lengths[id] = length;
    this.bytesUsed += length;
    this.texts.push(text);
    this.regions.push("");
    this.clouds.push(false);
    let requesterId = this.requesterIdOf.get(requester);
    if (requesterId === undefined) {
      requesterId = this.requesterIdOf.size;
      this.requesterIdOf.set(requester, requesterId);
    }
    this.requesterIds.push(requesterId);
    this.slots[slot] = id;
    // At most half full, so that probes stay short.
    if (this.texts.length * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    for (let id = 0; id < this.texts.length; id++) {
      let slot = this.hashes[id] & mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & mask;
      this.slots[slot] = id;
    }
  }
}

/** FNV-1a's step: the hash of a column is folded one byte at a time from `HASH_START`. */
export const HASH_START = 0x811c9dc5 | 0;
export function hashStep(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, 16777619);
}

function grown<T extends Int32Array | Uint32Array | Uint8Array>(old: T, bigger: T): T {
  bigger.set(old);
  return bigger;
}
