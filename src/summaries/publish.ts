import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../errors.js";
import { refuseInsideStepFolder } from "../formats/step-folders.js";
import {
  ARCHIVE_FOLDER,
  ARCHIVE_TOTALS_JSON,
  COORDINATES_YAML,
  SUMMARIES_SUBFOLDER,
  TOTALS_JSON,
  UNDETERMINED_FOLDER,
} from "../formats/summaries-folder.js";
import type { Coordinates } from "../geo/city-places.js";
import { publishedRegionOf, regionCoordinates } from "../geo/published-regions.js";
import { isInside } from "../io/folders.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import { type DandisetRecord, readAggregates, STATE_FOLDER } from "../map/map-state.js";
import type { OutputWriter } from "../map/output-writer.js";
import { type Activity, addWeeks, Tally } from "../map/tally.js";
import { coordinatesYamlText } from "./coordinates-yaml.js";
import { publishEntity } from "./publish-entity.js";
import { archiveTotalsJsonText, type SummaryTotals, totalsJsonText } from "./totals.js";

const COORDINATES_STATE = "coordinates.json";

export interface PublishInput {
  /** Writes the summaries folder. */
  writer: OutputWriter;
  /** Writes the mapped folder (the coordinates found are kept there). */
  mainWriter: OutputWriter;
  stateFolder: string;
  /** `by_region.tsv`'s disclosure threshold (see region-disclosure.ts). */
  threshold: number;
  /** Every Dandiset the mapped folder holds, as this run leaves it. */
  records: Record<string, DandisetRecord>;
  /** The Dandisets whose numbers this run wrote. */
  changed: Map<string, Activity>;
  /** Write every Dandiset's tables (first run, another folder or threshold), not only the changed ones. */
  full: boolean;
  /** All traffic on asset keys, and that of the objects some Dandiset lists. */
  archive: Activity;
  listed: Activity;
  archiveRequesters: number;
  undeterminedRequesters: number;
}

/**
 * Writes the published summaries from the numbers map keeps: the folders of the Dandisets this
 * run changed (all of them when `full`), `undetermined` and `archive`, the totals and the regions'
 * coordinates. A file whose content is unchanged is left alone. Returns the totals of every
 * published Dandiset, which map keeps for the runs that do not change it.
 */
export function publishSummaries(input: PublishInput): Map<string, SummaryTotals> {
  const { writer, records, threshold } = input;
  const totals = new Map<string, SummaryTotals>();
  const active = Object.keys(records)
    .filter((id) => records[id].published)
    .sort();
  for (const id of active) {
    let activity = input.changed.get(id);
    if (activity === undefined && input.full)
      activity = readAggregates(path.join(input.stateFolder, "dandisets", `${id}.json`)).dandiset;
    const kept = records[id].totals;
    if (activity === undefined && kept !== null) {
      totals.set(id, kept);
      continue;
    }
    const numbers = {
      ...activity!,
      weeks: activity!.byWeek,
      weeksByType: false,
      requesters: records[id].requesters,
    };
    totals.set(id, publishEntity(writer, id, numbers, threshold));
  }
  const undetermined = undeterminedActivity(input.archive, input.listed);
  const entries = new Map(totals);
  if (undetermined.byDay.totalRequests() > 0) {
    const numbers = {
      ...undetermined,
      weeks: undetermined.byWeek,
      weeksByType: false,
      requesters: input.undeterminedRequesters,
    };
    entries.set(UNDETERMINED_FOLDER, publishEntity(writer, UNDETERMINED_FOLDER, numbers, threshold));
  }
  // A Dandiset gone, embargoed or without requests any more loses its folder.
  const keep = new Set([
    ...active,
    ARCHIVE_FOLDER,
    ...(entries.has(UNDETERMINED_FOLDER) ? [UNDETERMINED_FOLDER] : []),
  ]);
  for (const name of listFolders(path.join(writer.root, SUMMARIES_SUBFOLDER)))
    if (!keep.has(name)) writer.removeLeftovers(`${SUMMARIES_SUBFOLDER}/${name}`, new Set());

  const archiveWeeks = new Tally();
  archiveWeeks.addAll(input.listed.byWeek);
  addWeeks(archiveWeeks, undetermined.byDay, "Miscellaneous");
  const archiveNumbers = {
    byDay: input.archive.byDay,
    byRegion: input.archive.byRegion,
    byAsset: null,
    weeks: archiveWeeks,
    weeksByType: true,
    requesters: input.archiveRequesters,
  };
  const archiveTotals = publishEntity(writer, ARCHIVE_FOLDER, archiveNumbers, threshold);
  writer.write(TOTALS_JSON, totalsJsonText(entries));
  writer.write(ARCHIVE_TOTALS_JSON, archiveTotalsJsonText(archiveTotals));
  writer.write(COORDINATES_YAML, coordinatesYamlText(coordinatesOf(input.archive, input)));
  return totals;
}

