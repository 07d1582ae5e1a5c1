import { createHmac, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { RunError } from "../errors.js";
import { parseIpv6 } from "../geo/ip-address.js";
import { formatIpv6 } from "../privacy/ip-token.js";

/**
 * Requesters are counted as distinct keyed hashes of their addresses: 64 bits of HMAC-SHA256 under a
 * key made once per mapped folder and kept beside map's state, readable by its owner only. Without
 * the key a hash cannot be checked against a guessed address, so the sets kept on disk say nothing
 * about who asked; with 64 bits, two of a billion addresses share a hash with odds of about 3%
 * (a miscount of one), far below what the published rounding hides.
 */
export const REQUESTER_KEY_FILE = "requester_key";
const KEY_BYTES = 32;

export class RequesterHasher {
  /** Each distinct address is hashed once per run: a day has far fewer addresses than rows. */
  private readonly cache = new Map<string, bigint>();

  private constructor(
    private readonly key: Buffer,
    private readonly addressOf: (column: string) => string,
  ) {}

  /**
   * Reads the key under `stateFolder`, or makes it (mode 0600) on the first run. `addressOf` turns
   * the binned address column into the address (a token decoded with the folder's IP key), so that
   * a requester is the same however its address is stored: a change of IP key counts nobody twice.
   */
  static open(stateFolder: string, addressOf: (column: string) => string): RequesterHasher {
    const file = path.join(stateFolder, REQUESTER_KEY_FILE);
    if (!fs.existsSync(file)) {
      // Written whole under another name, then linked into place: a kill leaves no empty key, and of
      // two runs racing to make it, one key wins.
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, randomBytes(KEY_BYTES).toString("hex"), { mode: 0o600 });
      try {
        fs.linkSync(temp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      } finally {
        fs.rmSync(temp, { force: true });
      }
    }
    const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "hex");
    if (key.length !== KEY_BYTES)
      throw new RunError(
        `${file} does not hold a ${KEY_BYTES}-byte key in hex; remove it and map again from scratch (the rebuild option, --rebuild)`,
      );
    return new RequesterHasher(key, addressOf);
  }

  /** The hasher of another thread of the same run, with the key `open` read (`keyBytes`). */
  static withKey(key: Uint8Array, addressOf: (column: string) => string): RequesterHasher {
    return new RequesterHasher(Buffer.from(key), addressOf);
  }

  get keyBytes(): Uint8Array {
    return Uint8Array.from(this.key);
  }

  /** The hashes of the addresses in `columns` (binned address columns), sorted, each once. */
  hashAll(columns: Iterable<string>): BigUint64Array {
    const hashes: bigint[] = [];
    for (const column of columns) {
      let hash = this.cache.get(column);
      if (hash === undefined) {
        const address = standardForm(this.addressOf(column));
        hash = createHmac("sha256", this.key).update(address, "latin1").digest().readBigUInt64LE(0);
        this.cache.set(column, hash);
      }
      hashes.push(hash);
    }
    return uniqueSorted(BigUint64Array.from(hashes));
  }
}

/**
 * IPv6 text in its standard form (RFC 5952): a token decodes a long IPv6 address to that form, so
 * one address written two ways (`2600:1F18::…`, `2600:1f18::…`) must be one requester in clear too,
 * and with short and long tokens alike. Other text is taken as it is.
 */
function standardForm(address: string): string {
  if (!address.includes(":")) return address;
  const value = parseIpv6(address);
  return value === null ? address : formatIpv6(value);
}

function uniqueSorted(values: BigUint64Array): BigUint64Array {
  values.sort();
  let n = 0;
  for (let i = 0; i < values.length; i++) if (i === 0 || values[i] !== values[n - 1]) values[n++] = values[i];
  return values.subarray(0, n);
}

/** The union of two sorted sets of hashes, sorted. */
export function unionOf(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out = new BigUint64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    if (a[i] < b[j]) out[n++] = a[i++];
    else if (a[i] > b[j]) out[n++] = b[j++];
    else {
      out[n++] = a[i++];
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++];
  while (j < b.length) out[n++] = b[j++];
  return out.subarray(0, n);
}

/** A set as kept on disk: its hashes, 8 bytes each, little-endian, sorted. */
export function requesterSetBytes(set: BigUint64Array): Buffer {
  const buf = Buffer.allocUnsafe(set.length * 8);
  for (let i = 0; i < set.length; i++) buf.writeBigUInt64LE(set[i], i * 8);
  return buf;
}

/** Reads a set kept by `requesterSetBytes`; an absent file is the empty set. */
export function readRequesterSet(file: string): BigUint64Array {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new BigUint64Array(0);
    throw error;
  }
  if (buf.length % 8 !== 0)
    throw new RunError(`${file} is cut short; map again from scratch (the rebuild option, --rebuild)`);
  const set = new BigUint64Array(buf.length / 8);
  for (let i = 0; i < set.length; i++) set[i] = buf.readBigUInt64LE(i * 8);
  return set;
}

/** The union of many sorted sets: one concatenation and sort rather than a copy per set. */
export function unionOfAll(sets: readonly BigUint64Array[]): BigUint64Array {
  const nonEmpty = sets.filter((set) => set.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? new BigUint64Array(0);
  if (nonEmpty.length === 2) return unionOf(nonEmpty[0], nonEmpty[1]);
  const all = new BigUint64Array(nonEmpty.reduce((sum, set) => sum + set.length, 0));
  let at = 0;
  for (const set of nonEmpty) {
    all.set(set, at);
    at += set.length;
  }
  return uniqueSorted(all);
}
