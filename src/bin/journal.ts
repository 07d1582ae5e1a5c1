import * as path from "node:path";
import { RunError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import { formatTimestamp, parseTimestamp } from "./timestamp.js";

/**
 * The journal of committed days, `<binned>/.binned_days`: one line per reduced day file whose rows
 * are in the object files, with the time span of those rows and the batch that binned it. Replacing
 * it (atomically) is what commits a batch; days not listed are binned by the next run. A batch's
 * number names its change list (change-feed.ts), which is how the map step learns what changed.
 */
export const JOURNAL_NAME = ".binned_days";
const HEADER = "day\trows\tfirst_timestamp\tlast_timestamp\tbatch";
/** Journals written before batches were numbered: their days count as batch 0, whose changes are unknown. */
const HEADER_UNNUMBERED = "day\trows\tfirst_timestamp\tlast_timestamp";

export interface BinnedDay {
  /** The reduced day file, relative to the reduced folder: `2024/03/01.tsv`. */
  day: string;
  rows: number;
  /** YYYYMMDDHHMMSS of the first and last row, -1 for a day without rows. */
  first: number;
  last: number;
  /** The batch that binned the day (1, 2, …); 0 for a day binned before batches were numbered. */
  batch: number;
}

export function journalPath(binnedFolder: string): string {
  return path.join(binnedFolder, JOURNAL_NAME);
}

/** The committed days in path order, or null when the folder has no journal yet. */
export function readJournal(binnedFolder: string): BinnedDay[] | null {
  const file = journalPath(binnedFolder);
  const text = readTextIfExists(file);
  if (text === null) return null;
  const lines = text.split("\n");
  const numbered = lines[0] === HEADER;
  if (!numbered && lines[0] !== HEADER_UNNUMBERED)
    throw corrupt(file, 1, `does not start with "${HEADER.replaceAll("\t", "\\t")}"`);
  const days: BinnedDay[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const [day, rows, first, last, ...rest] = lines[i].split("\t");
    const batch = numbered ? rest.shift() : "0";
    const entry = {
      day,
      rows: Number(rows),
      first: first === "-" ? -1 : parseTimestamp(first ?? ""),
      last: last === "-" ? -1 : parseTimestamp(last ?? ""),
      batch: Number(batch),
    };
    if (
      rest.length > 0 ||
      !/^\d+$/.test(batch ?? "") ||
      day === "" ||
      !Number.isInteger(entry.rows) ||
      entry.rows < 0 ||
      (entry.first === -1) !== (first === "-") ||
      (entry.last === -1) !== (last === "-")
    )
      throw corrupt(file, i + 1, "is not `day rows first_timestamp last_timestamp batch`");
    days.push(entry);
  }
  return days.sort(byDay);
}

export function writeJournal(binnedFolder: string, days: readonly BinnedDay[]): void {
  const lines = [HEADER];
  for (const d of [...days].sort(byDay)) {
    const first = d.first === -1 ? "-" : formatTimestamp(d.first);
    const last = d.last === -1 ? "-" : formatTimestamp(d.last);
    lines.push(`${d.day}\t${d.rows}\t${first}\t${last}\t${d.batch}`);
  }
  writeFileAtomic(journalPath(binnedFolder), `${lines.join("\n")}\n`);
}

export function byDay(a: { day: string }, b: { day: string }): number {
  return a.day < b.day ? -1 : a.day > b.day ? 1 : 0;
}

function corrupt(file: string, line: number, what: string): RunError {
  return new RunError(
    `${file} line ${line} ${what}; this journal lists the days already binned: restore it, or bin into a new folder`,
  );
}

/** The number of the latest committed batch, 0 when none was numbered. */
export function lastBatchOf(days: readonly BinnedDay[]): number {
  return days.reduce((last, d) => Math.max(last, d.batch), 0);
}
