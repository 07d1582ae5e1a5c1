import * as fs from "node:fs";
import * as path from "node:path";
import { readJournal } from "../bin/journal.js";
import { RunError, UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import {
  BINNED_HEADER,
  BINNED_STATUS_HEADER,
  REDUCED_HEADER,
  REDUCED_HEADER_WITHOUT_STATUS,
} from "../io/table-headers.js";
import { UNIT_FILE } from "../reduce/units.js";
import { PENDING_FOLDER } from "../s3/object-journal.js";

/**
 * Which rows the reduced and binned folders of a work folder hold: with the HTTP status (the map
 * step counts downloads, the 200s, and views, runs of 206s, by it) or without (the original tool's
 * formats, and this tool's before it kept the status). A folder holds one format for its life, so
 * that no day, and no binned file, mixes the two.
 *
 * The reduced folder: reduce writes `.reduced_format` (the header of its day files, one line) before
 * it writes anything else into a folder that holds no reduced rows, and so before its first day file:
 * a kill at any moment leaves either no rows or the marker. A folder with reduced rows (day files,
 * or rows held in `.pending_days/`) and no marker was reduced by an earlier version or by the
 * original tool: reduce refuses to add rows with a status to it, since a binned file would then
 * hold both kinds; `run` can ask `reducedFolderFormat` before it starts.
 *
 * The binned folder: its format is that of the first day with rows it binned. Bin tells a reduced
 * day's format by its header, and, for rows with the status, writes `.binned_format` (the header of
 * its object files) before the first batch that changes an object file of a folder with no rows
 * binned yet. Rows without the status add nothing, as the IP addresses in clear add nothing (see
 * privacy/ip-mode.ts): such a folder stays as the original tool makes it. A kill before that batch
 * commits leaves a marker and no rows; nothing is binned then, and the next run may set the format
 * anew (writing or removing the marker). So once the journal (`.binned_days`) lists a day with
 * rows, the marker says the rows have the status, and its absence that they have not. A binned
 * folder without a journal but with object files was made by the original tool, without the status.
 */
export const REDUCED_FORMAT_FILE = ".reduced_format";
export const BINNED_FORMAT_FILE = ".binned_format";

export type ReducedFolderFormat = "status" | "no-status" | "empty";

/** What to do with a folder of rows without the status, in every message that refuses one. */
const WHAT_TO_DO =
  "rebuild the work folder from the raw logs (`dandi-s3-log-parser run --rebuild …`), or reduce into a new folder";

/**
 * The format of a reduced folder: `status` when reduce of this version marked it, `no-status` when
 * it holds reduced rows but no marker (an earlier version's, or the original tool's), `empty` when
 * it holds neither (or does not exist). Cheap: a read of the marker, and without one a walk that stops
 * at the first day file.
 */
export function reducedFolderFormat(folder: string): ReducedFolderFormat {
  const file = path.join(folder, REDUCED_FORMAT_FILE);
  const marker = readTextIfExists(file);
  if (marker !== null) {
    if (marker === REDUCED_HEADER) return "status";
    throw new RunError(
      `${file} is damaged or was written by a newer version: it should hold the reduced header ${JSON.stringify(REDUCED_HEADER.trimEnd())}; ` +
        `restore it, or ${WHAT_TO_DO}`,
      { code: "ERR_FORMAT_MARKER_DAMAGED" },
    );
  }
  return holdsReducedRows(folder) ? "no-status" : "empty";
}

/**
 * Before reduce writes into `folder`: refuses a folder of rows without the status, and marks an
 * empty one, so that its first day file comes after the marker.
 */
export function claimReducedFolder(folder: string): void {
  const format = reducedFolderFormat(folder);
  if (format === "no-status") throw earlierVersionError(folder, "reducedFolder");
  if (format === "empty") writeFileAtomic(path.join(folder, REDUCED_FORMAT_FILE), REDUCED_HEADER);
}

/** The refusal of a reduced folder (or a work folder, `option`) that holds rows without the status. */
export function earlierVersionError(folder: string, option: string): UsageError {
  return new UsageError(
    `\`${option}\` ${folder} holds days reduced by an earlier version (or the original tool): their rows have no HTTP status, which views and downloads need; ${WHAT_TO_DO}`,
    { code: "ERR_FOLDER_FROM_EARLIER_VERSION", optionNames: [option] },
  );
}

/** Whether a day file (`DD.tsv`, `DD_0002.tsv`) or held rows lie below `folder`; stops at the first. */
export function holdsReducedRows(folder: string): boolean {
  let dir: fs.Dir;
  try {
    dir = fs.opendirSync(folder);
  } catch {
    return false;
  }
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
      // Reduce's own files and folders are dot files, but for the rows it holds for unsettled days.
      if (entry.name.startsWith(".") && entry.name !== PENDING_FOLDER) continue;
      if (entry.isDirectory()) {
        if (holdsReducedRows(path.join(folder, entry.name))) return true;
      } else if (UNIT_FILE.test(entry.name)) return true;
    }
    return false;
  } finally {
    dir.closeSync();
  }
}

/** The format of a reduced day's rows, told by its header or first row; null for a day that tells nothing. */
export type DayFormat = "status" | "no-status" | null;

