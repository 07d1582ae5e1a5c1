import * as fs from "node:fs";
import * as path from "node:path";
import { type AssetFileCounts, countAssetFile } from "./count-asset-file.js";

/** Requests counted from a Dandiset's asset files, for mapped folders written before the request tables. */
export interface DerivedRequests {
  total: number;
  byDay: Map<string, number>;
  byRegion: Map<string, number>;
  /** By asset path; a path is missing when two assets of a version share a file name. */
  byAsset: Map<string, number>;
  byVersion: Map<string, { total: number; byAsset: Map<string, number> }>;
}

export interface VersionAssets {
  id: string;
  /** The asset paths of the version's `version_summary_by_asset.tsv`. */
  assetPaths: string[];
}

const SUMMARY_FILE = /^version_(summary|requests)_by_[a-z]+\.tsv$/;

/** The map step names an asset's file after the asset's file name, every `.` turned into `_`. */
export function assetFileNameOf(assetPath: string): string {
  return `${path.posix.basename(assetPath).replaceAll(".", "_")}.tsv`;
}

/**
 * Counts requests from the asset files of each version. An object shared by several versions has the same
 * file in each, so Dandiset-wide figures count each distinct (file name, content) once, as the map step's
 * Dandiset summaries count bytes. Returns null when no version holds an asset file.
 */
export function deriveRequests(
  dandisetFolder: string,
  versions: readonly VersionAssets[],
): DerivedRequests | null {
  const derived: DerivedRequests = {
    total: 0,
    byDay: new Map(),
    byRegion: new Map(),
    byAsset: new Map(),
    byVersion: new Map(),
  };
  const seen = new Set<string>();
  const pathRequests = new Map<string, Map<string, number>>();
  let filesFound = 0;
  for (const version of versions) {
    const folder = path.join(dandisetFolder, version.id);
    const files = new Map<string, AssetFileCounts>();
    for (const name of fs.readdirSync(folder)) {
      if (!name.endsWith(".tsv") || SUMMARY_FILE.test(name) || name.startsWith(".")) continue;
      files.set(name, countAssetFile(path.join(folder, name)));
    }
    filesFound += files.size;
    const versionByAsset = new Map<string, number>();
    let versionTotal = 0;
    for (const [name, counts] of files) {
      versionTotal += counts.requests;
      const identity = `${name}\0${counts.digest}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      derived.total += counts.requests;
      addAll(derived.byDay, counts.byDay);
      addAll(derived.byRegion, counts.byRegion);
    }
    const pathsByFile = new Map<string, string[]>();
    for (const assetPath of version.assetPaths) {
      const name = assetFileNameOf(assetPath);
      pathsByFile.set(name, [...(pathsByFile.get(name) ?? []), assetPath]);
    }
    for (const [name, paths] of pathsByFile) {
      const counts = files.get(name);
      // Two assets sharing a file name share one file, which cannot say whose requests are whose.
      if (counts === undefined || paths.length > 1) continue;
      versionByAsset.set(paths[0], counts.requests);
      const perObject = pathRequests.get(paths[0]) ?? new Map<string, number>();
      perObject.set(counts.digest, counts.requests);
      pathRequests.set(paths[0], perObject);
    }
    derived.byVersion.set(version.id, { total: versionTotal, byAsset: versionByAsset });
  }
  for (const [assetPath, perObject] of pathRequests) {
    let total = 0;
    for (const n of perObject.values()) total += n;
    derived.byAsset.set(assetPath, total);
  }
  return filesFound === 0 ? null : derived;
}

function addAll(into: Map<string, number>, from: ReadonlyMap<string, number>): void {
  for (const [key, n] of from) into.set(key, (into.get(key) ?? 0) + n);
}
