import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The tables a page reads whole; small, so their content is hashed. */
const SUMMARY_TABLE = /^(dandiset|version)_(summary|requests)_by_[a-z]+\.tsv$/;
const TOTALS = "totals.json";
/** Without this table a page counts requests from the per-asset files instead. */
const REQUEST_TABLE = "dandiset_requests_by_day.tsv";

/**
 * A digest of everything a Dandiset's page is drawn from, so a rerun can tell whether the page would come
 * out the same. The summary tables and totals.json are hashed by content: a map step that rewrites them
 * unchanged then costs nothing. The per-asset files, which can be large and which the page reads only
 * when the request tables are missing (folders of the original tool), count by name, size and
 * modification time, and only in that case. Dot-entries are skipped at every level, as the page does.
 */
export function fingerprintDandiset(dandisetFolder: string): string {
  const hash = createHash("sha256");
  const names = visibleEntries(dandisetFolder);
  const readsAssetFiles = !names.some((entry) => entry.name === REQUEST_TABLE && entry.isFile());
  addFolder(hash, dandisetFolder, "", names, false);
  for (const entry of names) {
    if (!entry.isDirectory()) continue;
    const folder = path.join(dandisetFolder, entry.name);
    addFolder(hash, folder, `${entry.name}/`, visibleEntries(folder), readsAssetFiles);
  }
  return hash.digest("hex");
}

function visibleEntries(folder: string): fs.Dirent[] {
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith("."))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function addFolder(
  hash: ReturnType<typeof createHash>,
  folder: string,
  prefix: string,
  entries: readonly fs.Dirent[],
  withAssetFiles: boolean,
): void {
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(folder, entry.name);
    if (SUMMARY_TABLE.test(entry.name) || entry.name === TOTALS) {
      const content = fs.readFileSync(file);
      hash.update(`${prefix}${entry.name}\0${content.length}\0`);
      hash.update(content);
    } else if (withAssetFiles && entry.name.endsWith(".tsv")) {
      const stat = fs.statSync(file, { bigint: true });
      hash.update(`${prefix}${entry.name}\0${stat.size}\0${stat.mtimeNs}\0`);
    }
  }
}
