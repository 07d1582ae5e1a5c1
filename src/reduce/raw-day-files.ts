import * as fs from "node:fs";
import { notAFile, walkFolder } from "../io/walk-folder.js";

/** A `.log` (or `.log.gz`) file of the raw folder, by its `/`-separated path under it. */
export interface RawLogFile {
  relativePath: string;
  size: number;
  mtimeMs: number;
}

/** A raw day file's name: `DD.log`, or `DD.log.gz` for one kept compressed. */
export const RAW_LOG_NAME = /\.log(\.gz)?$/;

/**
 * The `.log` and `.log.gz` files below `folder`, sorted by path, and the entries of those names
 * that cannot be read as files, with the reason. Symbolic links are followed: a raw folder that
 * links day files from elsewhere (a download folder, a mounted bucket) is read as if they were
 * there, since reduce only reads them. A link that leads nowhere or to something else, a FIFO (never
 * opened: it would block), and a name that is not valid UTF-8 are listed as skipped.
 */
export function listRawLogFiles(folder: string): {
  files: RawLogFile[];
  skipped: { file: string; reason: string }[];
} {
  const files: RawLogFile[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const entry of walkFolder(folder)) {
    if (entry.undecodable) {
      // Its name cannot be spelled, so whether it is a day file cannot be known: said, not guessed.
      if (entry.kind === "directory" || /\.log(\.gz)?$/.test(entry.name))
        skipped.push({ file: entry.relativePath, reason: notAFile(entry) });
      continue;
    }
    if (!RAW_LOG_NAME.test(entry.name) || entry.kind === "directory") continue;
    let stat: fs.Stats | null = null;
    try {
      stat = entry.kind === "fifo" ? null : fs.statSync(entry.path);
    } catch {}
    if (stat?.isFile())
      files.push({ relativePath: entry.relativePath, size: stat.size, mtimeMs: stat.mtimeMs });
    else skipped.push({ file: entry.relativePath, reason: notAFile(entry, stat) });
  }
  files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
  // A day kept both plain and compressed would be reduced twice into one day.
  const plain = new Set(files.map((file) => file.relativePath));
  return {
    files: files.filter((file) => {
      const twin = file.relativePath.endsWith(".gz") && plain.has(file.relativePath.slice(0, -".gz".length));
      if (twin)
        skipped.push({
          file: file.relativePath,
          reason: `${file.relativePath.slice(0, -".gz".length)} is there too, the same day: keep one of them`,
        });
      return !twin;
    }),
    skipped,
  };
}
