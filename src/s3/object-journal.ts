import * as path from "node:path";
import { RunError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";

/**
 * The journal of a reduced folder made from log objects, `<reduced>/.reduced_objects`: the objects
 * reduced (key, size, ETag), the units written from them (`YYYY/MM/DD.tsv`, `YYYY/MM/DD_0002.tsv`)
 * and the rows held for days not settled yet (`.pending_days/YYYY/MM/DD_0001.tsv`). Replacing it
 * atomically commits a run: a unit or pending file it does not list was left by a run that was
 * killed before its commit, and is removed, and that run's objects are read again.
 *
 * Objects delivered before `readBefore` (a `before` line) were all read and are no longer listed
 * one by one: a logging bucket gains thousands of objects a day, and a journal of all of them,
 * read and rewritten by every run, grew with the history (see reduce-objects.ts). Journals of
 * earlier versions have no such line and list every object; they are read as they are.
 */
export const OBJECT_JOURNAL_NAME = ".reduced_objects";
export const PENDING_FOLDER = ".pending_days";
const HEADER = "kind\tname\tsize\tetag";
const LAYOUTS = ["flat", "dated", "nested"] as const;
/**
 * How the keys read so far lie below the prefix: `flat`, names right below it (SimplePrefix);
 * `dated`, in folders of their delivery day (PartitionedPrefix by delivery time); `nested`, any
 * other way, or a mix. See window-listing.ts.
 */
export type KeyLayout = (typeof LAYOUTS)[number];

export interface ObjectJournal {
  objects: Map<string, { size: number; etag: string }>;
  /** Units written, relative to the reduced folder. */
  units: Set<string>;
  /** Held rows of days not settled, relative to the pending folder, in the order they were read. */
  pending: string[];
  /**
   * Every object delivered before this time (ms since the epoch) was read, and is not in `objects`;
   * null in a journal that lists every object it read.
   */
  readBefore: number | null;
  /** How the keys read so far are laid out below the prefix (null: no object read yet, or an older journal). */
  layout: KeyLayout | null;
  /** Objects delivered before `readBefore` when it was last moved, as far as the listings showed. */
  readBeforeCount: number;
}

export function emptyObjectJournal(): ObjectJournal {
  return {
    objects: new Map(),
    units: new Set(),
    pending: [],
    readBefore: null,
    layout: null,
    readBeforeCount: 0,
  };
}

export function objectJournalPath(reducedFolder: string): string {
  return path.join(reducedFolder, OBJECT_JOURNAL_NAME);
}

/** The journal, or null when the folder has none (not made from log objects, or new). */
export function readObjectJournal(reducedFolder: string): ObjectJournal | null {
  const file = objectJournalPath(reducedFolder);
  const text = readTextIfExists(file);
  if (text === null) return null;
  const lines = text.split("\n");
  const corrupt = (line: number) =>
    new RunError(
      `${file} line ${line} is not \`kind name size etag\`; it lists the log objects already reduced: restore it, or reduce into a new folder`,
    );
  if (lines[0] !== HEADER) throw corrupt(1);
  const journal = emptyObjectJournal();
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const [kind, name, size, etag, ...rest] = lines[i].split("\t");
    if (rest.length > 0 || !name || etag === undefined) throw corrupt(i + 1);
    if (kind === "object") {
      if (!/^\d+$/.test(size)) throw corrupt(i + 1);
      journal.objects.set(decodeURIComponent(name), { size: Number(size), etag });
    } else if (kind === "unit") journal.units.add(name);
    else if (kind === "pending") journal.pending.push(name);
    else if (kind === "before") {
      const time = Date.parse(name);
      const layout = LAYOUTS.find((known) => known === size);
      if (Number.isNaN(time) || layout === undefined || !/^\d+$/.test(etag)) throw corrupt(i + 1);
      journal.readBefore = time;
      journal.layout = layout;
      journal.readBeforeCount = Number(etag);
    } else throw corrupt(i + 1);
  }
  return journal;
}

export function writeObjectJournal(reducedFolder: string, journal: ObjectJournal): void {
  const lines = [HEADER];
  if (journal.readBefore !== null)
    lines.push(
      `before\t${new Date(journal.readBefore).toISOString()}\t${journal.layout ?? "nested"}\t${journal.readBeforeCount}`,
    );
  for (const [key, { size, etag }] of [...journal.objects].sort(([a], [b]) => (a < b ? -1 : 1)))
    lines.push(`object\t${encodeKey(key)}\t${size}\t${etag}`);
  for (const unit of [...journal.units].sort()) lines.push(`unit\t${unit}\t-\t-`);
  for (const pending of journal.pending) lines.push(`pending\t${pending}\t-\t-`);
  writeFileAtomic(objectJournalPath(reducedFolder), `${lines.join("\n")}\n`);
}

/** Keys may hold tabs or newlines: those, and `%`, are percent-encoded so each key stays in its field. */
function encodeKey(key: string): string {
  return key.replace(/[%\t\n\r]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}
