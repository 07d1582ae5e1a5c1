import {
  KEY_COLUMN,
  SUMMARY_KEYS,
  summaryFileName,
  TOTALS_FILE,
  VALUE_COLUMN,
} from "../formats/mapped-folder.js";
import type { OutputWriter } from "./output-writer.js";
import { type Activity, flatJson, summaryTable, Tally, totalsOf } from "./tally.js";

/** The mapped folder's summaries: the original tool's `*_summary_by_*` and this project's `*_requests_by_*` and totals. */

/** `<level>_summary_by_{day,region,asset}.tsv` (bytes) and `<level>_requests_by_…` (rows) in `folder`; returns their paths. */
export function writeSummaries(
  writer: OutputWriter,
  folder: string,
  level: "version" | "dandiset" | "archive",
  activity: Activity,
): string[] {
  const files: string[] = [];
  for (const key of SUMMARY_KEYS) {
    if (level === "archive" && key === "asset") continue;
    const tally = key === "day" ? activity.byDay : key === "region" ? activity.byRegion : activity.byAsset;
    const order = key === "day" ? "key" : "largest";
    const prefix = folder === "" ? "" : `${folder}/`;
    const live = withoutEmptyKeys(tally);
    const bytesFile = `${prefix}${summaryFileName(level, "bytes", key)}`;
    const requestsFile = `${prefix}${summaryFileName(level, "requests", key)}`;
    writer.write(bytesFile, summaryTable(KEY_COLUMN[key], VALUE_COLUMN.bytes, live.bytes, order));
    writer.write(requestsFile, summaryTable(KEY_COLUMN[key], VALUE_COLUMN.requests, live.requests, order));
    files.push(bytesFile, requestsFile);
  }
  return files;
}

/** Keys whose rows were all replaced fall to nothing; a run from scratch would not list them. */
export function withoutEmptyKeys(tally: Tally): Tally {
  const live = new Tally();
  tally.forEach((key, bytes, requests) => {
    if (requests !== 0 || bytes !== 0n) live.add(key, bytes, requests);
  });
  return live;
}

export function writeArchive(writer: OutputWriter, archive: Activity, dandisets: number): void {
  writeSummaries(writer, "", "archive", archive);
  const totals = totalsOf({
    byDay: withoutEmptyKeys(archive.byDay),
    byRegion: withoutEmptyKeys(archive.byRegion),
    byAsset: archive.byAsset,
    byWeek: archive.byWeek,
  });
  writer.write(
    TOTALS_FILE,
    flatJson({
      bytes_sent: totals.bytes_sent,
      requests: totals.requests,
      unique_regions: totals.unique_regions,
      unique_countries: totals.unique_countries,
      dandisets,
      first_date: totals.first_date,
      last_date: totals.last_date,
    }),
  );
}
