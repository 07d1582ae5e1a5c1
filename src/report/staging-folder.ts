import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { isProcessAlive } from "../io/process-alive.js";

/**
 * A report drawn from scratch (the first, or after an upgrade) appears whole or not at all: it is built
 * in a staging folder beside its final place (same parent, so renames stay on one file system) and
 * swapped in by two renames. A run killed while building
 * leaves only the staging folder, which the next run removes. A run killed between the two renames
 * leaves the previous report under its `.old-` name, which the next run puts back before building.
 */

function sideName(finalFolder: string, kind: "tmp" | "old"): string {
  return path.join(
    path.dirname(finalFolder),
    `.${path.basename(finalFolder)}.${kind}-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
}

function sideFoldersOf(finalFolder: string): { name: string; kind: string; pid: number }[] {
  const parent = path.dirname(finalFolder);
  const prefix = `.${path.basename(finalFolder)}.`;
  if (!fs.existsSync(parent)) return [];
  const found: { name: string; kind: string; pid: number }[] = [];
  for (const name of fs.readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(tmp|old)-(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length));
    if (match !== null) found.push({ name: path.join(parent, name), kind: match[1], pid: Number(match[2]) });
  }
  return found;
}

/** Cleans up after killed runs: puts a previous report left aside back, removes unfinished ones. */
export function recoverSideFolders(finalFolder: string): void {
  for (const side of sideFoldersOf(finalFolder)) {
    if (isProcessAlive(side.pid)) continue;
    if (side.kind === "old" && !fs.existsSync(finalFolder)) fs.renameSync(side.name, finalFolder);
    else fs.rmSync(side.name, { recursive: true, force: true });
  }
}

/** Creates a fresh staging folder for `finalFolder`; call `recoverSideFolders` first. */
export function createStagingFolder(finalFolder: string): string {
  const staging = sideName(finalFolder, "tmp");
  fs.mkdirSync(staging, { recursive: true });
  return staging;
}

/** Puts the finished staging folder in place of `finalFolder`, then removes the previous report. */
export function commitStagingFolder(staging: string, finalFolder: string): void {
  let previous: string | null = null;
  if (fs.existsSync(finalFolder)) {
    previous = sideName(finalFolder, "old");
    fs.renameSync(finalFolder, previous);
  }
  fs.renameSync(staging, finalFolder);
  if (previous !== null) fs.rmSync(previous, { recursive: true, force: true });
}

export function discardStagingFolder(staging: string): void {
  fs.rmSync(staging, { recursive: true, force: true });
}
