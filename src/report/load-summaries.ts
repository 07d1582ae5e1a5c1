import * as fs from "node:fs";
import * as path from "node:path";
import {
  ARCHIVE_FOLDER,
  ARCHIVE_TOTALS_JSON,
  ASSET_TYPE_PER_WEEK_TSV,
  SUMMARIES_SUBFOLDER,
  SUMMARY_KEY_COLUMN,
  type SummaryTableKey,
  summaryTableName,
  TOTALS_JSON,
  UNDETERMINED_FOLDER,
  WEEK_COLUMN,
} from "../formats/summaries-folder.js";
import { readJsonObject } from "./read-table.js";

/**
 * What the report reads of the summaries folder map publishes (src/formats/summaries-folder.ts).
 * Counts there are exact integers; a folder written by an earlier version may hold `<50` (a rounded
 * count below the privacy threshold), lack the views or downloads column, or name the undetermined
 * traffic `unassociated`. Whatever is not a plain whole number reads as null, which the pages show
 * as "–": never NaN, never a false 0.
 */

/** The name an earlier version gave the traffic of objects no Dandiset lists. */
const EARLIER_UNDETERMINED = "unassociated";

/** The figures of one entry of `totals.json` (or of `archive_totals.json`) that the pages show. */
export interface PublishedTotals {
  bytes: number | null;
  requests: number | null;
  downloads: number | null;
  views: number | null;
  requesters: number | null;
}

/** One row of a published `by_day`, `by_asset` or `by_region` table. */
export interface PublishedRow {
  key: string;
  bytes: number;
  requests: number | null;
  downloads: number | null;
  views: number | null;
}

/** `by_asset_type_per_week.tsv`: bytes per week (the Monday it starts) and asset type. */
export interface AssetTypeWeeks {
  /** The types present, as the header names them. */
  types: string[];
  /** Weeks in order; `bytes[i]` is the bytes of `types[i]`. */
  weeks: { week: string; bytes: number[] }[];
}

/** The traffic of objects no Dandiset lists: its totals, and by region (largest first) once published. */
export interface UndeterminedTraffic {
  totals: PublishedTotals;
  byRegion: PublishedRow[] | null;
}

export interface PublishedSummaries {
  folder: string;
  /** Per Dandiset. */
  totals: Map<string, PublishedTotals>;
  archive: PublishedTotals | null;
  archiveAssetTypes: AssetTypeWeeks | null;
  undetermined: UndeterminedTraffic | null;
}

/** Reads the totals, the archive's weeks by asset type and the undetermined traffic; null when the folder holds no totals. */
export function loadPublishedSummaries(folder: string): PublishedSummaries | null {
  const totalsJson = readJsonObject(path.join(folder, TOTALS_JSON));
  if (totalsJson === null) return null;
  const totals = new Map<string, PublishedTotals>();
  for (const [id, entry] of Object.entries(totalsJson)) {
    const totalsOf = publishedTotals(entry);
    if (totalsOf !== null && id !== UNDETERMINED_FOLDER && id !== EARLIER_UNDETERMINED)
      totals.set(id, totalsOf);
  }
  return {
    folder,
    totals,
    archive: publishedTotals(readJsonObject(path.join(folder, ARCHIVE_TOTALS_JSON))),
    archiveAssetTypes: readAssetTypeWeeks(folder, ARCHIVE_FOLDER),
    undetermined: readUndetermined(folder, totalsJson),
  };
}

function readUndetermined(folder: string, totalsJson: Record<string, unknown>): UndeterminedTraffic | null {
  for (const name of [UNDETERMINED_FOLDER, EARLIER_UNDETERMINED]) {
    const totals = publishedTotals(totalsJson[name]);
    if (totals !== null) return { totals, byRegion: readPublishedTable(folder, name, "region") };
  }
  return null;
}

function publishedTotals(entry: unknown): PublishedTotals | null {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return null;
  const object = entry as Record<string, unknown>;
  return {
    bytes: wholeNumber(object.total_bytes_sent),
    requests: wholeNumber(object.total_number_of_requests),
    downloads: wholeNumber(object.total_number_of_downloads),
    views: wholeNumber(object.total_number_of_views),
    requesters: wholeNumber(object.number_of_requesters),
  };
}

/** A count as published: a whole number, or written in digits; null for anything else (`<50`, absent). */
function wholeNumber(value: unknown): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  return typeof value === "string" ? countOf(value) : null;
}

const DIGITS = /^\d+$/;

function countOf(text: string | undefined): number | null {
  return text !== undefined && DIGITS.test(text) ? Number(text) : null;
}

function readSummaryFile(folder: string, group: string, name: string): string | null {
  try {
    return fs.readFileSync(path.join(folder, SUMMARIES_SUBFOLDER, group, name), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function linesOf(text: string): string[] {
  return text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

/**
 * One of the published tables of a Dandiset (or of `archive`, `undetermined`); null when absent or
 * not such a table. Columns are found by their header, so an earlier version's tables (without
 * downloads or views) read too; rows whose bytes are not a whole number are left out.
 */
export function readPublishedTable(
  folder: string,
  group: string,
  key: SummaryTableKey,
): PublishedRow[] | null {
  const text = readSummaryFile(folder, group, summaryTableName(key));
  if (text === null) return null;
  const lines = linesOf(text);
  const header = lines[0].split("\t");
  if (header[0] !== SUMMARY_KEY_COLUMN[key]) return null;
  const column = (name: string) => {
    const index = header.indexOf(name);
    return index > 0 ? index : -1;
  };
  const bytesAt = column("bytes_sent");
  if (bytesAt < 0) return null;
  const requestsAt = column("number_of_requests");
  const downloadsAt = column("number_of_downloads");
  const viewsAt = column("number_of_views");
  const rows: PublishedRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const cells = lines[i].split("\t");
    const bytes = countOf(cells[bytesAt]);
    if (bytes === null) continue;
    rows.push({
      key: cells[0],
      bytes,
      requests: requestsAt < 0 ? null : countOf(cells[requestsAt]),
      downloads: downloadsAt < 0 ? null : countOf(cells[downloadsAt]),
      views: viewsAt < 0 ? null : countOf(cells[viewsAt]),
    });
  }
  return rows;
}

const WEEK = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `by_asset_type_per_week.tsv` of a Dandiset (or of `archive`); null when absent or not such a table.
 * A cell that is not a whole number counts as 0 bytes, a row whose week is not a date is left out.
 */
export function readAssetTypeWeeks(folder: string, group: string): AssetTypeWeeks | null {
  const text = readSummaryFile(folder, group, ASSET_TYPE_PER_WEEK_TSV);
  if (text === null) return null;
  const lines = linesOf(text);
  const header = lines[0].split("\t");
  if (header[0] !== WEEK_COLUMN) return null;
  const types = header.slice(1);
  const weeks: AssetTypeWeeks["weeks"] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split("\t");
    if (!WEEK.test(cells[0])) continue;
    weeks.push({ week: cells[0], bytes: types.map((_, t) => countOf(cells[t + 1]) ?? 0) });
  }
  weeks.sort((a, b) => (a.week < b.week ? -1 : a.week > b.week ? 1 : 0));
  return { types, weeks };
}
