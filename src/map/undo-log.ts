import * as fs from "node:fs";
import * as path from "node:path";
import { readAt, writeAll } from "../bin/fs-util.js";
import { RunError } from "../errors.js";
import { isTempFile, replaceFile } from "../io/atomic-file.js";
import { removeEmptyParents } from "../io/folders.js";

/**
 * The undo log of the map run in progress, `<mapped>/.map_state/undo_log`. A run changes the mapped
 * folder in place (tables are extended, summaries replaced) and commits by replacing its journal;
 * before each change, a record of how to put it back is in this log:
 *  - `created`: the run made this file (or link); undo removes it;
 *  - `createdFolder`: the run made this folder; undo removes it and all in it, so files made in a
 *    folder the run made need no record of their own (a first run writes thousands);
 *  - `extended`: the file had `size` bytes and is rewritten from `from` on; undo puts back the old
 *    bytes `[from, size)` kept in the record, then the size;
 *  - `replaced`: the file is about to be replaced by new content; the record keeps its old bytes;
 *    undo writes them aside and renames them into place;
 *  - `saved`: the file is about to be replaced or removed; a hard link to its old content was made
 *    under `.map_state/saved/` first; undo renames that link back.
 * Every undo step writes old bytes or renames, so undoing twice (a kill during an undo) is harmless.
 * Records are a JSON line, then for `extended` and `replaced` the old bytes; a record cut short by
 * a kill is ignored, which is safe because its change was not started. Like bin, nothing is fsynced but the
 * journal: after a process is killed, the kernel still holds every write it completed, in order.
 */
export const UNDO_LOG_NAME = "undo_log";
export const SAVED_FOLDER = "saved";
const NEWLINE = 0x0a;

/** What changing the mapped folder records before each change (see MapUndoLog). */
export interface UndoRecorder {
  createdFolder(relativePath: string, flush?: boolean): void;
  created(relativePath: string): void;
  extended(relativePath: string, size: number, from: number, tail: Buffer): void;
  replaced(relativePath: string, old: Buffer): void;
  save(relativePath: string): void;
  flush(): void;
}

/**
 * The largest old content a `replaced` record keeps in the log itself; a bigger file is kept by a
 * hard link (`saved`). A link costs no copy, but three calls (link, a record of its own, and an
 * unlink when the run ends, about 15 µs): as much as copying some 64 KB. A daily run replaces
 * about 1,300 summary tables of a few KB each.
 */
export const REPLACED_INLINE_BYTES = 64 * 1024;

/**
 * For a worker thread of a shared map, which changes only what lies in folders the main thread
 * recorded as made by this run before handing the work out (see ClaimedFolders): undoing removes
 * those folders whole, so nothing in them needs a record, and asking for one is a mistake.
 */
export const NO_UNDO: UndoRecorder = {
  createdFolder: refuseRecord,
  created: refuseRecord,
  extended: refuseRecord,
  replaced: refuseRecord,
  save: refuseRecord,
  flush: () => {},
};

function refuseRecord(relativePath: string): never {
  throw new RunError(`${relativePath} would need an undo record, which a map worker cannot write`);
}

type UndoRecord =
  | { op: "created"; path: string }
  | { op: "createdFolder"; path: string }
  | { op: "extended"; path: string; size: number; from: number; tail: number }
  | { op: "replaced"; path: string; size: number }
  | { op: "saved"; path: string; saved: string };

export class MapUndoLog implements UndoRecorder {
  private readonly fd: number;
  private position = 0;
  private pending: Buffer[] = [];
  private savedCount = 0;
  /**
   * Files whose content before the run a record already holds (or that the run made): only the
   * first record of a path is kept. A later one would hold what the run itself wrote, and undoing
   * twice (a kill during an undo) would put that back after the first undo had restored the old.
   */
  private readonly recorded = new Set<string>();

  /**
   * Starts the log of batch `batch` in `stateFolder` (`<mapped>/.map_state`, or a folder below it
   * for the log of another folder the run changes, such as the summaries); `mappedFolder` is the
   * folder whose changes it records, named in the log's first line so that a later run can undo them.
   */
  constructor(
    private readonly mappedFolder: string,
    private readonly stateFolder: string,
    batch: number,
  ) {
    fs.mkdirSync(path.join(stateFolder, SAVED_FOLDER), { recursive: true });
    this.fd = fs.openSync(path.join(stateFolder, UNDO_LOG_NAME), "w");
    this.queue({ batch, root: mappedFolder });
    this.flush();
  }

  /** Records that the folder `relativePath` does not exist yet and is about to be made, and flushes (unless told not to). */
  createdFolder(relativePath: string, flush = true): void {
    this.queue({ op: "createdFolder", path: relativePath });
    if (flush) this.flush();
  }

