import * as fs from "node:fs";
import * as path from "node:path";
import { tempPathFor } from "../io/atomic-file.js";
import { gunzipFile, isGzipFile } from "../io/gzip.js";
import { notAFile, walkFolder } from "../io/walk-folder.js";
import type { LogObject, LogObjectSource, ObjectListing } from "./log-objects.js";
import { deliveryTimeOf } from "./object-names.js";

/** A local folder of log objects as AWS names them, in either layout (a copy of the logging bucket). */
export class LocalObjectFolder implements LogObjectSource {
  readonly description: string;

  constructor(private readonly folder: string) {
    this.description = folder;
  }

  async list(): Promise<ObjectListing> {
    const objects: LogObject[] = [];
    const skipped: { file: string; reason: string }[] = [];
    // A file reached twice (a link to another object of the folder, a hard link) is read once.
    const seen = new Map<string, string>();
    for (const entry of walkFolder(this.folder)) {
      if (entry.name.startsWith(".") || (entry.kind === "directory" && !entry.undecodable)) continue;
      const key = entry.relativePath;
      let stat: fs.Stats | null = null;
      if (!entry.undecodable)
        try {
          stat = fs.statSync(entry.path);
        } catch {}
      const delivered = deliveryTimeOf(key);
      if (stat === null || !stat.isFile()) skipped.push({ file: key, reason: notAFile(entry, stat) });
      else if (delivered === null)
        skipped.push({ file: key, reason: "not named like a log object (YYYY-MM-DD-HH-MM-SS-UNIQUESTRING)" });
      else {
        const identity = `${stat.dev}:${stat.ino}`;
        const first = seen.get(identity);
        if (first !== undefined) skipped.push({ file: key, reason: `the same file as ${first}, read once` });
        else {
          seen.set(identity, key);
          objects.push({ key, size: stat.size, etag: "-", delivered });
        }
      }
    }
    objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { objects, skipped, leftOutBefore: null };
  }

  /** The objects' own files; a gzip-compressed one decompressed into `scratchFolder` first. */
  async fetch(
    objects: readonly LogObject[],
    scratchFolder: string,
    signal?: AbortSignal,
  ): Promise<{ paths: string[]; release: () => void }> {
    const made: string[] = [];
    const release = () => {
      for (const file of made) fs.rmSync(file, { force: true });
    };
    try {
      const paths: string[] = [];
      for (const [i, object] of objects.entries()) {
        const file = path.join(this.folder, object.key);
        if (!isGzipFile(file)) {
          paths.push(file);
          continue;
        }
        fs.mkdirSync(scratchFolder, { recursive: true });
        const plain = tempPathFor(path.join(scratchFolder, `object-${i}-plain`));
        made.push(plain);
        await gunzipFile(file, plain, file, signal);
        paths.push(plain);
      }
      return { paths, release };
    } catch (error) {
      release();
      throw error;
    }
  }
}

/** Whether a local raw folder holds log objects as AWS names them (rather than YYYY/MM/DD.log day files). */
export function holdsLogObjects(folder: string): boolean {
  for (const entry of walkFolder(folder))
    if (entry.kind !== "directory" && deliveryTimeOf(entry.name) !== null) return true;
  return false;
}