const REDUCED_STATUS_LINE = REDUCED_HEADER.trimEnd();
const REDUCED_PLAIN_LINE = REDUCED_HEADER_WITHOUT_STATUS.trimEnd();
/** Reduce starts every day file with its header; a hand-edited one is looked at this far. */
const FORMAT_PROBE_BYTES = 4096;
const ROW_START = /^\d{4}-\d{2}-\d{2}T/;

/**
 * The format of a reduced day file by its first line that is a header (either) or a row (five
 * columns or four): reduce writes the header first, so this reads one line. An empty file (a day
 * with nothing kept), or one whose first 4 KB tell nothing, has its rows read as the folder's, and
 * rejected if they are not.
 */
export function reducedDayFormat(file: string): DayFormat {
  const buffer = Buffer.allocUnsafe(FORMAT_PROBE_BYTES);
  const fd = fs.openSync(file, "r");
  let n: number;
  try {
    n = fs.readSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  for (let start = 0; start < n; ) {
    let end = buffer.indexOf(0x0a, start);
    // A line cut by the end of the probe tells nothing (unless it is the file's last).
    if (end === -1 || end >= n) {
      if (n === buffer.length) return null;
      end = n;
    }
    const next = end + 1;
    if (end > start && buffer[end - 1] === 0x0d) end--;
    const line = buffer.toString("latin1", start, end);
    if (line === REDUCED_STATUS_LINE) return "status";
    if (line === REDUCED_PLAIN_LINE) return "no-status";
    if (ROW_START.test(line)) {
      const tabs = line.split("\t").length - 1;
      if (tabs === 4) return "status";
      if (tabs === 3) return "no-status";
    }
    start = next;
  }
  return null;
}

/** The header bin writes into the object files of a folder of `format`. */
export function binnedHeaderOf(format: "status" | "no-status"): string {
  return format === "status" ? BINNED_STATUS_HEADER : BINNED_HEADER;
}

/**
 * Whether the binned folder's rows carry the HTTP status: true or false once a day with rows is
 * binned, null while none is (or the folder does not exist). For map and run. Cheap: the marker,
 * the journal (a line per day), and for a folder without a journal a walk to its first object file.
 */
export function binnedFolderHasStatus(binnedFolder: string): boolean | null {
  const journal = readJournal(binnedFolder);
  if (journal === null) {
    // Binned by another tool (the original's, or a generator): its files say, by their header.
    const file = firstObjectFile(binnedFolder);
    if (file === null) return null;
    const head = Buffer.alloc(BINNED_STATUS_HEADER.length);
    const fd = fs.openSync(file, "r");
    try {
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    return head.toString("latin1") === BINNED_STATUS_HEADER;
  }
  return binnedFormatOf(
    binnedFolder,
    journal.some((day) => day.rows > 0),
  );
}

/**
 * Whether the binned folder's rows have the status, given whether its journal lists rows: as its
 * marker says; null with no rows binned. Bin calls it with the journal it has read.
 */
export function binnedFormatOf(binnedFolder: string, hasRows: boolean): boolean | null {
  if (!hasRows) return null;
  return readBinnedMarker(binnedFolder) === "status";
}

/** The format the folder's marker says: `status` when there is one, `no-status` when there is none. */
export function readBinnedMarker(binnedFolder: string): "status" | "no-status" {
  const file = path.join(binnedFolder, BINNED_FORMAT_FILE);
  const text = readTextIfExists(file);
  if (text === null) return "no-status";
  if (text === BINNED_STATUS_HEADER) return "status";
  throw new RunError(
    `${file} is damaged or was written by a newer version: it should hold the header ${JSON.stringify(BINNED_STATUS_HEADER.trimEnd())}; ` +
      "restore it, or bin into a new folder",
    { code: "ERR_FORMAT_MARKER_DAMAGED" },
  );
}

/**
 * Records the binned folder's format before the batch that sets it changes any object file: the
 * marker, flushed, for rows with the status; none for rows without.
 */
export function markBinnedFormat(binnedFolder: string, format: "status" | "no-status"): void {
  const file = path.join(binnedFolder, BINNED_FORMAT_FILE);
  if (format === "status") writeFileAtomic(file, BINNED_STATUS_HEADER);
  else fs.rmSync(file, { force: true });
}

/** Whether `blobs/` or `zarr/` holds any file: a binned folder with object files. */
export function holdsObjectFiles(binnedFolder: string): boolean {
  return firstObjectFile(binnedFolder) !== null;
}

/** The first file found under `blobs/` or `zarr/`, or null: a walk that stops there. */
function firstObjectFile(binnedFolder: string): string | null {
  for (const top of ["blobs", "zarr"]) {
    const file = firstFile(path.join(binnedFolder, top));
    if (file !== null) return file;
  }
  return null;
}

function firstFile(folder: string): string | null {
  let dir: fs.Dir;
  try {
    dir = fs.opendirSync(folder);
  } catch {
    return null;
  }
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
      const at = path.join(folder, entry.name);
      if (!entry.isDirectory()) return at;
      const inside = firstFile(at);
      if (inside !== null) return inside;
    }
    return null;
  } finally {
    dir.closeSync();
  }
}
