import * as path from "node:path";
import { crc32 } from "node:zlib";
import { RunError } from "../errors.js";
import { replaceFile, writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import { formatTimestamp, parseTimestamp } from "./timestamp.js";

/**
 * The journal of committed days, `<binned>/.binned_days`: one line per reduced day file whose rows
 * are in the object files, with the time span of those rows and the batch that binned it. Replacing
 * it (atomically) is what commits a batch; days not listed are binned by the next run. A batch's
 * number names its change list (change-feed.ts), which is how the map step learns what changed.
 *
 * Its first line seals the rest: `#binned_days v2 <crc32 of the lines after it> <batch in progress>`.
 * A line removed (that day would be binned twice) or added (that day never binned) breaks the seal,
 * and the journal is refused rather than trusted. The batch in progress (`-` for none) is written
 * before a batch changes any object file and cleared by its commit, so a run that finds it set
 * knows an undo log must be there to undo it, even if the log was deleted. A batch shared out over
 * several threads is marked `<batch>/<shares>`: each share has an undo log of its own, and every
 * one of them must be there. Journals written before
 * the seal (starting with the column names) are read as they are and sealed by the next commit.
 */
export const JOURNAL_NAME = ".binned_days";
const SEAL = "#binned_days\tv2";
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

export interface JournalState {
  days: BinnedDay[];
  /** The batch that was changing object files when its run ended, null when none was. */
  inProgress: number | null;
  /** How many shares (threads, each with its undo log) that batch was binned in; 1 when none was. */
  inProgressShares: number;
}

/** The committed days in path order, or null when the folder has no journal yet. */
export function readJournal(binnedFolder: string): BinnedDay[] | null {
  return readJournalState(binnedFolder)?.days ?? null;
}

/** The journal and its batch in progress, or null when the folder has no journal yet. */
export function readJournalState(binnedFolder: string): JournalState | null {
  const file = journalPath(binnedFolder);
  let text = readTextIfExists(file);
  if (text === null) return null;
  let inProgress: number | null = null;
  let inProgressShares = 1;
  let sealLines = 0;
  if (text.startsWith("#")) {
    sealLines = 1;
    const firstEnd = text.indexOf("\n");
    const seal = text.slice(0, firstEnd === -1 ? text.length : firstEnd).split("\t");
    const body = firstEnd === -1 ? "" : text.slice(firstEnd + 1);
    const marker = /^(?:(\d+)(?:\/([1-9]\d{0,3}))?|-)$/.exec(seal[3] ?? "");
    if (seal.length !== 4 || `${seal[0]}\t${seal[1]}` !== SEAL || marker === null)
      throw corrupt(file, 1, `is not "#binned_days\\tv2\\t<checksum>\\t<batch in progress>"`);
    if (seal[2] !== checksumOf(body))
      throw new RunError(
        `${file} does not match its checksum: a line was removed, added or changed since bin wrote it, so the ` +
          "days it lists as binned cannot be trusted (a day removed would be binned twice, one added never): " +
          "restore it from a backup, or bin into a new, empty folder",
        { code: "ERR_BINNED_JOURNAL_DAMAGED" },
      );
    inProgress = marker[1] === undefined ? null : Number(marker[1]);
    inProgressShares = marker[2] === undefined ? 1 : Number(marker[2]);
    text = body;
  }
  const lines = text.split("\n");
  const numbered = lines[0] === HEADER;
  if (!numbered && lines[0] !== HEADER_UNNUMBERED)
    throw corrupt(file, sealLines + 1, `does not start with "${HEADER.replaceAll("\t", "\\t")}"`);
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
      throw corrupt(file, sealLines + i + 1, "is not `day rows first_timestamp last_timestamp batch`");
    days.push(entry);
  }
  return { days: days.sort(byDay), inProgress, inProgressShares };
}

/** Commits `days` (flushed to disk), clearing any batch in progress. */
export function writeJournal(binnedFolder: string, days: readonly BinnedDay[]): void {
  writeFileAtomic(journalPath(binnedFolder), journalText(days, null));
}

/**
 * Marks batch `batch` as changing object files in `shares` shares, before it changes any. Not
 * flushed: like the undo logs it guards, it needs only to precede the changes in the kernel's order
 * (see bin-all.ts).
 */
export function markBatchInProgress(
  binnedFolder: string,
  days: readonly BinnedDay[],
  batch: number,
  shares = 1,
): void {
  replaceFile(journalPath(binnedFolder), journalText(days, shares === 1 ? `${batch}` : `${batch}/${shares}`));
}

function journalText(days: readonly BinnedDay[], inProgress: string | null): string {
  const lines = [HEADER];
  for (const d of [...days].sort(byDay)) {
    const first = d.first === -1 ? "-" : formatTimestamp(d.first);
    const last = d.last === -1 ? "-" : formatTimestamp(d.last);
    lines.push(`${d.day}\t${d.rows}\t${first}\t${last}\t${d.batch}`);
  }
  const body = `${lines.join("\n")}\n`;
  return `${SEAL}\t${checksumOf(body)}\t${inProgress ?? "-"}\n${body}`;
}

function checksumOf(text: string): string {
  return crc32(text).toString(16).padStart(8, "0");
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
