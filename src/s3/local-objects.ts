import * as fs from "node:fs";
import * as path from "node:path";
import type { LogObject, LogObjectSource } from "./log-objects.js";
import { deliveryTimeOf } from "./object-names.js";

/** A local folder of log objects as AWS names them, in either layout (a copy of the logging bucket). */
export class LocalObjectFolder implements LogObjectSource {
  readonly description: string;
  readonly readsInPlace = true;

  constructor(private readonly folder: string) {
    this.description = folder;
  }

  async list(): Promise<{ objects: LogObject[]; skipped: { file: string; reason: string }[] }> {
    const objects: LogObject[] = [];
    const skipped: { file: string; reason: string }[] = [];
    for (const entry of fs.readdirSync(this.folder, { withFileTypes: true, recursive: true })) {
      if (entry.isDirectory() || entry.name.startsWith(".")) continue;
      const full = path.join(entry.parentPath, entry.name);
      const key = path.relative(this.folder, full).split(path.sep).join("/");
      const delivered = deliveryTimeOf(key);
      let stat: fs.Stats | null = null;
      try {
        stat = fs.statSync(full);
      } catch {}
      if (stat === null || !stat.isFile())
        skipped.push({ file: key, reason: "a symbolic link that leads to no file" });
      else if (delivered === null)
        skipped.push({ file: key, reason: "not named like a log object (YYYY-MM-DD-HH-MM-SS-UNIQUESTRING)" });
      else objects.push({ key, size: stat.size, etag: "-", delivered });
    }
    objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { objects, skipped };
  }

  async fetch(objects: readonly LogObject[]): Promise<{ paths: string[]; release: () => void }> {
    return { paths: objects.map((o) => path.join(this.folder, o.key)), release: () => {} };
  }
}

/** Whether a local raw folder holds log objects as AWS names them (rather than YYYY/MM/DD.log day files). */
export function holdsLogObjects(folder: string): boolean {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true }))
    if (!entry.isDirectory() && deliveryTimeOf(entry.name) !== null) return true;
  return false;
}
