import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../errors.js";
import { countryOf } from "../formats/mapped-folder.js";
import { type PrivacyRounding, SUMMARIES_SUBFOLDER } from "../formats/summaries-folder.js";
import { type Coordinates, placeCoordinates } from "../geo/city-places.js";
import { isInside } from "../io/folders.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import {
  ARCHIVE_FOLDER,
  ARCHIVE_TOTALS_JSON,
  archiveActivity,
  archiveTotalsJsonText,
  COORDINATES_YAML,
  coordinatesYamlText,
  type SummaryTotals,
  TOTALS_JSON,
  totalsFrom,
  totalsJsonText,
  UNASSOCIATED_FOLDER,
  unassociatedActivity,
  writeSummaryTables,
} from "../summaries/summary-files.js";
import { type DandisetRecord, readAggregates, STATE_FOLDER } from "./map-state.js";
import type { OutputWriter } from "./output-writer.js";
import type { Activity } from "./tally.js";

const COORDINATES_STATE = "coordinates.json";

export interface PublishInput {
  /** Writes the summaries folder. */
  writer: OutputWriter;
  /** Writes the mapped folder (the coordinates found are kept there). */
  mainWriter: OutputWriter;
  stateFolder: string;
  privacy: PrivacyRounding;
  /** Every Dandiset the mapped folder holds, as this run leaves it. */
  records: Record<string, DandisetRecord>;
  /** The Dandisets whose numbers this run wrote. */
  changed: Map<string, Activity>;
  /** Write every Dandiset's tables (first run, another folder or rounding), not only the changed ones. */
  full: boolean;
  /** All traffic on asset keys (bytes, requests), and that of the objects some Dandiset lists. */
  archive: Activity;
  listed: Activity;
  archiveRequesters: number;
}

/**
 * Writes the published summaries from the numbers map keeps: the tables of the Dandisets this run
 * changed (all of them when `full`), the archive's and the unassociated traffic's tables, the
 * totals and the regions' coordinates. A file whose content is unchanged is left alone.
 */
export function publishSummaries(input: PublishInput): void {
  const { writer, privacy, records } = input;
  const active = Object.keys(records)
    .filter((id) => records[id].totals !== null)
    .sort();
  for (const id of active) {
    let activity = input.changed.get(id);
    if (activity === undefined && input.full)
      activity = readAggregates(path.join(input.stateFolder, "dandisets", `${id}.json`)).dandiset;
    if (activity !== undefined) writeSummaryTables(writer, id, activity, ["day", "asset", "region"], privacy);
  }
  // A Dandiset gone, embargoed or without requests any more loses its folder.
  const keep = new Set([...active, ARCHIVE_FOLDER, UNASSOCIATED_FOLDER]);
  for (const name of listFolders(path.join(writer.root, SUMMARIES_SUBFOLDER)))
    if (!keep.has(name)) writer.removeLeftovers(`${SUMMARIES_SUBFOLDER}/${name}`, new Set());

  const archive = archiveActivity(input.archive, input.listed);
  writeSummaryTables(writer, ARCHIVE_FOLDER, archive, ["day", "region"], privacy);
  const unassociated = unassociatedActivity(input.archive, input.listed);
  writeSummaryTables(writer, UNASSOCIATED_FOLDER, unassociated, ["day", "region"], privacy);
  writer.write(
    TOTALS_JSON,
    totalsJsonText(
      [
        ...active.map((id): [string, SummaryTotals] => [id, records[id].totals!]),
        [UNASSOCIATED_FOLDER, totalsFrom(unassociated, -1)],
      ],
      privacy,
    ),
  );
  writer.write(
    ARCHIVE_TOTALS_JSON,
    archiveTotalsJsonText(totalsFrom(archive, input.archiveRequesters), privacy),
  );
  writer.write(COORDINATES_YAML, coordinatesYamlText(coordinatesOf(archive, input)));
}

/**
 * The coordinates of the countries and subdivisions in the archive's regions. Finding a place reads
 * the whole location database (seconds), so places found (or not) are kept and looked up once.
 */
function coordinatesOf(archive: Activity, input: PublishInput): Map<string, Coordinates> {
  const places: string[] = [];
  for (const [region, requests] of archive.byRegion.requests)
    if (requests > 0 && countryOf(region) !== null) places.push(region);
  const file = path.join(input.stateFolder, COORDINATES_STATE);
  const known = JSON.parse(readTextIfExists(file) ?? "{}") as Record<string, [number, number] | null>;
  const missing = new Set(places.filter((place) => !(place in known)));
  if (missing.size > 0) {
    const found = placeCoordinates(missing);
    for (const place of missing) {
      const at = found.get(place);
      known[place] = at === undefined ? null : [at.latitude, at.longitude];
    }
    const sorted = Object.fromEntries(Object.entries(known).sort(([a], [b]) => (a < b ? -1 : 1)));
    input.mainWriter.write(`${STATE_FOLDER}/${COORDINATES_STATE}`, `${JSON.stringify(sorted)}\n`);
  }
  const coordinates = new Map<string, Coordinates>();
  for (const place of places) {
    const at = known[place];
    if (at) coordinates.set(place, { latitude: at[0], longitude: at[1] });
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
