import { SUMMARY_KEYS, summaryFileName } from "../formats/mapped-folder.js";

/**
 * File names of mapped asset tables. As in the original, an asset's table is named after the last
 * part of its path with every `.` turned into `_`, plus `.tsv`
 * (`sub-01/sub-01_ecephys.nwb` -> `sub-01_ecephys_nwb.tsv`). Two assets of one version can share
 * that name (`sub-01/a.nwb` and `sub-02/a.nwb`); the original then overwrote one with the other.
 * Here names are handed out over all assets of the version in path order: the first keeps the
 * plain name, the next get `_2`, `_3`, … before `.tsv`. Names are compared ignoring case, so no
 * two tables collide on a case-insensitive file system either, and names of the version's summary
 * tables are never handed out. Because every asset of the version takes part, whether accessed or
 * not, an asset's table keeps its name when another asset gets its first download.
 */
export const VERSION_TABLE_NAMES: readonly string[] = (["bytes", "requests"] as const).flatMap((measure) =>
  SUMMARY_KEYS.map((key) => summaryFileName("version", measure, key).slice(0, -".tsv".length)),
);

/** Longest stem kept, in UTF-8 bytes: leaves room for a suffix and `.tsv` under the usual 255-byte limit. */
const MAX_STEM_BYTES = 200;

export function plainStemOf(assetPath: string): string {
  const name = assetPath.slice(assetPath.lastIndexOf("/") + 1).replaceAll(".", "_");
  if (Buffer.byteLength(name) <= MAX_STEM_BYTES) return name;
  // Very long names are cut on a character boundary; the suffix rule keeps cut names apart.
  let cut = name;
  while (Buffer.byteLength(cut) > MAX_STEM_BYTES) cut = cut.slice(0, -1);
  return cut;
}

/** The table file name (`….tsv`) of every path in `assetPaths`, unique within the list. */
export function assetFileNames(assetPaths: readonly string[]): Map<string, string> {
  const unique = [...new Set(assetPaths)];
  const names = versionTableNames(unique.map((assetPath) => ({ path: assetPath, object: "" })));
  return new Map(unique.map((assetPath, i) => [assetPath, names[i]]));
}

/**
 * The table file name of each asset of a version, in the order given, unique within the version.
 * Two assets listed under one path (a catalog can say so) are two tables, told apart like any two
 * names that collide, the one with the smaller object id first.
 */
export function versionTableNames(assets: readonly { path: string; object: string }[]): string[] {
  const taken = new Set(VERSION_TABLE_NAMES.map((name) => name.toLowerCase()));
  const names: string[] = new Array(assets.length);
  const order = assets
    .map((_, i) => i)
    .sort((a, b) => compare(assets[a].path, assets[b].path) || compare(assets[a].object, assets[b].object));
  // Plain names first, so that an asset whose plain name happens to end in `_2` keeps it.
  const pending: number[] = [];
  for (const i of order) {
    const stem = plainStemOf(assets[i].path);
    if (taken.has(stem.toLowerCase())) {
      pending.push(i);
    } else {
      taken.add(stem.toLowerCase());
      names[i] = `${stem}.tsv`;
    }
  }
  for (const i of pending) {
    const stem = plainStemOf(assets[i].path);
    let n = 2;
    while (taken.has(`${stem}_${n}`.toLowerCase())) n++;
    taken.add(`${stem}_${n}`.toLowerCase());
    names[i] = `${stem}_${n}.tsv`;
  }
  return names;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
