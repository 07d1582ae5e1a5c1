import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readCacheText } from "../io/prebuilt-caches.js";
import { settingsFolder } from "../io/settings.js";
import type { ParsedCidr } from "./ip-address.js";
import type { PrefixTable } from "./prefix-table.js";
import type { Provider } from "./provider-ranges.js";

/**
 * The blocks of one provider file, each once, in file order, kept compact: parsing AWS's 2.6 MB
 * `ip-ranges.json` and its 6,000 IPv6 prefixes took 80-100 ms of every map run (a quiet day maps in
 * half a second); read back from the settings folder's cache it takes a few. The cache is named
 * after the SHA-256 of the file's bytes, so a changed file is parsed again whatever its name or
 * time; a damaged cache is parsed again and replaced, and deleting the cache is always safe.
 */
export class RangeBlocks {
  private readonly regionIndex = new Map<string, number>();
  private readonly seen = new Set<number | string>();

  constructor(
    readonly provider: Provider,
    readonly regions: string[] = [],
    /** IPv4: network, prefix length, region index, flat. */
    readonly v4: number[] = [],
    /** IPv6: network (hex), prefix length, region index, flat. */
    readonly v6: (string | number)[] = [],
  ) {}

  /** Adds a block unless the file listed it already (the first listing is the one a table keeps). */
  add(cidr: ParsedCidr, region: string): void {
    const hex = cidr.version === 6 ? (cidr.network as bigint).toString(16) : "";
    const key = cidr.version === 4 ? (cidr.network as number) * 64 + cidr.length : `${hex}/${cidr.length}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    let index = this.regionIndex.get(region);
    if (index === undefined) {
      index = this.regions.length;
      this.regions.push(region);
      this.regionIndex.set(region, index);
    }
    if (cidr.version === 4) this.v4.push(cidr.network as number, cidr.length, index);
    else this.v6.push(hex, cidr.length, index);
  }

  get size(): number {
    return (this.v4.length + this.v6.length) / 3;
  }

  /** Adds every block to `table`, in file order. */
  addTo(table: PrefixTable<string>): void {
    const { v4, v6, regions } = this;
    for (let i = 0; i < v4.length; i += 3) table.addIpv4(v4[i], v4[i + 1], regions[v4[i + 2]]);
    for (let i = 0; i < v6.length; i += 3)
      table.addIpv6Hex(v6[i] as string, v6[i + 1] as number, regions[v6[i + 2] as number]);
  }

  static fromJson(json: unknown): RangeBlocks | null {
    const { format, provider, regions, v4, v6 } = (json ?? {}) as Record<string, unknown>;
    if (format !== CACHE_FORMAT || typeof provider !== "string") return null;
    if (!Array.isArray(regions) || !Array.isArray(v4) || !Array.isArray(v6)) return null;
    if (v4.length % 3 !== 0 || v6.length % 3 !== 0) return null;
    return new RangeBlocks(provider as Provider, regions, v4, v6);
  }

  toJson(): string {
    const { provider, regions, v4, v6 } = this;
    return JSON.stringify({ format: CACHE_FORMAT, provider, regions, v4, v6 });
  }
}

const CACHE_FORMAT = 1;
const CACHE_PREFIX = `ip-ranges-${CACHE_FORMAT}-`;
/** Caches of range files kept at most: the bundled and refreshed files of three providers, and some room. */
const MAX_CACHES = 8;

function cacheFileOf(bytes: Buffer): string {
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 32);
  return path.join(settingsFolder(), "cache", `${CACHE_PREFIX}${hash}.json`);
}

/** The blocks of a provider file whose bytes these are, if the cache holds them. */
export function readRangeCache(bytes: Buffer): RangeBlocks | null {
  try {
    // The package's prebuilt copy when the settings folder has none (io/prebuilt-caches.ts).
    return RangeBlocks.fromJson(JSON.parse(readCacheText(cacheFileOf(bytes)) ?? "null"));
  } catch {
    // No cache, or a damaged one: the file is parsed and the cache written again.
    return null;
  }
}

/** Keeps the blocks parsed from these bytes, and removes the oldest caches beyond MAX_CACHES. */
export function writeRangeCache(bytes: Buffer, blocks: RangeBlocks): RangeBlocks {
  const file = cacheFileOf(bytes);
  try {
    writeFileAtomic(file, blocks.toJson());
    const folder = path.dirname(file);
    const caches = fs
      .readdirSync(folder)
      .filter((name) => name.startsWith(CACHE_PREFIX))
      .map((name) => ({ name, mtime: fs.statSync(path.join(folder, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const old of caches.slice(MAX_CACHES)) fs.rmSync(path.join(folder, old.name), { force: true });
  } catch {
    // A settings folder that cannot be written only costs the parse next time.
  }
  return blocks;
}
