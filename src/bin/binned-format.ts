import * as path from "node:path";
import { UsageError } from "../errors.js";
import { binnedFormatOf, readBinnedMarker, reducedDayFormat } from "../formats/work-formats.js";
import type { BinnedDay } from "./journal.js";
import type { PendingDay } from "./plan-batches.js";

export type BinnedFormat = "status" | "no-status";

/** The format a run bins in, and whether the folder's marker must be changed before its first batch. */
export interface FormatPlan {
  format: BinnedFormat;
  markFormat: boolean;
}

/**
 * The format this run bins `days` in: the binned folder's, once it holds rows; else that of the
 * first of the days that tells (by its first line, see work-formats.ts); else the current one, with
 * the status. Every day of the other format is refused before anything is written, so that no
 * object file mixes rows with and without the status. An empty day (0 bytes) fits either.
 */
export function planBinnedFormat(
  reducedFolder: string,
  binnedFolder: string,
  journal: readonly BinnedDay[],
  days: readonly PendingDay[],
): FormatPlan {
  const committed = binnedFormatOf(
    binnedFolder,
    journal.some((day) => day.rows > 0),
  );
  let format: BinnedFormat | null = committed === null ? null : committed ? "status" : "no-status";
  let setBy: string | null = null;
  for (const day of days) {
    if (day.bytes === 0) continue;
    const dayFormat = reducedDayFormat(path.join(reducedFolder, day.day));
    if (dayFormat === null) continue;
    if (format === null) {
      format = dayFormat;
      setBy = day.day;
    } else if (dayFormat !== format) {
      throw formatMixError(reducedFolder, binnedFolder, day.day, dayFormat, setBy);
    }
  }
  const chosen = format ?? "status";
  // Changed only while no rows are binned: a marker left by a batch that was undone says nothing.
  return { format: chosen, markFormat: committed === null && readBinnedMarker(binnedFolder) !== chosen };
}

function formatMixError(
  reducedFolder: string,
  binnedFolder: string,
  day: string,
  dayFormat: BinnedFormat,
  setBy: string | null,
): UsageError {
  const has = (format: BinnedFormat) => (format === "status" ? "with" : "without");
  const other: BinnedFormat = dayFormat === "status" ? "no-status" : "status";
  const against =
    setBy === null
      ? `\`binnedFolder\` ${binnedFolder} holds rows ${has(other)} it`
      : `${path.join(reducedFolder, setBy)}, binned before it in this run, has rows ${has(other)} it`;
  return new UsageError(
    `${path.join(reducedFolder, day)} has rows ${has(dayFormat)} the HTTP status, but ${against}, and a binned ` +
      "folder holds one format: bin into a new folder, or rebuild the work folder from the raw logs " +
      "(`dandi-s3-log-parser run --rebuild …`)",
    { code: "ERR_BINNED_FORMAT_MIX", optionNames: ["reducedFolder", "binnedFolder"] },
  );
}