  /** Records that `relativePath` does not exist yet and is about to be made. */
  created(relativePath: string): void {
    if (this.recorded.has(relativePath)) return;
    this.recorded.add(relativePath);
    this.queue({ op: "created", path: relativePath });
  }

  /** Records the old bytes past `from` of a file of `size` bytes about to be rewritten from `from`. */
  extended(relativePath: string, size: number, from: number, tail: Buffer): void {
    this.queue({ op: "extended", path: relativePath, size, from, tail: tail.length });
    if (tail.length > 0) this.pending.push(tail);
  }

  /**
   * Records the old content of `relativePath`, about to be replaced whole, and flushes: in the log
   * when small, else by a hard link (see `REPLACED_INLINE_BYTES`).
   */
  replaced(relativePath: string, old: Buffer): void {
    if (old.length > REPLACED_INLINE_BYTES) {
      this.save(relativePath);
      return;
    }
    if (this.recorded.has(relativePath)) return;
    this.recorded.add(relativePath);
    this.queue({ op: "replaced", path: relativePath, size: old.length });
    this.pending.push(old);
    this.flush();
  }

  /**
   * Keeps the current content of `relativePath` (which exists) under the saved folder, so that the
   * file can be replaced or removed: a hard link, which costs no copy of the bytes.
   */
  save(relativePath: string): void {
    if (this.recorded.has(relativePath)) return;
    this.recorded.add(relativePath);
    const saved = `${SAVED_FOLDER}/${this.savedCount++}`;
    this.queue({ op: "saved", path: relativePath, saved });
    this.flush();
    const from = path.join(this.mappedFolder, relativePath);
    const to = path.join(this.stateFolder, saved);
    try {
      fs.linkSync(from, to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
      // The summaries may lie on another file system: a copy, whole before it takes the saved name.
      fs.copyFileSync(from, `${to}.copy`);
      fs.renameSync(`${to}.copy`, to);
    }
  }

  /** Puts the queued records in the file: call before making any of their changes. */
  flush(): void {
    if (this.pending.length === 0) return;
    const bytes = Buffer.concat(this.pending);
    this.pending = [];
    writeAll(this.fd, bytes, 0, bytes.length, this.position);
    this.position += bytes.length;
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private queue(record: object): void {
    this.pending.push(Buffer.from(`${JSON.stringify(record)}\n`));
  }
}

/** Makes folders for a run's files; `make` says whether the folder is new in this run. */
export interface FolderMaker {
  make(relativeFolder: string): boolean;
}

/**
 * Makes folders of the mapped folder for one run, recording the outermost one it creates before
 * creating it. `make` says whether the folder is new in this run: a file made in it needs no record.
 */
export class RecordedFolders implements FolderMaker {
  private readonly made = new Set<string>();
  private readonly found = new Set<string>();
  /** Missing folders recorded as made by this run, which threads of a shared map make as they need them. */
  private readonly claimed = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly undo: UndoRecorder,
  ) {}

  /**
   * Records `relativeFolders`, missing, as made by this run before other threads make them and fill
   * them (ClaimedFolders): undoing removes them whole. Each is made here only when this thread first
   * needs it.
   */
  claim(relativeFolders: readonly string[]): void {
    for (const folder of relativeFolders) {
      this.undo.createdFolder(folder, false);
      this.claimed.add(folder);
    }
    this.undo.flush();
  }

  /** Makes `relativeFolder` (`/`-separated) if missing; true when this run made it. */
  make(relativeFolder: string): boolean {
    if (this.made.has(relativeFolder)) return true;
    if (this.found.has(relativeFolder)) return false;
    if (this.claimed.size > 0 && isWithinAny(relativeFolder, this.claimed)) {
      fs.mkdirSync(path.join(this.root, relativeFolder), { recursive: true });
      this.made.add(relativeFolder);
      return true;
    }
    // The outermost missing folder: its record covers every folder and file made below it.
    const parts = relativeFolder.split("/");
    const prefix = (depth: number) => parts.slice(0, depth).join("/");
    let depth = parts.length;
    let insideMade = false;
    while (depth > 0) {
      const folder = prefix(depth);
      if (this.made.has(folder)) {
        insideMade = true;
        break;
      }
      if (this.found.has(folder) || fs.existsSync(path.join(this.root, folder))) break;
      depth--;
    }
    if (depth === parts.length) {
      this.found.add(relativeFolder);
      return false;
    }
    if (!insideMade) this.undo.createdFolder(prefix(depth + 1));
    fs.mkdirSync(path.join(this.root, relativeFolder), { recursive: true });
    for (let n = depth + 1; n <= parts.length; n++) this.made.add(prefix(n));
    return true;
  }
}

/**
 * The folders of a thread of a shared map: all below folders the main thread claimed (see
 * `RecordedFolders.claim`), so each is made as needed, with no record of its own.
 */
export class ClaimedFolders implements FolderMaker {
  private readonly made = new Set<string>();

