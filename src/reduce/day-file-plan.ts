import * as fs from "node:fs";
import * as path from "node:path";
import { isGzipFile } from "../io/gzip.js";
import { contentCheckOf } from "./content-check.js";
import { type UnitRecord, unitsInPlace } from "./day-records.js";
import type { RawLogFile } from "./raw-day-files.js";
import { reducedPathOf } from "./reduce-pool.js";
import { MAX_UNITS, unitPathOf } from "./units.js";

/**
 * A day file of today or yesterday (UTC) modified this recently is probably still being written
 * (a cron job appending the day's log objects): it waits for the next run rather than be reduced
 * without its last lines, or with a line cut in two.
 */
export const STILL_WRITTEN_MS = 5 * 60 * 1000;
const DAY_PATH = /^(\d{4})\/(\d{2})\/(\d{2})\.log(\.gz)?$/;

/**
 * Why a `.log` file is not a day file, or null when it is one: `YYYY/MM/DD.log` or `YYYY/MM/DD.log.gz`
 * (two-digit month and day) of a date that exists. `4.log` beside `04.log` would count a day twice, and `13/01.log`
 * or `02/31.log` name no day at all.
 */
export function dayFileProblem(relativePath: string): string | null {
  const match = DAY_PATH.exec(relativePath.split("/").slice(-3).join("/"));
  if (match === null) return "not named YYYY/MM/DD.log (four-digit year, two-digit month and day)";
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return `${match[1]}-${match[2]}-${match[3]} is not a date`;
  return null;
}

export type DayFilePlan =
  | { type: "done" }
  | { type: "waiting" }
  | { type: "changed"; message: string }
  | { type: "reduce"; unit: UnitRecord };

/**
 * What to do with a day file: nothing (reduced, unchanged), wait (still being written), refuse
 * (changed other than by lines added at its end), or reduce a unit: the whole file, or the bytes
 * added since its last unit. A planned unit is added to `records`.
 */
export function planDayFile(
  rawFolder: string,
  reducedFolder: string,
  file: RawLogFile,
  records: Map<string, UnitRecord[]>,
  now: number,
): DayFilePlan {
  const units = unitsInPlace(reducedFolder, records.get(file.relativePath) ?? []);
  const output = reducedPathOf(file.relativePath);
  // Reduced before units were recorded: its output is all that is known of it.
  if (units.length === 0 && fs.existsSync(path.join(reducedFolder, output))) return { type: "done" };
  const last = units.at(-1);
  if (last !== undefined && file.size === last.end && file.mtimeMs === last.mtimeMs) return { type: "done" };
  if (isStillBeingWritten(file, now)) return { type: "waiting" };
  const input = path.join(rawFolder, file.relativePath);
  if (last !== undefined) {
    if (file.size < last.end || contentCheckOf(input, last.end) !== last.check)
      return {
        type: "changed",
        message:
          `changed after it was reduced (it was ${last.end} bytes, now ${file.size}, and not only by lines added at its end); ` +
          `its reduced day ${units.map((u) => u.unit).join(", ")} no longer matches it: to reduce it again, delete ` +
          "those files and their lines in .reduced_days, and bin into a new folder",
      };
    if (file.size === last.end) {
      // Touched, not changed: remember the new mtime so the next run does not read it again.
      last.mtimeMs = file.mtimeMs;
      records.set(file.relativePath, units);
      return { type: "done" };
    }
    if (units.length >= MAX_UNITS)
      return {
        type: "changed",
        message: `grew after being reduced ${MAX_UNITS} times; reduce it into a new folder`,
      };
    if (isGzipFile(input))
      return {
        type: "changed",
        message:
          `is compressed and changed after it was reduced (it was ${last.end} bytes, now ${file.size}); only its ` +
          `new lines would be reduced, and a compressed file cannot be read from the middle: put the new lines in a day file of their own, ` +
          `or delete ${units.map((u) => u.unit).join(", ")} and their lines in .reduced_days, and bin into a new folder`,
      };
  }
  const unit: UnitRecord = {
    dayFile: file.relativePath,
    unit: unitPathOf(output, units.length + 1),
    start: last?.end ?? 0,
    end: file.size,
    mtimeMs: file.mtimeMs,
    check: contentCheckOf(input, file.size),
  };
  records.set(file.relativePath, [...units, unit]);
  return { type: "reduce", unit };
}

function isStillBeingWritten(file: RawLogFile, now: number): boolean {
  if (now - file.mtimeMs >= STILL_WRITTEN_MS) return false;
  const [year, month, day] = file.relativePath
    .split("/")
    .slice(-3)
    .map((part) => Number.parseInt(part, 10));
  const dayEnd = Date.UTC(year, month - 1, day + 1);
  return now < dayEnd + 24 * 3600 * 1000;
}
