import * as fs from "node:fs";
import * as path from "node:path";
import type { ObjectType } from "../dandi/catalog.js";
import { RunError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import type { SummaryTotals } from "../summaries/totals.js";
import { type Activity, emptyActivity, Tally } from "./tally.js";

/**
 * What the map step keeps for itself under `<mapped>/.map_state/` (never published):
 *  - `journal.json`: the commit point. Which of bin's batches are mapped, and per Dandiset the
 *    fingerprint of the catalog its tables were made from;
 *  - `objects/…`: one mapped table per binned object (same layout as the binned folder); the
 *    published asset tables are hard links to these, so a table is written once however many
 *    versions list its asset, and extending it extends every version's table at once;
 *  - `dandisets/<id>.json`: the Dandiset's summaries as numbers, which a run adds the new rows to;
 *  - `catalog/<id>.json`: the assets the Dandiset's tables were made from, for runs that read only
 *    part of the catalog;
 *  - `archive.json`: the archive's summaries as numbers;
 *  - `associated.json`, `associated.tsv`: the numbers of the objects some Dandiset lists (the rest
 *    of the archive is the undetermined traffic), and those objects with their asset types;
 *  - `requesters/<id>.bin`, `requesters/archive.bin`: the keyed hashes of the requesters' addresses
 *    (`requester_key`, made once, mode 0600, is the key), so that requesters are counted exactly
 *    and incrementally without an address on disk;
 *  - `coordinates.json`: the coordinates of the regions found so far;
 *  - `summaries_undo/`: the undo log of the published summaries folder, when one is written.
 */
export const STATE_FOLDER = ".map_state";
const JOURNAL_NAME = "journal.json";
/**
 * 2: summaries count downloads, and the requester sets and associated objects are kept.
 * 3: downloads are 200 answers and views sessions of 206 answers: each mapped object has its rows'
 * kinds beside it (`.kinds`), the numbers count views and bytes by week, and the listed objects are
 * kept with their asset type rather than their size.
 */
const FORMAT = 3;

export interface MapJournal {
  format: number;
  /** Counts the runs that committed; the undo log names the run it belongs to. */
  batch: number;
  /** Bin's last batch mapped; 0 with a binned folder without numbered batches. */
  binBatch: number;
  /** Bin's journal as mapped (`day rows batch` lines): a binned folder made anew is told from the one mapped. */
  binDays: string[];
  /** Whether the binned folder had a journal; without one every run maps everything. */
  binJournaled: boolean;
  objectType: ObjectType | null;
  /** Per Dandiset with a folder: its catalog fingerprint and the counts of its folder. */
  dandisets: Record<string, DandisetRecord>;
  /** The fingerprint of the objects the Dandisets list, with their sizes. */
  associated: string;
  /** Where the published summaries were written, and under which disclosure threshold; null when not written. */
  summaries: SummariesRecord | null;
}

export interface SummariesRecord {
  folder: string;
  /** `by_region.tsv`'s disclosure threshold. */
  threshold: number;
}

export interface DandisetRecord {
  fingerprint: string;
  versions: number;
  tables: number;
  /** Whether it has a folder of published summaries: it has requests (and is not embargoed). */
  published: boolean;
  /** Its distinct requesters, not counting clouds. */
  requesters: number;
  /** Its entry in the published `totals.json` as last written; null when none is. */
  totals: SummaryTotals | null;
}

export function stateFolderOf(mappedFolder: string): string {
  return path.join(mappedFolder, STATE_FOLDER);
}

export function readMapJournal(stateFolder: string): MapJournal | null {
  const file = path.join(stateFolder, JOURNAL_NAME);
  const text = readTextIfExists(file);
  if (text === null) return null;
  let journal: MapJournal;
  try {
    journal = JSON.parse(text) as MapJournal;
  } catch (error) {
    throw new RunError(
      `${file} is not JSON (${(error as Error).message}); map it again from scratch (the rebuild option, --rebuild)`,
    );
  }
  if (journal.format !== FORMAT) return null;
  return journal;
}

/** Commits a run: written aside, flushed and renamed into place. */
export function writeMapJournal(stateFolder: string, journal: Omit<MapJournal, "format">): void {
  writeFileAtomic(
    path.join(stateFolder, JOURNAL_NAME),
    `${JSON.stringify({ format: FORMAT, ...journal })}\n`,
  );
}

/** A Dandiset's summaries as numbers: per version, and over the Dandiset (each object once). */
export interface DandisetAggregates {
  versions: Map<string, Activity>;
  dandiset: Activity;
}

type TallyJson = [string, string, number, number, number][];
interface ActivityJson {
  day: TallyJson;
  region: TallyJson;
  asset: TallyJson;
  week: TallyJson;
}

function tallyToJson(tally: Tally): TallyJson {
  const rows: TallyJson = [];
  tally.forEach((key, bytes, requests, downloads, views) => {
    // A key can fall to nothing when rows are replaced; a run from scratch would not list it.
    if (requests !== 0 || bytes !== 0n) rows.push([key, bytes.toString(), requests, downloads, views]);
  });
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function tallyFromJson(rows: TallyJson): Tally {
  const tally = new Tally();
  for (const [key, bytes, requests, downloads, views] of rows)
    tally.add(key, BigInt(bytes), requests, downloads, views);
  return tally;
}

export function activityToJson(activity: Activity): ActivityJson {
  return {
    day: tallyToJson(activity.byDay),
    region: tallyToJson(activity.byRegion),
    asset: tallyToJson(activity.byAsset),
    week: tallyToJson(activity.byWeek),
  };
}

export function activityFromJson(json: ActivityJson): Activity {
  return {
    byDay: tallyFromJson(json.day),
    byRegion: tallyFromJson(json.region),
    byAsset: tallyFromJson(json.asset),
    byWeek: tallyFromJson(json.week),
  };
}

export function aggregatesToJson(aggregates: DandisetAggregates): string {
  const versions: Record<string, ActivityJson> = {};
  for (const [version, activity] of aggregates.versions) versions[version] = activityToJson(activity);
  return `${JSON.stringify({ versions, dandiset: activityToJson(aggregates.dandiset) })}\n`;
}

export function readAggregates(file: string): DandisetAggregates {
  const text = readTextIfExists(file);
  if (text === null) return { versions: new Map(), dandiset: emptyActivity() };
  const json = JSON.parse(text) as { versions: Record<string, ActivityJson>; dandiset: ActivityJson };
  return {
    versions: new Map(Object.entries(json.versions).map(([v, a]) => [v, activityFromJson(a)])),
    dandiset: activityFromJson(json.dandiset),
  };
}

export function readArchiveActivity(file: string): Activity {
  const text = readTextIfExists(file);
  return text === null ? emptyActivity() : activityFromJson(JSON.parse(text) as ActivityJson);
}

/** Removes what a rebuild starts without: the mapped objects and the numbers kept. */
export function clearState(stateFolder: string): void {
  for (const name of [
    "objects",
    "dandisets",
    "catalog",
    "archive.json",
    "associated.json",
    "associated.tsv",
    "requesters",
    JOURNAL_NAME,
  ])
    fs.rmSync(path.join(stateFolder, name), { recursive: true, force: true });
}

/** The objects some Dandiset lists, with their asset types. */
export function associatedListText(associated: Map<string, string>): string {
  let text = "";
  for (const [object, size] of [...associated].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    text += `${object}\t${size}\n`;
  return text;
}

export function readAssociatedList(file: string): Map<string, string> {
  const list = new Map<string, string>();
  for (const line of (readTextIfExists(file) ?? "").split("\n")) {
    const tab = line.indexOf("\t");
    if (tab > 0) list.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return list;
}
