import * as fs from "node:fs";
import * as path from "node:path";

/** What an entry of a folder is, as its directory entry says (a link is not followed). */
export type EntryKind = "file" | "directory" | "symlink" | "fifo" | "socket" | "device";

export interface WalkedEntry {
  /** Its path below the walked folder, `/`-separated; bytes that are not UTF-8 shown as U+FFFD. */
  relativePath: string;
  /** Its own name, decoded the same way. */
  name: string;
  /** Its full path; opens it only when `undecodable` is false. */
  path: string;
  kind: EntryKind;
  /** Its name is not valid UTF-8: no path this program can spell reaches it. */
  undecodable: boolean;
}

/**
 * Every entry below `folder`, depth first. Node's recursive readdir decodes names as UTF-8 and then
 * cannot open a folder whose name is not (it throws ENOENT on a name it made itself), and calls
 * such a file's replacement name a file that does not exist; here names are read as bytes, and an
 * entry whose name does not decode is listed as such, a folder of that kind without its contents.
 */
export function walkFolder(folder: string): WalkedEntry[] {
  const entries: WalkedEntry[] = [];
  const walk = (dir: string, relative: string) => {
    for (const dirent of fs.readdirSync(dir, { withFileTypes: true, encoding: "buffer" })) {
      const bytes = dirent.name as unknown as Buffer;
      const name = bytes.toString("utf8");
      const undecodable = !Buffer.from(name, "utf8").equals(bytes);
      const full = path.join(dir, name);
      const relativePath = relative === "" ? name : `${relative}/${name}`;
      const kind = kindOf(dirent);
      entries.push({ relativePath, name, path: full, kind, undecodable });
      if (kind === "directory" && !undecodable) walk(full, relativePath);
    }
  };
  walk(folder, "");
  return entries;
}

function kindOf(dirent: fs.Dirent<Buffer>): EntryKind {
  if (dirent.isFile()) return "file";
  if (dirent.isDirectory()) return "directory";
  if (dirent.isSymbolicLink()) return "symlink";
  if (dirent.isFIFO()) return "fifo";
  if (dirent.isSocket()) return "socket";
  return "device";
}

/** Why an entry that is not a regular file (nor a link to one) cannot be read as one, in words. */
export function notAFile(entry: WalkedEntry, target?: fs.Stats | null): string {
  if (entry.undecodable) return "its name is not valid UTF-8 (shown with \uFFFD); rename it to read it";
  if (entry.kind === "symlink") {
    if (target === null || target === undefined) return "a symbolic link that leads nowhere";
    return `a symbolic link to ${describeStats(target)}, not to a file`;
  }
  if (entry.kind === "fifo")
    return "a FIFO (named pipe), not a file: it is never opened, it could block the run";
  if (entry.kind === "socket") return "a socket, not a file";
  if (entry.kind === "device") return "a device, not a file";
  return entry.kind === "directory" ? "a folder" : "not a file";
}

function describeStats(stat: fs.Stats): string {
  if (stat.isDirectory()) return "a folder";
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isSocket()) return "a socket";
  return "a device";
}
