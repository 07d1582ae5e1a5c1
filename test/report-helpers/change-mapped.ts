/** Changes a mapped folder as a later map run would: some Dandisets get new tables, some go, some come. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type MappedFolderOptions, writeMappedFolder } from "./mapped-folder.ts";

export interface MappedFolderChange {
  changed: string[];
  removed: string[];
  added: string[];
}

/**
 * Applies `change` to a folder written by `writeMappedFolder` with `options`: changed and added Dandisets
 * take their tables from a folder written with another seed. The archive tables stay as they were; the
 * report reads them as they are, so they need not agree.
 */
export function changeMappedFolder(
  mapped: string,
  change: MappedFolderChange,
  options: MappedFolderOptions,
  seed = (options.seed ?? 1) + 1000,
): void {
  const replacing = [...change.changed, ...change.added];
  const other = fs.mkdtempSync(path.join(os.tmpdir(), "dslp-mapped-other-"));
  try {
    const count = Math.max(options.dandisets, ...replacing.map(Number));
    writeMappedFolder(other, { ...options, dandisets: count, seed });
    for (const id of replacing) {
      fs.rmSync(path.join(mapped, id), { recursive: true, force: true });
      fs.cpSync(path.join(other, id), path.join(mapped, id), { recursive: true });
    }
  } finally {
    fs.rmSync(other, { recursive: true, force: true });
  }
  for (const id of change.removed) fs.rmSync(path.join(mapped, id), { recursive: true });
}
