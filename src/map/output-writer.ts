import * as fs from "node:fs";
import * as path from "node:path";
import { isTempFile, replaceFile, tempPathFor } from "../io/atomic-file.js";
import { lstatNoFollow, openNoFollow, READ_NO_FOLLOW, REPLACE_NO_FOLLOW } from "../io/no-follow.js";
import { type FolderMaker, RecordedFolders, type UndoRecorder } from "./undo-log.js";

/**
 * Changes the mapped folder for one run, each change preceded by its undo record, so that a run
 * killed anywhere is undone by the next (see undo-log.ts). A file whose content is already right is
 * left alone: a daily run then touches only what new downloads changed, and tools that sync the
 * folder elsewhere see only those files as new. Replaced files appear whole: written aside, then
 * renamed into place.
 */
export class OutputWriter {
  written = 0;
  unchanged = 0;
  removed = 0;
  readonly folders: FolderMaker;
  /** Folders below the root seen to be real folders, not links, this run. */
  private readonly checkedFolders = new Set<string>(["."]);

  /**
   * `fresh`: the folder held nothing published when the run started (a first run), so no file is
   * looked for before it is written: a first run writes thousands of files that cannot exist yet.
   * `folders`: how folders are made (recorded in `undo` by default; a thread of a shared map makes
   * them in folders the main thread claimed, see ClaimedFolders).
   */
  constructor(
    readonly root: string,
    private readonly undo: UndoRecorder,
    readonly fresh = false,
    folders?: FolderMaker,
  ) {
    this.folders = folders ?? new RecordedFolders(root, undo);
  }

  /** Records missing folders as made by this run, for other threads to fill (see `RecordedFolders.claim`). */
  claim(relativeFolders: readonly string[]): void {
    if (!(this.folders instanceof RecordedFolders))
      throw new Error("only the main thread's writer claims folders");
    this.folders.claim(relativeFolders);
  }

  /** Writes `data` to `relativePath` unless the file already holds exactly that. */
  write(relativePath: string, data: string | Buffer): void {
    const file = path.join(this.root, relativePath);
    this.refuseLinkedFolders(path.dirname(relativePath));
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    if (this.fresh) {
      this.prepare(relativePath, false);
      const fd = openNoFollow(file, REPLACE_NO_FOLLOW);
      try {
        fs.writeFileSync(fd, bytes);
      } finally {
        fs.closeSync(fd);
      }
      this.written++;
      return;
    }
    const existing = readIfExists(file);
    if (existing?.equals(bytes)) {
      this.unchanged++;
      return;
    }
    if (existing === null) this.prepare(relativePath, false);
    else this.undo.replaced(relativePath, existing);
    replaceFile(file, bytes);
    this.written++;
  }

  /** The current bytes of `relativePath`, or null when there is no such file (read without following links). */
  read(relativePath: string): Buffer | null {
    this.refuseLinkedFolders(path.dirname(relativePath));
    return this.fresh ? null : readIfExists(path.join(this.root, relativePath));
  }

  /** Makes `relativePath` a hard link to `target` (a mapped object), unless it is one already. */
  link(relativePath: string, target: string): void {
    const file = path.join(this.root, relativePath);
    this.refuseLinkedFolders(path.dirname(relativePath));
    const existing = this.fresh ? null : lstatNoFollow(file);
    if (existing !== null) {
      const wanted = fs.statSync(target);
      if (existing.ino === wanted.ino && existing.dev === wanted.dev) {
        this.unchanged++;
        return;
      }
    }
    this.prepare(relativePath, existing !== null);
    if (existing === null) {
      fs.linkSync(target, file);
    } else {
      const temp = tempPathFor(file);
      fs.linkSync(target, temp);
      fs.renameSync(temp, file);
    }
    this.written++;
  }

  /** Removes `relativePath` (kept aside until the run commits). */
  remove(relativePath: string): void {
    this.refuseLinkedFolders(path.dirname(relativePath));
    this.undo.save(relativePath);
    fs.rmSync(path.join(this.root, relativePath), { force: true });
    this.removed++;
  }

  /**
   * Removes, below `relativeFolder` and one level of subfolders, the tables (`*.tsv`) and
   * `totals.json` not in `keep`, then folders left empty. Nothing else is touched, so files a
   * person put there survive.
   */
  removeLeftovers(relativeFolder: string, keep: ReadonlySet<string>): void {
    if (!this.fresh) this.removeIn(relativeFolder, keep, true);
  }

  private removeIn(relativeFolder: string, keep: ReadonlySet<string>, descend: boolean): void {
    this.refuseLinkedFolders(relativeFolder);
    const folder = path.join(this.root, relativeFolder);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const relative = `${relativeFolder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (descend) this.removeIn(relative, keep, false);
      } else if (
        entry.isFile() &&
        !isTempFile(entry.name) &&
        (entry.name.endsWith(".tsv") || entry.name === "totals.json") &&
        !keep.has(relative)
      ) {
        this.remove(relative);
      }
    }
    try {
      if (fs.readdirSync(folder).length === 0) fs.rmdirSync(folder);
    } catch {
      // Not empty after all, or already gone: either way nothing to do.
    }
  }

  /**
   * Refuses a folder of the path that is a symbolic link: the file's own open refuses a link, but a
   * folder replaced by one (a Dandiset's, or a summaries folder) would have tables written, and old
   * ones removed, wherever it points. Each folder is looked at once a run; a first run made them all.
   */
  private refuseLinkedFolders(relativeFolder: string): void {
    if (this.fresh || this.checkedFolders.has(relativeFolder)) return;
    let folder = ".";
    for (const part of relativeFolder.split("/")) {
      folder = folder === "." ? part : `${folder}/${part}`;
      if (this.checkedFolders.has(folder)) continue;
      // Missing: this run makes it, and looks again at its next file.
      if (lstatNoFollow(path.join(this.root, folder)) === null) return;
      this.checkedFolders.add(folder);
    }
  }

  private prepare(relativePath: string, exists: boolean): void {
    if (exists) {
      this.undo.save(relativePath);
    } else {
      if (!this.folders.make(path.dirname(relativePath))) {
        this.undo.created(relativePath);
        this.undo.flush();
      }
    }
  }
}

/** The file's content, null when missing; a symbolic link is refused rather than read through. */
function readIfExists(file: string): Buffer | null {
  let fd: number;
  try {
    fd = openNoFollow(file, READ_NO_FOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw error;
  }
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
