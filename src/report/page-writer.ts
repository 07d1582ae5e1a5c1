import * as fs from "node:fs";
import * as path from "node:path";
import { isTempFile, tempPathFor } from "../io/atomic-file.js";

/**
 * Where finished pages go until the run commits. Drawing a page is slow and renaming it is not, so pages
 * are written aside as they are drawn and renamed into place together at the end: a reader sees the new
 * pages and the index that links them appear within a few milliseconds, never a half-written file.
 */
export interface PageWriter {
  /** Writes `text` as `relativePath` of the report, visible only once committed. */
  write(relativePath: string, text: string): void;
}

/** Into a staging folder no reader sees: pages go straight to their names. */
export function stagingWriter(folder: string): PageWriter {
  return {
    write(relativePath, text) {
      fs.writeFileSync(path.join(folder, relativePath), text);
    },
  };
}

/** Into the report in place: pages go to temporary names beside their own, renamed by `commit`. */
export class AsideWriter implements PageWriter {
  private readonly written: { temp: string; final: string }[] = [];

  constructor(private readonly folder: string) {}

  write(relativePath: string, text: string): void {
    const final = path.join(this.folder, relativePath);
    const temp = tempPathFor(final);
    fs.writeFileSync(temp, text);
    this.written.push({ temp, final });
  }

  /** Renames every page written into place, in the order written. */
  commit(): void {
    for (const { temp, final } of this.written) fs.renameSync(temp, final);
    this.written.length = 0;
  }

  /** Removes what was written, leaving the report as it was. */
  discard(): void {
    for (const { temp } of this.written) fs.rmSync(temp, { force: true });
    this.written.length = 0;
  }
}

/**
 * Removes what a report folder holds besides the report: pages of Dandisets no longer mapped and files
 * left by older versions, so a folder brought up to date equals one drawn from scratch. Temporary files
 * of running processes are left to them (those of dead ones are removed before drawing).
 */
export function removeStrayEntries(
  folder: string,
  keep: ReadonlySet<string>,
  pages: ReadonlySet<string>,
): void {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (keep.has(entry.name) || isTempFile(entry.name)) continue;
    fs.rmSync(path.join(folder, entry.name), { recursive: true, force: true });
  }
  const pageFolder = path.join(folder, "dandisets");
  for (const entry of fs.readdirSync(pageFolder, { withFileTypes: true })) {
    if (pages.has(`dandisets/${entry.name}`) || isTempFile(entry.name)) continue;
    fs.rmSync(path.join(pageFolder, entry.name), { recursive: true, force: true });
  }
}

/** The pages a report folder holds now, as `dandisets/<file>`; none when there is no report. */
export function listPages(folder: string): string[] {
  const pageFolder = path.join(folder, "dandisets");
  if (!fs.existsSync(pageFolder)) return [];
  return fs
    .readdirSync(pageFolder)
    .filter((name) => !isTempFile(name))
    .map((name) => `dandisets/${name}`);
}
