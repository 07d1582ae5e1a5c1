import * as fs from "node:fs";
import * as path from "node:path";
import {
  ARCHIVE_TOTALS_JSON,
  SUMMARIES_SUBFOLDER,
  SUMMARY_KEY_COLUMN,
  summaryTableName,
  TOTALS_JSON,
  UNDETERMINED_FOLDER,
} from "../formats/summaries-folder.js";
import { readJsonObject } from "./read-table.js";

/** A published count: a number, or the text a privacy-rounded count below the threshold is written as (`<50`). */
export type PublishedCount = number | string;

/** The rounded figures of one entry of `totals.json` (or of `archive_totals.json`) that the pages show. */
export interface PublishedTotals {
  requests: PublishedCount;
  downloads: PublishedCount;
  views: PublishedCount;
  requesters: PublishedCount;
}

export interface PublishedRow {
  key: string;
  bytes: number;
  requests: PublishedCount;
  downloads: PublishedCount;
  views: PublishedCount;
}

/** What the report reads of the summaries folder map publishes. */
export interface PublishedSummaries {
  folder: string;
  /** Per Dandiset. */
  totals: Map<string, PublishedTotals>;
  archive: PublishedTotals | null;
  /** The traffic on objects of no Dandiset: its totals, and by region largest first. */
  unassociated: { bytes: number; requests: PublishedCount; byRegion: PublishedRow[] } | null;
}

/** Reads the totals and the unassociated traffic of a summaries folder; null when it holds none. */
export function loadPublishedSummaries(folder: string): PublishedSummaries | null {
  const totalsJson = readJsonObject(path.join(folder, TOTALS_JSON));
  if (totalsJson === null) return null;
  const totals = new Map<string, PublishedTotals>();
  for (const [id, entry] of Object.entries(totalsJson)) {
    const totalsOf = publishedTotals(entry);
    if (totalsOf !== null && id !== UNDETERMINED_FOLDER) totals.set(id, totalsOf);
  }
  const unassociatedEntry = totalsJson[UNDETERMINED_FOLDER] as Record<string, unknown> | undefined;
  const byRegion = readPublishedTable(folder, UNDETERMINED_FOLDER, "region");
  return {
    folder,
    totals,
    archive: publishedTotals(readJsonObject(path.join(folder, ARCHIVE_TOTALS_JSON))),
    unassociated:
      unassociatedEntry === undefined || byRegion === null
        ? null
        : {
            bytes: Number(unassociatedEntry.total_bytes_sent ?? 0),
            requests: publishedTotals(unassociatedEntry)?.requests ?? "–",
            byRegion,
          },
  };
}

function publishedTotals(entry: unknown): PublishedTotals | null {
  if (typeof entry !== "object" || entry === null) return null;
  const object = entry as Record<string, unknown>;
  const count = (name: string): PublishedCount =>
    typeof object[name] === "number" || typeof object[name] === "string"
      ? (object[name] as PublishedCount)
      : "–";
  return {
    requests: count("total_number_of_requests"),
    downloads: count("total_number_of_downloads"),
    views: count("total_number_of_views"),
    requesters: count("number_of_requesters"),
  };
}

/** One of the published tables of a Dandiset (or `archive`, `unassociated`); null when absent. */
export function readPublishedTable(
  folder: string,
  group: string,
  key: "day" | "asset" | "region",
): PublishedRow[] | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(folder, SUMMARIES_SUBFOLDER, group, summaryTableName(key)), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const lines = text.split("\n");
  if (!lines[0].startsWith(`${SUMMARY_KEY_COLUMN[key]}\t`)) return null;
  const rows: PublishedRow[] = [];
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const [name, bytes, requests, downloads, views] = line.split("\t");
    rows.push({
      key: name,
      bytes: Number(bytes),
      requests: countOf(requests),
      downloads: countOf(downloads),
      views: countOf(views),
    });
  }
  return rows;
}

function countOf(text: string | undefined): PublishedCount {
  if (text === undefined) return "–";
  const n = Number(text);
  return Number.isFinite(n) && text !== "" ? n : text;
}
