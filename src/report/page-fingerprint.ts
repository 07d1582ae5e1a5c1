import { createHash, type Hash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { SUMMARY_KEYS, summaryFileName, TOTALS_FILE } from "../formats/mapped-folder.js";

/**
 * The tables `loadDandiset` reads, by name; keep in step with it. Reading these by name rather than
 * listing the folders spares listing version folders, which hold one file per asset.
 */
const DANDISET_FILES = [
  ...(["bytes", "requests"] as const).flatMap((measure) =>
    SUMMARY_KEYS.map((key) => summaryFileName("dandiset", measure, key)),
  ),
  TOTALS_FILE,
];
const VERSION_FILES = [
  summaryFileName("version", "bytes", "day"),
  summaryFileName("version", "bytes", "asset"),
  summaryFileName("version", "requests", "day"),
];
/** Without this table a page counts requests from the per-asset files instead (`deriveRequests`). */
const REQUEST_TABLE = summaryFileName("dandiset", "requests", "day");
const SUMMARY_FILE = /^version_(summary|requests)_by_[a-z]+\.tsv$/;

/**
 * A digest of everything a Dandiset's page is drawn from, so a rerun can tell whether the page would come
 * out the same. The summary tables and totals.json are small and hashed by content: a map step that
 * writes them again unchanged costs no redraw. The per-asset files, which can be large and which the
 * page reads only when the request tables are missing (folders of the original tool), count by name,
 * size and modification time, and only then. Dot-entries are skipped, as the page skips them.
 */
export function fingerprintDandiset(dandisetFolder: string): string {
  const hash = createHash("sha256");
  let readsAssetFiles = true;
  for (const name of DANDISET_FILES) {
    if (addContent(hash, path.join(dandisetFolder, name), name) && name === REQUEST_TABLE)
      readsAssetFiles = false;
  }
  const versions = fs
    .readdirSync(dandisetFolder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
  for (const version of versions) {
    const folder = path.join(dandisetFolder, version);
    for (const name of VERSION_FILES) addContent(hash, path.join(folder, name), `${version}/${name}`);
    if (readsAssetFiles) addAssetFiles(hash, folder, version);
  }
  return hash.digest("hex");
}

/** Adds the file's name and content, or its absence; returns whether it exists. */
function addContent(hash: Hash, file: string, name: string): boolean {
  let content: Buffer;
  try {
    content = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    hash.update(`${name}\0absent\0`);
    return false;
  }
  hash.update(`${name}\0${content.length}\0`);
  hash.update(content);
  return true;
}

function addAssetFiles(hash: Hash, folder: string, version: string): void {
  const names = fs
    .readdirSync(folder)
    .filter((name) => name.endsWith(".tsv") && !name.startsWith(".") && !SUMMARY_FILE.test(name))
    .sort();
  for (const name of names) {
    const stat = fs.statSync(path.join(folder, name), { bigint: true });
    hash.update(`${version}/${name}\0${stat.size}\0${stat.mtimeNs}\0`);
  }
}
