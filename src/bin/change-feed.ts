import * as fs from "node:fs";
import * as path from "node:path";
import { toAssetKey } from "../dandi/object-key.js";
import { RunError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";

/**
 * What each committed batch did to the object files, `<binned>/.bin_changes/<batch>.tsv`, so that
 * the map step can follow the binned folder at the cost of what changed rather than of its size.
 * One line per object file a pass touched: where the batch started rewriting it and how many rows
 * it added. Everything before `from` is as it was; rows are never removed, so the rows past `from`
 * are the rows added plus the old rows that were there, and a reader that knows how many rows it
 * had can tell how many of its own to replace. The list is written (atomically) before the journal
 * commits the batch: a list of an uncommitted batch is overwritten when its days are binned again,
 * and readers take only the lists of batches the journal names.
 */
export const CHANGES_FOLDER = ".bin_changes";
const HEADER = "object_file\tsize_before\tfrom\trows_added";

export interface ObjectChange {
  /** The object file, relative to the binned folder: `blobs/aaa/bbb/<uuid>.tsv`, `zarr/<uuid>.tsv`. */
  relativePath: string;
  /** Its size before the pass, -1 when the pass created it. */
  sizeBefore: number;
  /** The byte where the pass started writing (the header's end for a new file). */
  from: number;
  rowsAdded: number;
}

export function changesPath(binnedFolder: string, batch: number): string {
  return path.join(binnedFolder, CHANGES_FOLDER, `${String(batch).padStart(6, "0")}.tsv`);
}

export function writeChanges(binnedFolder: string, batch: number, changes: readonly ObjectChange[]): void {
  let text = `${HEADER}\n`;
  for (const c of changes) text += `${c.relativePath}\t${c.sizeBefore}\t${c.from}\t${c.rowsAdded}\n`;
  writeFileAtomic(changesPath(binnedFolder, batch), text);
}

/** The changes of a committed batch, in the order the passes made them; null when its list is missing. */
export function readChanges(binnedFolder: string, batch: number): ObjectChange[] | null {
  const file = changesPath(binnedFolder, batch);
  const text = readTextIfExists(file);
  if (text === null) return null;
  const lines = text.split("\n");
  if (lines[0] !== HEADER) throw corrupt(file, 1);
  const changes: ObjectChange[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const [relativePath, size, from, rows, extra] = lines[i].split("\t");
    const change = {
      relativePath,
      sizeBefore: Number(size),
      from: Number(from),
      rowsAdded: Number(rows),
    };
    if (
      extra !== undefined ||
      !isObjectFilePath(relativePath) ||
      !Number.isSafeInteger(change.sizeBefore) ||
      change.sizeBefore < -1 ||
      !Number.isSafeInteger(change.from) ||
      change.from < 0 ||
      !Number.isSafeInteger(change.rowsAdded) ||
      change.rowsAdded < 0
    )
      throw corrupt(file, i + 1);
    changes.push(change);
  }
  return changes;
}

/** Removes lists of batches past the last committed one: left by a batch that was then undone. */
export function removeUncommittedChanges(binnedFolder: string, lastCommitted: number): void {
  const folder = path.join(binnedFolder, CHANGES_FOLDER);
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^(\d+)\.tsv$/.exec(name);
    if (match !== null && Number(match[1]) > lastCommitted)
      fs.rmSync(path.join(folder, name), { force: true });
  }
}

/** Whether `relativePath` is where an asset key's binned file lives. */
export function isObjectFilePath(relativePath: string): boolean {
  if (!relativePath.endsWith(".tsv")) return false;
  const key = relativePath.slice(0, -4);
  return toAssetKey(key) === key;
}

function corrupt(file: string, line: number): RunError {
  return new RunError(
    `${file} line ${line} is not \`${HEADER.replaceAll("\t", " ")}\`; it tells the map step what a batch changed: ` +
      "restore it, or map it again from scratch (the rebuild option, --rebuild)",
  );
}
