import * as fs from "node:fs";
import * as path from "node:path";
import { isTempFile, writeFileAtomic } from "../io/atomic-file.js";

/**
 * Writes the mapped folder. Every file is written aside and renamed into place, so readers and a
 * run killed half-way only ever see whole files. A file whose content is already right is left
 * alone: a daily rerun then rewrites only what new downloads changed, and tools that sync the
 * folder elsewhere see only those files as new.
 */
export class OutputWriter {
  written = 0;
  unchanged = 0;
  removed = 0;
  /** Every file this run produced, for telling which files of an earlier run no longer belong. */
  private readonly produced = new Set<string>();

  constructor(readonly root: string) {}

  write(relativePath: string, data: string | Buffer): void {
    const file = path.join(this.root, relativePath);
    this.produced.add(file);
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    if (sameContent(file, bytes)) {
      this.unchanged++;
      return;
    }
    writeFileAtomic(file, bytes);
    this.written++;
  }

  /**
   * Removes, below `relativeFolder` and one level of subfolders, the tables (`*.tsv`) and
   * `totals.json` this run did not produce, then folders left empty. Nothing else is touched, so
   * files a person put there survive.
   */
  removeLeftovers(relativeFolder: string): void {
    const folder = path.join(this.root, relativeFolder);
    this.removeIn(folder, true);
  }

  private removeIn(folder: string, descend: boolean): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (descend) this.removeIn(full, false);
      } else if (
        entry.isFile() &&
        !isTempFile(entry.name) &&
        (entry.name.endsWith(".tsv") || entry.name === "totals.json") &&
        !this.produced.has(full)
      ) {
        fs.rmSync(full, { force: true });
        this.removed++;
      }
    }
    try {
      if (fs.readdirSync(folder).length === 0) fs.rmdirSync(folder);
    } catch {
      // Not empty after all, or already gone: either way nothing to do.
    }
  }
}

function sameContent(file: string, bytes: Buffer): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return false;
  }
  try {
    if (fs.fstatSync(fd).size !== bytes.length) return false;
    const existing = Buffer.allocUnsafe(bytes.length);
    let read = 0;
    while (read < bytes.length) {
      const n = fs.readSync(fd, existing, read, bytes.length - read, read);
      if (n === 0) return false;
      read += n;
    }
    return existing.equals(bytes);
  } finally {
    fs.closeSync(fd);
  }
}
