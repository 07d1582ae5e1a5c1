import * as fs from "node:fs";
import * as path from "node:path";

/** A `.log` file of the raw folder, by its `/`-separated path under it. */
export interface RawLogFile {
  relativePath: string;
  size: number;
  mtimeMs: number;
}

/**
 * The `.log` files below `folder`, sorted by path, and the `.log` entries that cannot be read as
 * files, with the reason. Symbolic links are followed: a raw folder that links day files from
 * elsewhere (a download folder, a mounted bucket) is read as if they were there, since reduce only
 * reads them. A link that leads nowhere, or to a folder, is listed as skipped.
 */
export function listRawLogFiles(folder: string): {
  files: RawLogFile[];
  skipped: { file: string; reason: string }[];
} {
  const files: RawLogFile[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.name.endsWith(".log") || !(entry.isFile() || entry.isSymbolicLink())) continue;
    const full = path.join(entry.parentPath, entry.name);
    const relativePath = path.relative(folder, full).split(path.sep).join("/");
    if (entry.isFile()) {
      const stat = fs.statSync(full);
      files.push({ relativePath, size: stat.size, mtimeMs: stat.mtimeMs });
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch (error) {
      skipped.push({
        file: relativePath,
        reason: `a symbolic link that leads nowhere (${(error as Error).message})`,
      });
      continue;
    }
    if (stat.isFile()) files.push({ relativePath, size: stat.size, mtimeMs: stat.mtimeMs });
    else skipped.push({ file: relativePath, reason: "a symbolic link to something that is not a file" });
  }
  files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
  return { files, skipped };
}
