import {
  ARCHIVE_FOLDER,
  ARCHIVE_TOTALS_JSON,
  COORDINATES_YAML,
  type PrivacyRounding,
  roundedCount,
  SUMMARIES_SUBFOLDER,
  SUMMARY_KEY_COLUMN,
  SUMMARY_VALUE_COLUMNS,
  type SummaryTableKey,
  summaryTableName,
  TOTALS_JSON,
  UNASSOCIATED_FOLDER,
} from "../formats/summaries-folder.js";
import type { Coordinates } from "../geo/city-places.js";
import { type Activity, sortedKeys, Tally, totalsOf } from "../map/tally.js";

/** What a summary writes to: the map step's writer, which keeps every change undoable. */
export interface SummaryWriter {
  write(relativePath: string, data: string | Buffer): void;
}

/** The exact figures behind one entry of `totals.json` (kept in map's journal, rounded when written). */
export interface SummaryTotals {
  bytes: string;
  regions: number;
  countries: number;
  requests: number;
  downloads: number;
  requesters: number;
}

export function totalsFrom(activity: Activity, requesters: number): SummaryTotals {
  const totals = totalsOf(activity);
  return {
    bytes: totals.bytes_sent.toString(),
    regions: totals.unique_regions,
    countries: totals.unique_countries,
    requests: totals.requests,
    downloads: activity.byDay.totalDownloads(),
    requesters,
  };
}

/** `summaries/<folder>/by_<key>.tsv` for one Dandiset, `archive` or `unassociated`. */
export function summaryTablePath(folder: string, key: SummaryTableKey): string {
  return `${SUMMARIES_SUBFOLDER}/${folder}/${summaryTableName(key)}`;
}

/** A table of bytes (exact) and request and download counts (privacy-rounded): dates in order, else largest first. */
export function summaryTableText(key: SummaryTableKey, tally: Tally, privacy: PrivacyRounding): string {
  let text = `${[SUMMARY_KEY_COLUMN[key], ...SUMMARY_VALUE_COLUMNS].join("\t")}\n`;
  for (const name of sortedKeys(tally.bytes, key === "day" ? "key" : "largest")) {
    const requests = tally.requests.get(name) ?? 0;
    const bytes = tally.bytes.get(name) ?? 0n;
    // A key whose rows were all replaced falls to nothing; a run from scratch would not list it.
    if (requests === 0 && bytes === 0n) continue;
    const downloads = tally.downloads.get(name) ?? 0;
    text += `${name}\t${bytes}\t${roundedCount(requests, privacy)}\t${roundedCount(downloads, privacy)}\n`;
  }
  return text;
}

/** Writes a folder's tables (`keys`) and returns their paths. */
export function writeSummaryTables(
  writer: SummaryWriter,
  folder: string,
  activity: Activity,
  keys: readonly SummaryTableKey[],
  privacy: PrivacyRounding,
): string[] {
  const files: string[] = [];
  for (const key of keys) {
    const tally = key === "day" ? activity.byDay : key === "region" ? activity.byRegion : activity.byAsset;
    const file = summaryTablePath(folder, key);
    writer.write(file, summaryTableText(key, tally, privacy));
    files.push(file);
  }
  return files;
}

/** The traffic on objects of no Dandiset: the archive's less that of the objects the catalog lists. */
export function unassociatedActivity(archive: Activity, associated: Activity): Activity {
  const rest = (all: Tally, part: Tally): Tally => {
    const tally = new Tally();
    tally.addAll(all);
    tally.addAll(part, -1);
    // Unassociated objects have no known size, so none of their requests is a download.
    for (const key of tally.downloads.keys()) tally.downloads.set(key, 0);
    return tally;
  };
  return {
    byDay: rest(archive.byDay, associated.byDay),
    byRegion: rest(archive.byRegion, associated.byRegion),
    byAsset: rest(archive.byAsset, associated.byAsset),
  };
}

/** The archive's tables take bytes and requests from all traffic and downloads from the objects of the catalog. */
export function archiveActivity(archive: Activity, associated: Activity): Activity {
  const withDownloads = (all: Tally, part: Tally): Tally => {
    const tally = new Tally();
    for (const [key, bytes] of all.bytes)
      tally.add(key, bytes, all.requests.get(key) ?? 0, part.downloads.get(key) ?? 0);
    return tally;
  };
  return {
    byDay: withDownloads(archive.byDay, associated.byDay),
    byRegion: withDownloads(archive.byRegion, associated.byRegion),
    byAsset: archive.byAsset,
  };
}

function totalsObject(totals: SummaryTotals, privacy: PrivacyRounding): string {
  const fields: [string, string | number][] = [
    ["total_bytes_sent", totals.bytes],
    ["number_of_unique_regions", totals.regions],
    ["number_of_unique_countries", totals.countries],
    ["total_number_of_requests", roundedCount(totals.requests, privacy)],
    ["total_number_of_downloads", roundedCount(totals.downloads, privacy)],
  ];
  // The unassociated traffic's requesters are not counted (-1): which objects it covers moves with the catalog.
  if (totals.requesters >= 0) fields.push(["number_of_requesters", roundedCount(totals.requesters, privacy)]);
  // Bytes are written as digits: past 2^53 a JSON number parsed as a double would lose them.
  return `{${fields.map(([k, v]) => `${JSON.stringify(k)}: ${typeof v === "number" || k === "total_bytes_sent" ? v : JSON.stringify(v)}`).join(", ")}}`;
}

/** `totals.json`: one line per Dandiset, in identifier order, then `unassociated` as DANDI's file has it. */
export function totalsJsonText(entries: [string, SummaryTotals][], privacy: PrivacyRounding): string {
  if (entries.length === 0) return "{}\n";
  const lines = entries.map(([id, totals]) => `  ${JSON.stringify(id)}: ${totalsObject(totals, privacy)}`);
  return `{\n${lines.join(",\n")}\n}\n`;
}

export function archiveTotalsJsonText(totals: SummaryTotals, privacy: PrivacyRounding): string {
  return `${totalsObject(totals, privacy)}\n`;
}

export { ARCHIVE_FOLDER, ARCHIVE_TOTALS_JSON, COORDINATES_YAML, TOTALS_JSON, UNASSOCIATED_FOLDER };

/** Words YAML 1.1 readers take for booleans or null: a region key spelled so is quoted. */
const YAML_WORDS = /^(y|n|yes|no|on|off|true|false|null|~)$/i;
const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9 ._/()'-]*$/;

/** `region_codes_to_coordinates.yaml`: `REGION:` then its latitude and longitude, regions in name order. */
export function coordinatesYamlText(coordinates: Map<string, Coordinates>): string {
  let text = "";
  for (const region of [...coordinates.keys()].sort()) {
    const { latitude, longitude } = coordinates.get(region)!;
    const plain = PLAIN_KEY.test(region) && !YAML_WORDS.test(region) && !region.endsWith(" ");
    // JSON's double-quoted strings are YAML's too.
    text += `${plain ? region : JSON.stringify(region)}:\n  latitude: ${latitude}\n  longitude: ${longitude}\n`;
  }
  return text === "" ? "{}\n" : text;
}