/**
 * The traffic on objects of no Dandiset: the archive's less that of the objects the catalog lists,
 * as one asset named `undetermined` (its path is unknown), of type Miscellaneous.
 */
function undeterminedActivity(archive: Activity, listed: Activity): Activity {
  const rest = (all: Tally, part: Tally): Tally => {
    const tally = new Tally();
    tally.addAll(all);
    tally.addAll(part, -1);
    return tally;
  };
  const byDay = rest(archive.byDay, listed.byDay);
  const byAsset = new Tally();
  byAsset.add(
    UNDETERMINED_FOLDER,
    byDay.totalBytes(),
    byDay.totalRequests(),
    byDay.totalDownloads(),
    byDay.totalViews(),
  );
  const byWeek = new Tally();
  addWeeks(byWeek, byDay, UNDETERMINED_FOLDER);
  return { byDay, byRegion: rest(archive.byRegion, listed.byRegion), byAsset, byWeek };
}

/**
 * The coordinates of every region label of the archive's traffic (which holds every label of the
 * other folders), `null` for labels that are not places. Finding a place reads the whole location
 * database (seconds), so labels placed (or not) are kept and looked up once.
 */
function coordinatesOf(archive: Activity, input: PublishInput): Map<string, Coordinates | null> {
  const labels = new Set<string>();
  for (const [region, requests] of archive.byRegion.requests)
    if (requests > 0) labels.add(publishedRegionOf(region));
  const file = path.join(input.stateFolder, COORDINATES_STATE);
  const known = JSON.parse(readTextIfExists(file) ?? "{}") as Record<string, [number, number] | null>;
  const missing = [...labels].filter((label) => !(label in known));
  if (missing.length > 0) {
    for (const [label, at] of regionCoordinates(missing))
      known[label] = at === null ? null : [at.latitude, at.longitude];
    const sorted = Object.fromEntries(Object.entries(known).sort(([a], [b]) => (a < b ? -1 : 1)));
    input.mainWriter.write(`${STATE_FOLDER}/${COORDINATES_STATE}`, `${JSON.stringify(sorted)}\n`);
  }
  const coordinates = new Map<string, Coordinates | null>();
  for (const label of labels) {
    const at = known[label] ?? null;
    coordinates.set(label, at === null ? null : { latitude: at[0], longitude: at[1] });
  }
  return coordinates;
}

function listFolders(folder: string): string[] {
  try {
    return fs
      .readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** Checks that the summaries folder lies apart from the binned and mapped folders, then creates it. */
export function prepareSummariesFolder(
  folder: string | undefined,
  binnedFolder: string,
  mappedFolder: string,
): string | null {
  if (folder === undefined) return null;
  const resolved = path.resolve(folder);
  for (const [other, option] of [
    [binnedFolder, "binnedFolder"],
    [mappedFolder, "mappedFolder"],
  ] as const) {
    if (isInside(resolved, other) || isInside(other, resolved))
      throw new UsageError(
        `\`summariesFolder\` ${folder} and \`${option}\` ${other} overlap; choose a summaries folder apart from both`,
        { code: "ERR_OUTPUT_INSIDE_INPUT", optionNames: ["summariesFolder", option] },
      );
  }
  refuseInsideStepFolder(resolved, "summariesFolder");
  fs.mkdirSync(resolved, { recursive: true });
  return resolved;
}

/**
 * The lock map holds on the summaries folder while it publishes there, so that two mapped folders
 * never write one summaries folder at once. A hidden file, there only while map runs.
 */
export const SUMMARIES_LOCK = ".summaries_lock";

/** Whether `folder` holds nothing yet (but map's lock), so the first write of each file needs no look for an old one. */
export function isEmptyFolder(folder: string): boolean {
  return fs.readdirSync(folder).every((name) => name.startsWith(SUMMARIES_LOCK));
}
