import * as fs from "node:fs";
import * as path from "node:path";
import { readAt, writeAll } from "../bin/fs-util.js";
import { RunError } from "../errors.js";
import { MAPPED_HEADER } from "../formats/mapped-folder.js";
import { errorTextOf } from "../io/error-log.js";
import { openNoFollow, UPDATE_NO_FOLLOW } from "../io/no-follow.js";
import type { RequesterHasher } from "../summaries/requesters.js";
import type { AddressColumns } from "./address-columns.js";
import { binnedPathOf, type ObjectKey } from "./binned-objects.js";
import { type BinnedBytes, readBinned } from "./binned-window.js";
import { type MappedTable, mapBinnedRows } from "./map-binned-table.js";
import { STATE_FOLDER } from "./map-state.js";
import { tallyMappedRows } from "./row-kinds.js";
import type { Tally } from "./tally.js";
import type { FolderMaker, UndoRecorder } from "./undo-log.js";

const NEWLINE = 0x0a;
const MAPPED_HEADER_BYTES = Buffer.from(MAPPED_HEADER);
/** The end of a mapped table read first when looking for its last rows: most appends need one row. */
const FIRST_TAIL_READ_BYTES = 4 * 1024;

/** What changed in one binned object since the last run, as bin's change lists tell it. */
export interface PendingObject {
  object: ObjectKey;
  /** The first byte of the binned file that may differ from what was mapped. */
  from: number;
  /** Rows added since; the rows past `from` that are not new were mapped already and are replaced. */
  rowsAdded: number;
  /** Made since the last run (or everything is mapped anew): every row is new. */
  created: boolean;
  /** Known to have no mapped table yet (a rebuild), so none is looked for. */
  unmapped?: boolean;
}

/** The change to an object's activity, and where its mapped table stands after the run. */
export interface ObjectDelta {
  rows: number;
  bytes: bigint;
  byDay: Tally;
  byRegion: Tally;
  /** Rows the mapped table had before the run, and has now. */
  rowsBefore: number;
  rowsAfter: number;
  /** Rows read from the binned file. */
  rowsRead: number;
  /** The keyed hashes of the addresses of the rows read, sorted: the object's requesters only grow. */
  requesters: BigUint64Array;
}

/**
 * Where an object's mapped table is kept: `objects/blobs/ab/<uuid>.tsv`. Two levels rather than
 * bin's three: 256 folders hold a quarter of a million objects at about a thousand files each, and
 * a first run makes 256 folders instead of thousands (a folder costs about as much as a file).
 */
export function mappedObjectPath(object: ObjectKey): string {
  const colon = object.indexOf(":");
  const id = object.slice(colon + 1);
  return `${STATE_FOLDER}/objects/${object.slice(0, colon)}/${id.slice(0, 2)}/${id}.tsv`;
}

/** Where the kinds of an object's mapped rows are kept (see `ROW_KIND`), beside its mapped table. */
export function rowKindsPath(object: ObjectKey): string {
  return `${mappedObjectPath(object).slice(0, -4)}.kinds`;
}

/**
 * Brings an object's mapped table (`.map_state/objects/…`, which the published asset tables link
 * to) and its rows' kinds up to its binned file: reads the binned bytes from `from` on, replaces the
 * table's rows that came from there (the last `rows past from - rows added` rows) by those bytes
 * mapped, and returns the difference in activity. The rows of the 8 hours before `from` are read
 * too, for the views they leave open. The table is changed in place, after its undo record;
 * `reuse` names published tables whose content may already be the result (a rebuild of an older
 * folder): one that matches becomes the mapped object as it is, so its file stays untouched.
 */
