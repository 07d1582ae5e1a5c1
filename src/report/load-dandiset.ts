import * as fs from "node:fs";
import * as path from "node:path";
import { KEY_COLUMN, summaryFileName, TOTALS_FILE, VALUE_COLUMN } from "../formats/mapped-folder.js";
import { type DerivedRequests, deriveRequests } from "./derive-requests.js";
import { numberField, readJsonObject, readTable, stringField, type TableRow } from "./read-table.js";
import { countryOf } from "./regions.js";
import {
  type DandisetUsage,
  joinRequests,
  type RequestSource,
  sumBytes,
  sumRequests,
  toMap,
  type UsageRow,
  type VersionUsage,
} from "./usage.js";

/** A Dandiset's folder is recognised by this table, which every version of the map step writes. */
const DANDISET_MARKER = summaryFileName("dandiset", "bytes", "day");
const VERSION_MARKER = summaryFileName("version", "bytes", "day");

/** The Dandiset folders of a mapped folder, sorted; other entries (stray files, temporary folders) are left out. */
export function listDandisets(mappedFolder: string): string[] {
  return subfoldersHolding(mappedFolder, DANDISET_MARKER);
}

function subfoldersHolding(folder: string, marker: string): string[] {
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .filter((name) => fs.existsSync(path.join(folder, name, marker)))
    .sort();
}

/** Reads what the report needs of one Dandiset: its summaries, request counts and versions. */
export function loadDandiset(mappedFolder: string, id: string): DandisetUsage {
  const folder = path.join(mappedFolder, id);
  const table = (name: string, keyColumn: string, valueColumn: string) =>
    readTable(path.join(folder, name), keyColumn, valueColumn, keyColumn === KEY_COLUMN.day);

  const versionTables = subfoldersHolding(folder, VERSION_MARKER).map((versionId) => {
    const versionTable = (name: string, keyColumn: string, valueColumn: string) =>
      readTable(path.join(folder, versionId, name), keyColumn, valueColumn, keyColumn === KEY_COLUMN.day);
    return {
      id: versionId,
      byDay:
        versionTable(summaryFileName("version", "bytes", "day"), KEY_COLUMN.day, VALUE_COLUMN.bytes) ?? [],
      byAsset:
        versionTable(summaryFileName("version", "bytes", "asset"), KEY_COLUMN.asset, VALUE_COLUMN.bytes) ??
        [],
      requestsByDay: versionTable(
        summaryFileName("version", "requests", "day"),
        KEY_COLUMN.day,
        VALUE_COLUMN.requests,
      ),
    };
  });

  let requestsByDay = toMap(
    table(summaryFileName("dandiset", "requests", "day"), KEY_COLUMN.day, VALUE_COLUMN.requests),
  );
  let requestsByRegion = toMap(
    table(summaryFileName("dandiset", "requests", "region"), KEY_COLUMN.region, VALUE_COLUMN.requests),
  );
  let requestsByAsset = toMap(
    table(summaryFileName("dandiset", "requests", "asset"), KEY_COLUMN.asset, VALUE_COLUMN.requests),
  );
  let requestSource: RequestSource = requestsByDay === null ? "none" : "tables";
  let derived: DerivedRequests | null = null;
  if (requestsByDay === null) {
    derived = deriveRequests(
      folder,
      versionTables.map((version) => ({ id: version.id, assetPaths: version.byAsset.map((row) => row.key) })),
    );
    if (derived !== null) {
      requestSource = "asset files";
      requestsByDay = derived.byDay;
      requestsByRegion = derived.byRegion;
      requestsByAsset = derived.byAsset;
    }
  }

  const byDay = joinRequests(
    table(summaryFileName("dandiset", "bytes", "day"), KEY_COLUMN.day, VALUE_COLUMN.bytes) ?? [],
    requestsByDay,
  );
  const byRegion = joinRequests(
    table(summaryFileName("dandiset", "bytes", "region"), KEY_COLUMN.region, VALUE_COLUMN.bytes) ?? [],
    requestsByRegion,
  );
  const byAsset = joinRequests(
    table(summaryFileName("dandiset", "bytes", "asset"), KEY_COLUMN.asset, VALUE_COLUMN.bytes) ?? [],
    requestsByAsset,
  );
  const versions = versionTables
    .map((version): VersionUsage => {
      const requests =
        version.requestsByDay !== null
          ? sumOf(version.requestsByDay)
          : (derived?.byVersion.get(version.id)?.total ?? null);
      return {
        id: version.id,
        bytes: sumOf(version.byDay),
        requests,
        assets: version.byAsset.length,
        firstDate: version.byDay.length > 0 ? minKey(version.byDay) : null,
        lastDate: version.byDay.length > 0 ? maxKey(version.byDay) : null,
      };
    })
    .sort(compareVersions);

  const totals = readJsonObject(path.join(folder, TOTALS_FILE));
  const regions = regionCounts(byRegion);
  return {
    id,
    name: stringField(totals, "name")?.trim() || null,
    bytes: numberField(totals, "bytes_sent") ?? sumBytes(byDay),
    requests: numberField(totals, "requests") ?? (requestSource === "none" ? null : sumRequests(byDay)),
    firstDate: stringField(totals, "first_date") ?? (byDay.length > 0 ? minKey(byDay) : null),
    lastDate: stringField(totals, "last_date") ?? (byDay.length > 0 ? maxKey(byDay) : null),
    uniqueRegions: numberField(totals, "unique_regions") ?? regions.regions,
    uniqueCountries: numberField(totals, "unique_countries") ?? regions.countries,
    byDay,
    byRegion,
    byAsset,
    versions,
    requestSource,
  };
}

/** Distinct known regions (`unknown` and `bogon`, unroutable addresses, are no place) and distinct countries among them. */
export function regionCounts(byRegion: readonly UsageRow[]): { regions: number; countries: number } {
  const regions = new Set<string>();
  const countries = new Set<string>();
  for (const row of byRegion) {
    if (row.key === "unknown" || row.key === "bogon") continue;
    regions.add(row.key);
    const country = countryOf(row.key);
    if (country !== null) countries.add(country);
  }
  return { regions: regions.size, countries: countries.size };
}

/** The draft first, then published versions newest first (their names sort by release date). */
function compareVersions(a: VersionUsage, b: VersionUsage): number {
  if (a.id === "draft" || b.id === "draft") return a.id === "draft" ? (b.id === "draft" ? 0 : -1) : 1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function sumOf(rows: readonly TableRow[]): number {
  let total = 0;
  for (const row of rows) total += row.value;
  return total;
}

function minKey(rows: readonly { key: string }[]): string {
  let min = rows[0].key;
  for (const row of rows) if (row.key < min) min = row.key;
  return min;
}

function maxKey(rows: readonly { key: string }[]): string {
  let max = rows[0].key;
  for (const row of rows) if (row.key > max) max = row.key;
  return max;
}
