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
 * The pages an earlier report in `folder` wrote, as `dandisets/<file>`: those its state lists (see
 * report-state.ts), whatever version wrote it; with no readable state, every `.html` file in
 * `dandisets/` (a report of a version before the state, or one whose state was lost). Anything
 * else in the folder is not the report's: a `CNAME`, a `.nojekyll`, a logo, notes beside the pages.
 */
export function pagesWrittenBefore(folder: string, statePages: readonly string[] | null): string[] {
  const pageFolder = path.join(folder, "dandisets");
  if (!fs.existsSync(pageFolder)) return [];
  const present = new Set(
    fs
      .readdirSync(pageFolder, { withFileTypes: true })
      .filter((entry) => entry.isFile() && !isTempFile(entry.name))
      .map((entry) => `dandisets/${entry.name}`),
  );
  if (statePages !== null) return statePages.filter((page) => present.has(page));
  return [...present].filter((page) => page.endsWith(".html"));
}

/**
 * Removes the pages the report wrote for Dandisets no longer mapped, and nothing else: the report
 * folder is the report's to write, not to empty (it may be a site's folder, or a link to one).
 * Returns how many it removed.
 */
export function removePagesGone(
  folder: string,
  written: readonly string[],
  pages: ReadonlySet<string>,
): number {
  let removed = 0;
  for (const page of written) {
    if (pages.has(page)) continue;
    fs.rmSync(path.join(folder, page), { force: true });
    removed++;
  }
  return removed;
}
