import * as fs from "node:fs";
import * as path from "node:path";
import { RunError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";

/**
 * What was reduced of each raw day file, `<reduced>/.reduced_days`: one line per unit, the bytes
 * `[start, end)` of the day file it holds the lines of (lines that start in them), and the file's
 * mtime and content check (content-check.ts) of its first `end` bytes when the unit was planned.
 * A rerun compares the day file with its last unit: unchanged, grown (the new bytes make a further
 * unit), or changed otherwise (refused). Units are recorded before they are reduced, so a unit
 * whose output is missing was planned by a run that was killed, and is planned again.
 */
export const DAY_RECORDS_NAME = ".reduced_days";
const HEADER = "day_file\tunit\tstart\tend\tmtime_ms\tcheck";

export interface UnitRecord {
  /** The raw day file, relative to the raw folder: `2024/03/01.log`. */
  dayFile: string;
  /** The unit's output, relative to the reduced folder: `2024/03/01.tsv`, `2024/03/01_0002.tsv`. */
  unit: string;
  start: number;
  end: number;
  mtimeMs: number;
  check: string;
}

/** The units of each day file, in order; empty for a folder reduced before units were recorded. */
export function readDayRecords(reducedFolder: string): Map<string, UnitRecord[]> {
  const file = path.join(reducedFolder, DAY_RECORDS_NAME);
  const records = new Map<string, UnitRecord[]>();
  const text = readTextIfExists(file);
  if (text === null) return records;
  const lines = text.split("\n");
  if (lines[0] !== HEADER)
    throw new RunError(
      `${file} does not start with its header; it records what was reduced of each raw day file: restore it, or reduce into a new folder`,
    );
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const [dayFile, unit, start, end, mtimeMs, check, ...rest] = lines[i].split("\t");
    const record = { dayFile, unit, start: Number(start), end: Number(end), mtimeMs: Number(mtimeMs), check };
    if (
      rest.length > 0 ||
      !unit ||
      !check ||
      !Number.isSafeInteger(record.start) ||
      !Number.isSafeInteger(record.end) ||
      !Number.isFinite(record.mtimeMs)
    )
      throw new RunError(
        `${file} line ${i + 1} is not \`day_file unit start end mtime_ms check\`; restore it, or reduce into a new folder`,
      );
    const list = records.get(dayFile) ?? [];
    list.push(record);
    records.set(dayFile, list);
  }
  return records;
}

export function writeDayRecords(reducedFolder: string, records: Map<string, UnitRecord[]>): void {
  const lines = [HEADER];
  for (const dayFile of [...records.keys()].sort())
    for (const r of records.get(dayFile) ?? [])
      lines.push(`${r.dayFile}\t${r.unit}\t${r.start}\t${r.end}\t${r.mtimeMs}\t${r.check}`);
  writeFileAtomic(path.join(reducedFolder, DAY_RECORDS_NAME), `${lines.join("\n")}\n`);
}

/** The units of a day file whose outputs exist, up to the first that is missing. */
export function unitsInPlace(reducedFolder: string, units: readonly UnitRecord[]): UnitRecord[] {
  const kept: UnitRecord[] = [];
  for (const unit of units) {
    if (!fs.existsSync(path.join(reducedFolder, unit.unit))) break;
    kept.push(unit);
  }
  return kept;
}