  constructor(private readonly root: string) {}

  make(relativeFolder: string): boolean {
    if (!this.made.has(relativeFolder)) {
      fs.mkdirSync(path.join(this.root, relativeFolder), { recursive: true });
      this.made.add(relativeFolder);
    }
    return true;
  }
}

/** Whether `folder` is one of `parents` or below one. */
function isWithinAny(folder: string, parents: ReadonlySet<string>): boolean {
  for (let end = folder.indexOf("/"); end !== -1; end = folder.indexOf("/", end + 1))
    if (parents.has(folder.slice(0, end))) return true;
  return parents.has(folder);
}

/** The batch an undo log belongs to, or null when there is no log (or not even its header was written). */
export function undoLogBatch(stateFolder: string): number | null {
  return undoLogHeader(stateFolder)?.batch ?? null;
}

/** The folder an undo log's changes were made in, as its first line names it (null for a log without one). */
export function undoLogRoot(stateFolder: string): string | null {
  const root = undoLogHeader(stateFolder)?.root;
  return typeof root === "string" ? root : null;
}

function undoLogHeader(stateFolder: string): { batch: number; root?: unknown } | null {
  const file = path.join(stateFolder, UNDO_LOG_NAME);
  let text: string;
  try {
    const fd = fs.openSync(file, "r");
    try {
      const head = Buffer.alloc(8192); // the batch and the folder's path
      const n = readAt(fd, head, 0, head.length, 0);
      const end = head.subarray(0, n).indexOf(NEWLINE);
      if (end === -1) return null;
      text = head.toString("utf8", 0, end);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const header = JSON.parse(text) as { batch?: unknown; root?: unknown };
  if (typeof header.batch !== "number")
    throw new RunError(`${file} does not start with its batch; move it away and rerun`);
  return { batch: header.batch, root: header.root };
}

/** Puts back, newest change first, everything an uncommitted run changed in the mapped folder. */
export function applyUndoLog(mappedFolder: string, stateFolder: string): void {
  const file = path.join(stateFolder, UNDO_LOG_NAME);
  const log = fs.readFileSync(file);
  const records: { record: UndoRecord; tailStart: number }[] = [];
  let at = log.indexOf(NEWLINE) + 1; // past the header
  while (at > 0 && at < log.length) {
    const end = log.indexOf(NEWLINE, at);
    if (end === -1) break;
    let record: UndoRecord;
    try {
      record = JSON.parse(log.toString("utf8", at, end)) as UndoRecord;
    } catch {
      break;
    }
    const tailStart = end + 1;
    const tail = record.op === "extended" ? record.tail : record.op === "replaced" ? record.size : 0;
    if (tailStart + tail > log.length) break;
    checkRelative(record.path, file);
    records.push({ record, tailStart });
    at = tailStart + tail;
  }
  for (let i = records.length - 1; i >= 0; i--) {
    const { record, tailStart } = records[i];
    const target = path.join(mappedFolder, record.path);
    if (record.op === "created") {
      fs.rmSync(target, { force: true });
      removeEmptyParents(mappedFolder, path.dirname(target));
    } else if (record.op === "createdFolder") {
      fs.rmSync(target, { recursive: true, force: true });
      removeEmptyParents(mappedFolder, path.dirname(target));
    } else if (record.op === "saved") {
      const saved = path.join(stateFolder, record.saved);
      if (!fs.existsSync(saved)) continue;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(saved, target);
    } else if (record.op === "replaced") {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      replaceFile(target, log.subarray(tailStart, tailStart + record.size));
    } else {
      let fd: number;
      try {
        fd = fs.openSync(target, "r+");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      try {
        writeAll(fd, log, tailStart, record.tail, record.from);
        fs.ftruncateSync(fd, record.size);
      } finally {
        fs.closeSync(fd);
      }
    }
  }
  for (const { record } of records) removeTempSiblings(path.dirname(path.join(mappedFolder, record.path)));
}

/** Ends a run's log once its journal is committed (or its changes undone). */
export function discardUndoLog(stateFolder: string): void {
  fs.rmSync(path.join(stateFolder, SAVED_FOLDER), { recursive: true, force: true });
  fs.rmSync(path.join(stateFolder, UNDO_LOG_NAME), { force: true });
}

function checkRelative(relativePath: unknown, file: string): void {
  if (
    typeof relativePath !== "string" ||
    relativePath === "" ||
    path.isAbsolute(relativePath) ||
    relativePath.split(/[\\/]/).includes("..")
  )
    throw new RunError(`${file} names a file outside the mapped folder; move it away and rerun`);
}

/** Temporary files of replacements the killed run had started next to the files it changed. */
function removeTempSiblings(folder: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) if (isTempFile(name)) fs.rmSync(path.join(folder, name), { force: true });
}
