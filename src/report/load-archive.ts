import * as fs from "node:fs";
import * as path from "node:path";
import { KEY_COLUMN, summaryFileName, TOTALS_FILE, VALUE_COLUMN } from "../formats/mapped-folder.js";
import { regionCounts } from "./load-dandiset.js";
import { numberField, readJsonObject, readTable, stringField } from "./read-table.js";
import { type ArchiveUsage, joinRequests, toMap, type UsageRow } from "./usage.js";

/**
 * Archive-wide figures. The map step writes them (`archive_*` tables and `totals.json`); for folders
 * written before those existed they are summed over the Dandisets, which the accumulator collects as the
 * report reads them one by one, so no Dandiset's tables stay in memory.
 */
/** What the archive-wide figures take from one Dandiset. */
export interface ArchiveContribution {
  bytes: number;
  requests: number | null;
  firstDate: string | null;
  lastDate: string | null;
  byDay: readonly UsageRow[];
  byRegion: readonly UsageRow[];
}

const ARCHIVE_BYTES_BY_DAY = summaryFileName("archive", "bytes", "day");
const ARCHIVE_BYTES_BY_REGION = summaryFileName("archive", "bytes", "region");

/** Whether the map step wrote the archive's own tables, so the Dandisets' rows need not be summed. */
export function hasArchiveTables(mappedFolder: string): boolean {
  return (
    fs.existsSync(path.join(mappedFolder, ARCHIVE_BYTES_BY_DAY)) &&
    fs.existsSync(path.join(mappedFolder, ARCHIVE_BYTES_BY_REGION))
  );
}

export class ArchiveAccumulator {
  private dandisets = 0;
  private bytes = 0;
  private requests: number | null = 0;
  private readonly byDay = new Map<string, { bytes: number; requests: number | null }>();
  private readonly byRegion = new Map<string, { bytes: number; requests: number | null }>();
  private firstDate: string | null = null;
  private lastDate: string | null = null;

  /**
   * Adds one Dandiset: its totals, and its rows by day and region when the mapped folder has no archive
   * tables to read instead (see `hasArchiveTables`). Sums are of integers, so the order does not matter.
   */
  add(dandiset: ArchiveContribution): void {
    this.dandisets++;
    this.bytes += dandiset.bytes;
    this.requests =
      this.requests === null || dandiset.requests === null ? null : this.requests + dandiset.requests;
    addRows(this.byDay, dandiset.byDay);
    addRows(this.byRegion, dandiset.byRegion);
    if (dandiset.firstDate !== null && (this.firstDate === null || dandiset.firstDate < this.firstDate))
      this.firstDate = dandiset.firstDate;
    if (dandiset.lastDate !== null && (this.lastDate === null || dandiset.lastDate > this.lastDate))
      this.lastDate = dandiset.lastDate;
  }

  /** The archive's figures: its own tables where the map step wrote them, the sums otherwise. */
  finish(mappedFolder: string): ArchiveUsage {
    const file = (name: string) => path.join(mappedFolder, name);
    const bytesByDay = readTable(file(ARCHIVE_BYTES_BY_DAY), KEY_COLUMN.day, VALUE_COLUMN.bytes, true);
    const bytesByRegion = readTable(file(ARCHIVE_BYTES_BY_REGION), KEY_COLUMN.region, VALUE_COLUMN.bytes);
    const totals = readJsonObject(file(TOTALS_FILE));
    const fromArchiveTables = bytesByDay !== null && bytesByRegion !== null;
    const byDay = fromArchiveTables
      ? joinRequests(
          bytesByDay,
          toMap(
            readTable(
              file(summaryFileName("archive", "requests", "day")),
              KEY_COLUMN.day,
              VALUE_COLUMN.requests,
              true,
            ),
          ),
        )
      : sortedRows(this.byDay, (a, b) => (a.key < b.key ? -1 : 1));
    const byRegion = fromArchiveTables
      ? joinRequests(
          bytesByRegion,
          toMap(
            readTable(
              file(summaryFileName("archive", "requests", "region")),
              KEY_COLUMN.region,
              VALUE_COLUMN.requests,
            ),
          ),
        )
      : sortedRows(this.byRegion, (a, b) => b.bytes - a.bytes || (a.key < b.key ? -1 : 1));
    const counted = regionCounts(byRegion);
    return {
      bytes: numberField(totals, "bytes_sent") ?? this.bytes,
      requests: numberField(totals, "requests") ?? this.requests,
      dandisets: numberField(totals, "dandisets") ?? this.dandisets,
      uniqueRegions: numberField(totals, "unique_regions") ?? counted.regions,
      uniqueCountries: numberField(totals, "unique_countries") ?? counted.countries,
      firstDate: stringField(totals, "first_date") ?? this.firstDate,
      lastDate: stringField(totals, "last_date") ?? this.lastDate,
      byDay,
      byRegion,
      fromArchiveTables,
    };
  }
}

function addRows(
  into: Map<string, { bytes: number; requests: number | null }>,
  rows: readonly UsageRow[],
): void {
  for (const row of rows) {
    const sum = into.get(row.key);
    if (sum === undefined) {
      into.set(row.key, { bytes: row.bytes, requests: row.requests });
    } else {
      sum.bytes += row.bytes;
      sum.requests = sum.requests === null || row.requests === null ? null : sum.requests + row.requests;
    }
  }
}

function sortedRows(
  sums: ReadonlyMap<string, { bytes: number; requests: number | null }>,
  compare: (a: UsageRow, b: UsageRow) => number,
): UsageRow[] {
  return [...sums].map(([key, sum]) => ({ key, ...sum })).sort(compare);
}
