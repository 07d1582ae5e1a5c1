import * as fs from "node:fs";
import * as path from "node:path";
import type { Catalog, CatalogAsset } from "../../src/dandi/catalog.ts";
import { makeIpPool } from "../../src/generate/pools.ts";
import { Random } from "../../src/generate/random.ts";
import { BINNED_STATUS_HEADER } from "../../src/io/table-headers.ts";
import { binnedPathOf, objectKeyOf } from "../../src/map/binned-objects.ts";

/**
 * A generated archive for tests and benchmarks: a catalog shaped like DANDI's (draft versions,
 * some published versions sharing most assets, blobs and Zarrs, BIDS-like paths of which a few
 * share a file name) and binned object files for a share of its assets. Same seed, same bytes.
 */
export interface GenerateArchiveOptions {
  dandisets: number;
  assetsPerDandiset: number;
  /** Share of Dandisets that also have a published version. */
  publishedShare?: number;
  /** Share of assets that are Zarrs. */
  zarrShare?: number;
  /** Distinct objects given a binned file. */
  accessedObjects: number;
  /** Mean rows per binned file. */
  rowsPerObject: number;
  /** Distinct client addresses drawn from. */
  addresses?: number;
  seed?: number;
}

export function generateArchiveCatalog(options: GenerateArchiveOptions): Catalog {
  const random = new Random(options.seed ?? 7);
  const dandisets: Catalog["dandisets"] = [];
  for (let d = 1; d <= options.dandisets; d++) {
    const identifier = String(d).padStart(6, "0");
    const assets: CatalogAsset[] = [];
    for (let a = 0; a < options.assetsPerDandiset; a++) {
      const isZarr = random.chance(options.zarrShare ?? 0.05);
      const subject = `sub-${String(Math.floor(a / 4)).padStart(3, "0")}`;
      // Every 25th asset repeats the previous asset's file name in a derivatives folder.
      const session = a % 25 === 24 ? a - 1 : a;
      const name = isZarr
        ? `${subject}_sample-${session}_SPIM.ome.zarr`
        : `${subject}_ses-${session}_ecephys.nwb`;
      const folder = a % 25 === 24 ? `derivatives/${subject}` : subject;
      const id = random.uuid();
      assets.push({
        asset_id: random.uuid(),
        path: `${folder}/${name}`,
        blob: isZarr ? null : id,
        zarr: isZarr ? id : null,
        size: random.int(1_000, 5_000_000_000),
      });
    }
    const versions = [{ version: "draft", assets }];
    if (random.chance(options.publishedShare ?? 0.3)) {
      const published = `0.${String(230000 + (d % 1200)).padStart(6, "0")}.${String(1000 + (d % 1300)).padStart(4, "0")}`;
      versions.unshift({ version: published, assets: assets.slice(0, Math.max(1, assets.length - 1)) });
    }
    dandisets.push({ identifier, versions });
  }
  return { dandisets };
}

/** Valid IPv6 client addresses of a few networks (cloud, university, home). */
function makeIpv6Pool(random: Random, count: number): string[] {
  const prefixes = ["2600:1f18:4e2:", "2a01:4f8:10a:", "2001:4860:4801:", "2607:f8b0:4004:", "2001:630:12:"];
  const ips: string[] = [];
  for (let i = 0; i < count; i++) {
    const groups = [];
    for (let g = 0; g < 5; g++) groups.push(random.int(1, 0xffff).toString(16));
    ips.push(`${random.pick(prefixes)}${groups.join(":")}`);
  }
  return ips;
}

export interface GeneratedBinned {
  objects: number;
  rows: number;
  /** Every address written, for checking that none reaches an output. */
  addresses: Set<string>;
}

/** Writes binned files (`blobs/aaa/bbb/<uuid>.tsv`, `zarr/<uuid>.tsv`) for assets of `catalog`. */
export function generateBinned(
  folder: string,
  catalog: Catalog,
  options: GenerateArchiveOptions,
): GeneratedBinned {
  const random = new Random((options.seed ?? 7) + 1);
  const addressCount = options.addresses ?? 2000;
  const pool = [
    ...makeIpPool(random, addressCount).filter((ip) => !ip.includes(":")),
    ...makeIpv6Pool(random, Math.ceil(addressCount / 25)),
  ];
  const objects = new Map<string, CatalogAsset>();
  for (const dandiset of catalog.dandisets) {
    for (const asset of dandiset.versions[dandiset.versions.length - 1].assets) {
      objects.set(
        asset.zarr !== null ? objectKeyOf("zarr", asset.zarr) : objectKeyOf("blobs", asset.blob!),
        asset,
      );
    }
  }
  const keys = [...objects.keys()];
  const chosen = new Set<string>();
  const wanted = Math.min(options.accessedObjects, keys.length);
  while (chosen.size < wanted) chosen.add(random.pick(keys));
  const addresses = new Set<string>();
  let rows = 0;
  const start = Date.UTC(2023, 0, 1) / 1000;
  for (const key of [...chosen].sort()) {
    const count = 1 + random.int(0, 2 * options.rowsPerObject - 2);
    const times: number[] = [];
    for (let i = 0; i < count; i++) times.push(start + random.int(0, 180 * 86400));
    // Mostly in time order, as binned days arrive; some files not, as late log deliveries make them.
    if (random.chance(0.8)) times.sort((a, b) => a - b);
    let text = BINNED_STATUS_HEADER;
    for (const time of times) {
      const address = random.pick(pool);
      addresses.add(address);
      // A third whole downloads (200), most of the rest parts (206), a few other 2xx answers.
      const whole = random.chance(0.3);
      const size = whole ? objects.get(key)!.size : random.int(0, 20_000_000);
      const status = whole ? 200 : random.chance(0.95) ? 206 : 204;
      text += `${new Date(time * 1000).toISOString().slice(0, 19)}\t${size}\t${address}\t${status}\n`;
    }
    const file = path.join(folder, binnedPathOf(key));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    rows += count;
  }
  return { objects: chosen.size, rows, addresses };
}
