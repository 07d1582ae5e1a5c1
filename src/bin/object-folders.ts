import * as fs from "node:fs";
import * as path from "node:path";
import { RunError } from "../errors.js";
import { lstatNoFollow, symbolicLinkError } from "../io/no-follow.js";

/**
 * Which object files may exist, so that a new object costs neither a failed open (an exception
 * each) nor a stat (3,000 on a first run): a top folder (`blobs/aaa`, `zarr`) missing when a pass
 * starts holds none of the pass's objects, each of which the pass writes once.
 *
 * Also what keeps writes inside the binned folder: object files are opened with O_NOFOLLOW, and
 * every folder on their path is checked not to be a symbolic link once per run (an lstat of each
 * `blobs/aaa/bbb` the run touches; `blobs/aaa` are told by the listing's entry types).
 */
export class ObjectFolders {
  /** Folders (relative, `/`-separated) made or checked by this run. */
  private readonly known = new Set<string>();
  /** Of those, the ones this run made. */
  private readonly made = new Set<string>();
  private tops = new Set<string>();

  /** Lists the top folders present now: one directory read per pass. */
  startPass(binnedFolder: string): void {
    this.tops.clear();
    for (const top of ["blobs", "zarr"]) {
      if (lstatNoFollow(path.join(binnedFolder, top)) !== null) this.known.add(top);
    }
    if (!this.known.has("blobs")) return;
    for (const entry of fs.readdirSync(path.join(binnedFolder, "blobs"), { withFileTypes: true })) {
      const top = `blobs/${entry.name}`;
      if (entry.isSymbolicLink()) throw symbolicLinkError(path.join(binnedFolder, top));
      this.tops.add(top);
      this.known.add(top);
    }
  }

  mayHold(relativePath: string): boolean {
    if (relativePath.startsWith("blobs/")) return this.tops.has(relativePath.slice(0, 9));
    return this.known.has("zarr");
  }

  /** Checks that no folder on the way to an existing object file is a symbolic link. */
  checkFolderOf(binnedFolder: string, relativePath: string): void {
    const folder = relativePath.slice(0, relativePath.lastIndexOf("/"));
    if (this.known.has(folder)) return;
    if (lstatNoFollow(path.join(binnedFolder, folder)) === null)
      throw new RunError(`${path.join(binnedFolder, folder)} went missing while being binned`);
    this.known.add(folder);
  }

  /** Makes the folder of a new object file, one level at a time, refusing symbolic links on the way. */
  make(binnedFolder: string, relativePath: string): void {
    const parts = relativePath.split("/");
    parts.pop();
    let folder = "";
    let parentMade = false;
    for (let depth = 1; depth <= parts.length; depth++) {
      folder = depth === 1 ? parts[0] : `${folder}/${parts[depth - 1]}`;
      if (this.known.has(folder)) {
        parentMade = this.made.has(folder);
        continue;
      }
      const full = path.join(binnedFolder, folder);
      // A folder this run just made holds nothing yet: no link to look for (2,000 lstats on a first
      // run). Nor does a top folder (`blobs`, `blobs/aaa`, `zarr`) the pass's listing did not find:
      // if it is there now, the thread of another share of the batch made it.
      if (parentMade || depth <= 2 || lstatNoFollow(full) === null) {
        makeFolder(full);
        this.made.add(folder);
        parentMade = true;
      }
      this.known.add(folder);
    }
  }
}

/**
 * Makes a folder, or takes the one the thread of another share of the batch made meanwhile (shares
 * meet in `blobs` and `zarr`), once checked to be a folder and not a link.
 */
function makeFolder(full: string): void {
  try {
    fs.mkdirSync(full);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const stat = lstatNoFollow(full);
    if (stat === null || !stat.isDirectory())
      throw new RunError(`${full} is not a folder; move it away and rerun`);
  }
}