export function updateMappedObject(
  binnedFolder: string,
  mappedFolder: string,
  pending: PendingObject,
  columns: AddressColumns,
  undo: UndoRecorder,
  onMalformed: (line: number, reason: string, text: string) => void,
  folders: FolderMaker,
  hasher: RequesterHasher,
  reuse: readonly string[] = [],
): ObjectDelta {
  const binned = readBinned(path.join(binnedFolder, binnedPathOf(pending.object)), pending);
  const relative = mappedObjectPath(pending.object);
  const file = path.join(mappedFolder, relative);
  const kindsRelative = rowKindsPath(pending.object);
  let fd: number | null = null;
  try {
    if (!pending.unmapped) fd = openNoFollow(file, UPDATE_NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  let old: ReplacedRows | null = null;
  try {
    old =
      fd === null ? null : replacedRows(fd, file, pending, binned, path.join(mappedFolder, kindsRelative));
    const kept = old === null ? 0 : old.rowsBefore - old.replaced;
    const addresses = new Set<string>();
    // Line numbers past `from` are counted from the rows before it (exact unless rows were malformed).
    const mapped = mapBinnedRows(
      binned.buf,
      binned.start,
      kept,
      columns,
      (line, reason, lineStart, lineEnd) =>
        onMalformed(line, reason, errorTextOf(binned.buf, lineStart, lineEnd)),
      pending.created ? 2 : kept + 2,
      addresses,
      binned.countFrom,
    );
    if (fd === null && mapped.rows > 0)
      createMappedObject(file, relative, kindsRelative, mappedFolder, mapped, undo, folders, reuse);
    if (fd !== null && old !== null) {
      undo.extended(relative, old.size, old.tailStart, old.tail);
      undo.extended(kindsRelative, old.rowsBefore, kept, old.kindsTail);
      undo.flush();
      writeAll(fd, mapped.table, 0, mapped.table.length, old.tailStart);
      fs.ftruncateSync(fd, old.tailStart + mapped.table.length);
      writeAll(old.kindsFd, mapped.kinds, 0, mapped.kinds.length, kept);
      fs.ftruncateSync(old.kindsFd, kept + mapped.rows);
    }
    const before = old === null ? null : tallyMappedRows(old.tail, 0, old.tail.length, old.kindsTail);
    if (before !== null) {
      mapped.byDay.addAll(before.byDay, -1);
      mapped.byRegion.addAll(before.byRegion, -1);
    }
    return {
      rows: mapped.rows - (before?.rows ?? 0),
      bytes: BigInt(mapped.bytes) - BigInt(before?.bytes ?? 0),
      byDay: mapped.byDay,
      byRegion: mapped.byRegion,
      rowsBefore: old?.rowsBefore ?? 0,
      rowsAfter: kept + mapped.rows,
      rowsRead: mapped.rows,
      requesters: hasher.hashAll(addresses),
    };
  } finally {
    if (fd !== null) fs.closeSync(fd);
    if (old !== null) fs.closeSync(old.kindsFd);
  }
}

/** The rows of a mapped table (and their kinds) that this run maps again, read before they are replaced. */
interface ReplacedRows {
  size: number;
  rowsBefore: number;
  replaced: number;
  tailStart: number;
  tail: Buffer;
  kindsFd: number;
  kindsTail: Buffer;
}

/**
 * Every row of a file made anew is new; otherwise the rows past `from` are the new ones and the old
 * ones they were merged with, which the table holds as its last rows (counted only when needed).
 */
function replacedRows(
  fd: number,
  file: string,
  pending: PendingObject,
  binned: BinnedBytes,
  kindsFile: string,
): ReplacedRows {
  const size = fs.fstatSync(fd).size;
  const rowsBefore = lastIndexOf(fd, size, file) + 1;
  const replaced = pending.created ? rowsBefore : countRows(binned.buf, binned.countFrom) - pending.rowsAdded;
  if (replaced < 0 || replaced > rowsBefore) {
    throw new RunError(
      `${file} holds ${rowsBefore} rows, which does not fit the ${pending.rowsAdded} rows bin added to ` +
        `${binnedPathOf(pending.object)}; the mapped folder is out of step with the binned folder: map it again from scratch (the rebuild option, --rebuild)`,
    );
  }
  const kindsFd = openKinds(kindsFile, rowsBefore);
  const tailStart = startOfLastRows(fd, size, replaced, file);
  return {
    size,
    rowsBefore,
    replaced,
    tailStart,
    tail: readRange(fd, tailStart, size),
    kindsFd,
    kindsTail: readRange(kindsFd, rowsBefore - replaced, rowsBefore),
  };
}

/** A new mapped object: its table (or a published table that already holds it) and its rows' kinds. */
function createMappedObject(
  file: string,
  relative: string,
  kindsRelative: string,
  mappedFolder: string,
  mapped: MappedTable,
  undo: UndoRecorder,
  folders: FolderMaker,
  reuse: readonly string[],
): void {
  const content = [MAPPED_HEADER_BYTES, mapped.table];
  // A file in a folder this run made needs no record of its own: undoing removes the folder.
  if (!folders.make(path.dirname(relative))) {
    undo.created(relative);
    undo.created(kindsRelative);
    undo.flush();
  }
  const same = reuse.find((candidate) => sameContent(candidate, content));
  if (same !== undefined) fs.linkSync(same, file);
  else writeNew(file, content);
  writeNew(path.join(mappedFolder, kindsRelative), [mapped.kinds]);
}

/** Opens the kinds of a mapped object's rows, which must be one byte for each of its `rows` rows. */
function openKinds(file: string, rows: number): number {
  let fd: number;
  try {
    fd = openNoFollow(file, UPDATE_NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new RunError(`${file} is missing; map again from scratch (the rebuild option, --rebuild)`);
  }
  const size = fs.fstatSync(fd).size;
  if (size !== rows) {
    fs.closeSync(fd);
    throw new RunError(
      `${file} holds ${size} rows' kinds for a table of ${rows} rows; map again from scratch (the rebuild option, --rebuild)`,
    );
  }
  return fd;
}

function readRange(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(0, end - start));
  const n = readAt(fd, buf, 0, buf.length, start);
  return n === buf.length ? buf : buf.subarray(0, n);
}

/** Non-empty lines from `start`: bin writes one row a line. */
function countRows(buf: Buffer, start: number): number {
  let rows = 0;
  let position = start;
  while (position < buf.length) {
    let end = buf.indexOf(NEWLINE, position);
    if (end === -1) end = buf.length;
    if (end > position && !(end === position + 1 && buf[position] === 0x0d)) rows++;
    position = end + 1;
  }
  return rows;
}

/** The index (first column) of the table's last row, -1 when it has none. */
function lastIndexOf(fd: number, size: number, file: string): number {
  if (size <= MAPPED_HEADER_BYTES.length) return -1;
  const start = startOfLastRows(fd, size, 1, file);
  const line = readRange(fd, start, Math.min(size, start + 32)).toString("latin1");
  const index = Number(line.slice(0, line.indexOf("\t")));
  if (!Number.isSafeInteger(index) || index < 0)
    throw new RunError(
      `${file} does not end with a mapped row; map it again from scratch (the rebuild option, --rebuild)`,
    );
  return index;
}

/** The byte where the last `count` rows of a mapped table start, read backwards from its end. */
function startOfLastRows(fd: number, size: number, count: number, file: string): number {
  if (count === 0) return size;
  let chunk = tailScratch;
  let wanted = FIRST_TAIL_READ_BYTES;
  let found = 0;
  let end = size - 1; // the last row's newline is its end, not a row start
  while (end > 0) {
    // Small first, then larger reads: an append needs only the last row.
    if (wanted > chunk.length) chunk = tailScratch = Buffer.allocUnsafe(wanted);
    const start = Math.max(0, end - wanted);
    wanted = Math.min(wanted * 4, 1 << 20);
    readAt(fd, chunk, 0, end - start, start);
    for (let i = end - start - 1; i >= 0; i--) {
      if (chunk[i] === NEWLINE && ++found === count) {
        const rowStart = start + i + 1;
        if (rowStart < MAPPED_HEADER_BYTES.length) break;
        return rowStart;
      }
    }
    end = start;
  }
  throw new RunError(
    `${file} holds fewer than ${count} rows; map it again from scratch (the rebuild option, --rebuild)`,
  );
}

let tailScratch = Buffer.allocUnsafe(FIRST_TAIL_READ_BYTES);

/** Whether `file` holds exactly the parts of `content`, one after the other. */
function sameContent(file: string, content: readonly Buffer[]): boolean {
  try {
    const size = content.reduce((sum, part) => sum + part.length, 0);
    if (fs.statSync(file).size !== size) return false;
    const data = fs.readFileSync(file);
    let at = 0;
    for (const part of content) {
      if (!data.subarray(at, at + part.length).equals(part)) return false;
      at += part.length;
    }
    return at === data.length;
  } catch {
    return false;
  }
}

/** Writes the parts of a new file; exclusive, so it fails on anything already there, a symbolic link included. */
function writeNew(file: string, content: readonly Buffer[]): void {
  const fd = fs.openSync(file, "wx");
  try {
    let at = 0;
    for (const part of content) {
      writeAll(fd, part, 0, part.length, at);
      at += part.length;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The keyed hashes of every address of an object's binned file: a Dandiset made again needs its
 * objects' requesters, which the mapped tables (regions only) no longer hold. The rows go through
 * the same reading as when mapped, so an address is read in one place only.
 */
export function requestersOfBinned(
  binnedFolder: string,
  object: ObjectKey,
  columns: AddressColumns,
  hasher: RequesterHasher,
): BigUint64Array {
  const binned = readBinned(path.join(binnedFolder, binnedPathOf(object)), {
    object,
    from: 0,
    rowsAdded: 0,
    created: true,
  });
  const addresses = new Set<string>();
  mapBinnedRows(binned.buf, binned.start, 0, columns, () => {}, 2, addresses);
  return hasher.hashAll(addresses);
}
