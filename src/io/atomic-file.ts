import * as fs from "node:fs";
import * as path from "node:path";
import { isProcessAlive } from "./process-alive.js";

/**
 * Outputs appear whole or not at all: they are written to a temporary name beside their final path
 * (same folder, so the rename cannot cross file systems) and renamed into place once complete.
 * A run killed half-way leaves only temporary files, which the next run removes.
 */

const TEMP_MARK = ".tmp-";
const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * A temporary name beside `finalPath`. The process id keeps runs apart and tells the cleanup which
 * are dead; the random part keeps names apart within a run. Math.random is enough for that, and
 * unlike node:crypto costs nothing to load (4 ms of a 0.3 s run).
 */
export function tempPathFor(finalPath: string): string {
  const random = Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, "0");
  return path.join(
    path.dirname(finalPath),
    `.${path.basename(finalPath)}${TEMP_MARK}${process.pid}-${random}`,
  );
}

/** Flushes the file behind `fd` to disk, closes it and renames it into place. */
export function commitFile(fd: number, tempPath: string, finalPath: string): void {
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tempPath, finalPath);
}

/** Writes `data` to `finalPath` so that readers see the old content or the new, never a mix. */
export function writeFileAtomic(finalPath: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(finalPath), { recursive: true });
  const tempPath = tempPathFor(finalPath);
  const fd = fs.openSync(tempPath, "w");
  try {
    if (typeof data === "string") fs.writeSync(fd, data);
    else fs.writeSync(fd, data);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(tempPath, { force: true });
    throw error;
  }
  try {
    commitFile(fd, tempPath, finalPath);
  } catch (error) {
    fs.rmSync(tempPath, { force: true });
    throw error;
  }
}

export function isTempFile(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * Removes temporary files left in `folder` by runs that are no longer alive: in its subfolders too,
 * unless `recursive` is false (for a folder whose subfolders never hold temporary files).
 */
export function removeStaleTempFiles(folder: string, recursive = true): number {
  let removed = 0;
  if (!fs.existsSync(folder)) return removed;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive })) {
    if (!entry.isFile()) continue;
    const match = TEMP_NAME.exec(entry.name);
    if (match === null || isProcessAlive(Number(match[1]))) continue;
    fs.rmSync(path.join(entry.parentPath, entry.name), { force: true });
    removed++;
  }
  return removed;
}

/**
 * Replaces `finalPath` with `data` through a temporary file and a rename, without flushing: for runs
 * that make a batch of files durable at once, by committing a journal after them (see map's journal).
 */
export function replaceFile(finalPath: string, data: string | Uint8Array): void {
  const tempPath = tempPathFor(finalPath);
  try {
    fs.writeFileSync(tempPath, data);
    fs.renameSync(tempPath, finalPath);
  } catch (error) {
    fs.rmSync(tempPath, { force: true });
    throw error;
  }
}
