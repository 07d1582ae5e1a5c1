import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../errors.js";
import { binnedFolderHasStatus, reducedFolderFormat } from "../formats/work-formats.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";

/**
 * Rebuilding a work folder from the raw logs (`run --rebuild`): after an upgrade that changed what
 * the reduced and binned rows hold (the HTTP status), every step must read the raw logs again. The
 * steps are incremental from an empty folder, so a rebuild is: move `reduced/`, `binned/` and
 * `mapped/` aside into `previous-<time>/`, then run as usual. Nothing is deleted: the previous
 * folders stay until the user has checked the new tables (and, if the raw logs no longer hold
 * every day, still has them). The summaries and the report are rewritten in place, file by file,
 * so what is published changes once, when the rebuilt map replaces it.
 *
 * The move is three renames, which a kill can cut: a marker (`.rebuild`, naming the folder the
 * moves go to) is written before the first, and any run that finds it finishes the moves before
 * anything else, so that no step ever starts in a half-moved work folder.
 */
const MARKER = ".rebuild";
const MOVED = ["reduced", "binned", "mapped"] as const;

/** Where the previous folders went, and the reduced days they held that the rebuild has not. */
export interface RebuildSummary {
  previous: string;
  missingDays: string[];
}

/**
 * Moves the work folder's reduced, binned and mapped folders aside (or finishes a move a killed run
 * began); returns where they went, or null when there was nothing to move.
 */
export function moveAsidePrevious(workFolder: string, now = new Date()): string | null {
  const marker = path.join(workFolder, MARKER);
  let previous = readTextIfExists(marker)?.trim() ?? null;
  if (previous === null) {
    if (!MOVED.some((name) => fs.existsSync(path.join(workFolder, name)))) return null;
    previous = `previous-${now.toISOString().replace(/[-:]/g, "").slice(0, 15)}Z`;
    writeFileAtomic(marker, `${previous}\n`);
  }
  finishMoves(workFolder, previous);
  return path.join(workFolder, previous);
}

/** Finishes the moves of a rebuild a killed run began; true when there was one. */
export function finishInterruptedRebuild(workFolder: string): boolean {
  const previous = readTextIfExists(path.join(workFolder, MARKER))?.trim();
  if (previous === undefined) return false;
  finishMoves(workFolder, previous);
  return true;
}

function finishMoves(workFolder: string, previous: string): void {
  if (!/^previous-\d{8}T\d{6}Z$/.test(previous))
    throw new UsageError(
      `${path.join(workFolder, MARKER)} names ${JSON.stringify(previous)}, not a previous-<time> folder; remove it and run again`,
      { code: "ERR_REBUILD_MARKER_DAMAGED" },
    );
  const target = path.join(workFolder, previous);
  fs.mkdirSync(target, { recursive: true });
  for (const name of MOVED) {
    const from = path.join(workFolder, name);
    if (!fs.existsSync(from) || fs.existsSync(path.join(target, name))) continue;
    fs.renameSync(from, path.join(target, name));
  }
  fs.rmSync(path.join(workFolder, MARKER), { force: true });
}

/** The reduced days of the previous folder that the rebuilt one lacks: days whose raw logs are gone. */
export function missingDays(previous: string, reduced: string): string[] {
  const rebuilt = new Set(dayFiles(reduced));
  return dayFiles(path.join(previous, "reduced")).filter((day) => !rebuilt.has(day));
}

function dayFiles(reduced: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(reduced, { recursive: true }).map(String);
  } catch {
    return [];
  }
  return names
    .map((name) => name.split(path.sep).join("/"))
    .filter((name) => /^\d{4}\/\d{2}\/\d{2}\.tsv$/.test(name))
    .sort();
}

/**
 * Refuses a work folder an earlier version filled (rows without the HTTP status) unless it is to be
 * rebuilt: reduce and bin would refuse it anyway, with less said about what to do.
 */
export function checkWorkFolderFormat(folders: { reduced: string; binned: string }): void {
  const old =
    reducedFolderFormat(folders.reduced) === "no-status" || binnedFolderHasStatus(folders.binned) === false;
  if (!old) return;
  throw new UsageError(
    `\`workFolder\` ${path.dirname(folders.reduced)} was made by an earlier version: its reduced and binned rows ` +
      "have no HTTP status, which the summaries' downloads and views need; rebuild it from the raw logs once with " +
      "`rebuild` (reduced/, binned/ and mapped/ are moved to previous-<time>/ first, and the summaries and the " +
      "report are rewritten in place)",
    { code: "ERR_FOLDER_FROM_EARLIER_VERSION", optionNames: ["workFolder", "rebuild"] },
  );
}
