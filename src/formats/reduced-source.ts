import * as fs from "node:fs";
import * as path from "node:path";
import { RunError, UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import { DAY_RECORDS_NAME } from "../reduce/day-records.js";
import { OBJECT_JOURNAL_NAME } from "../s3/object-journal.js";
import { holdsReducedRows } from "./work-formats.js";

/**
 * What a reduced folder was reduced from, `<reduced>/.reduced_source`: day files (`YYYY/MM/DD.log`)
 * or log objects (a folder of them, or a bucket). One kind for the folder's life: the two keep
 * different records of what they read (`.reduced_days`, `.reduced_objects`), so lines reduced from
 * one kind are not known to the other, and a day's late lines, reduced from objects as a further
 * unit, would be reduced again from a day file that holds them: binned twice, with nothing later to
 * notice. Written before anything else of the kind, like the format marker (work-formats.ts).
 */
export const REDUCED_SOURCE_FILE = ".reduced_source";

export type ReducedSource = "day files" | "log objects";

const KINDS: readonly ReducedSource[] = ["day files", "log objects"];

/**
 * The kind `folder` was reduced from: as its record says, or, for a folder reduced before the record
 * existed, as its other records tell (`.reduced_objects` for objects, `.reduced_days` or reduced
 * days without either for day files); null for a folder that holds nothing yet.
 */
export function reducedSourceOf(folder: string): ReducedSource | null {
  const file = path.join(folder, REDUCED_SOURCE_FILE);
  const text = readTextIfExists(file);
  if (text !== null) {
    const kind = text.trim() as ReducedSource;
    if (KINDS.includes(kind)) return kind;
    throw new RunError(
      `${file} is damaged or was written by a newer version: it should say "day files" or "log objects"; restore it, or reduce into a new folder`,
      { code: "ERR_FORMAT_MARKER_DAMAGED" },
    );
  }
  if (fs.existsSync(path.join(folder, OBJECT_JOURNAL_NAME))) return "log objects";
  if (fs.existsSync(path.join(folder, DAY_RECORDS_NAME))) return "day files";
  // Days reduced before any record existed came from day files: objects always had their journal.
  return holdsReducedRows(folder) ? "day files" : null;
}

/**
 * Before reduce reads anything into `folder`: refuses a folder reduced from the other kind (exit
 * code 2), and records the kind in one that has no record yet.
 */
export function claimReducedSource(folder: string, kind: ReducedSource, raw: string): void {
  const recorded = reducedSourceOf(folder);
  if (recorded !== null && recorded !== kind)
    throw new UsageError(
      `\`reducedFolder\` ${folder} holds days reduced from ${recorded}, and \`rawFolder\` ${raw} holds ${kind}: ` +
        `the two keep separate records of what they read, so lines reduced from both would be counted twice; ` +
        `reduce ${kind} into a new folder`,
      { code: "ERR_REDUCED_SOURCE_MIX", optionNames: ["reducedFolder", "rawFolder"] },
    );
  if (readTextIfExists(path.join(folder, REDUCED_SOURCE_FILE)) === null)
    writeFileAtomic(path.join(folder, REDUCED_SOURCE_FILE), `${kind}\n`);
}
