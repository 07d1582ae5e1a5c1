import type { Catalog, CatalogAsset } from "../../src/dandi/catalog.ts";
import { Random } from "../../src/generate/random.ts";
import { readTree } from "../helpers.ts";

/** The object keys a folder of reduced days names, sorted. */
export function objectKeys(reduced: string): string[] {
  const keys = new Set<string>();
  for (const [, text] of readTree(reduced))
    for (const line of text.split("\n").slice(1)) if (line !== "") keys.add(line.split("\t")[2]);
  return [...keys].sort();
}

/**
 * `dandisets` Dandisets over the objects, with what makes mapping hard: versions that share assets,
 * two assets of one version with one file name, an object in two Dandisets, and some objects in none.
 */
export function overlappingCatalog(keys: string[], seed: number, dandisets: number): Catalog {
  const random = new Random(seed);
  const asset = (key: string, p: string): CatalogAsset => {
    const id = key.slice(key.lastIndexOf("/") + 1);
    return key.startsWith("zarr/")
      ? { asset_id: `a-${p}`, path: p, blob: null, zarr: id, size: 1000 }
      : { asset_id: `a-${p}`, path: p, blob: id, zarr: null, size: 1000 };
  };
  const entries: Catalog["dandisets"] = [];
  for (let d = 0; d < dandisets; d++) {
    const mine = keys.filter((_, i) => i % (dandisets + 1) === d || (d === 0 && i % 13 === 0));
    const assets = mine.map((key, i) => asset(key, `sub-${i % 5}/file-${i % (dandisets + 3)}.nwb`));
    const draft = { version: "draft", assets };
    const published = { version: "0.240101.1200", assets: assets.slice(0, Math.ceil(assets.length / 2)) };
    entries.push({
      identifier: String(d + 1).padStart(6, "0"),
      versions: random.int(0, 1) === 0 ? [draft, published] : [draft],
    });
  }
  return { dandisets: entries };
}
