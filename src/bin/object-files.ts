import * as fs from "node:fs";
import * as path from "node:path";
import { binnedRelativePath } from "../dandi/object-key.js";
import { RunError } from "../errors.js";
import { copyBytes, viewOf } from "../io/copy-bytes.js";
import { openNoFollow, UPDATE_NO_FOLLOW } from "../io/no-follow.js";
import { BINNED_HEADER, BINNED_STATUS_HEADER } from "../io/table-headers.js";
import type { ObjectChange } from "./change-feed.js";
import { checkpoint } from "./checkpoint.js";
import { readAt, writeAll } from "./fs-util.js";
import type { ObjectFolders } from "./object-folders.js";
import type { ObjectSizes } from "./object-sizes.js";
import type { ArrangedRows, RowStore } from "./row-store.js";
import type { TieOrder } from "./tie-order.js";
import { TIMESTAMP_LENGTH, timestampAt } from "./timestamp.js";
import type { UndoLogWriter } from "./undo-log.js";

export { BINNED_HEADER, BINNED_STATUS_HEADER };

const NEWLINE = 0x0a;
/** The end of an object file read first to find where new rows go: most files fit whole. */
const FIRST_TAIL_READ_BYTES = 16 * 1024;
/** Objects whose undo records are written with one call, their files kept open meanwhile. */
const GROUP_OBJECTS = 128;
const GROUP_UNDO_BYTES = 4 * 1024 * 1024;

export interface ObjectFilesContext {
  binnedFolder: string;
  store: RowStore;
  rows: ArrangedRows;
  undo: UndoLogWriter;
  tie: TieOrder;
  /** The latest timestamp of any committed day (-1 for none): no object file holds a later row. */
  committedLast: number;
  folders: ObjectFolders;
  /** The size each object file was left at, checked before one is added to. */
  sizes: ObjectSizes;
  /** Reused by every object: reading ends of files, and gathering merged output. */
  scratch: Buffer;
  out: Buffer;
}

interface Plan {
  object: number;
  relativePath: string;
  fullPath: string;
  /** Open file (r+) of an existing object; -1 until a new one is created. */
  fd: number;
  /** Size before the batch, -1 for a new object. */
  size: number;
  /** Where the first new row goes: everything before stays as it is. */
  from: number;
  /** The old bytes `[from, size)` when short enough to hold; otherwise read back from the undo log. */
  tail: Buffer | null;
  tailInUndoLog: number;
}

/**
 * Merges the pass's rows into their object files: appends, in the usual case where every new row is
 * later than the file's last; otherwise rewrites from the first row that must follow a new one.
 * Files are changed in place, never replaced: replacing thousands of files is slow on common file
 * systems (each rename frees an inode), while appending costs a write. Each change is preceded by
 * its undo record (see undo-log.ts), written for a group of objects at once.
 */
export async function writeObjectFiles(
  context: ObjectFilesContext,
  onProgress: (objectsDone: number, objectsTotal: number) => void,
  signal: AbortSignal | undefined,
): Promise<{ written: number; created: number; changes: ObjectChange[] }> {
  const { store, undo } = context;
  const keys = store.keys;
  const { groupStart } = context.rows;
  // Objects are found before their rows are checked: one whose every row was rejected has none.
  const ids = Array.from(keys.keys())
    .filter((id) => groupStart[id + 1] > groupStart[id])
    .sort((a, b) => (keys[a] < keys[b] ? -1 : 1));
  context.folders.startPass(context.binnedFolder);
  const out = new OutputWriter(context.out);
  let group: Plan[] = [];
  let written = 0;
  let created = 0;
  const changes: ObjectChange[] = [];
  const runGroup = () => {
    undo.flush();
    for (const plan of group) {
      writePlan(context, plan, out);
      written++;
      if (plan.size === -1) created++;
      changes.push({
        relativePath: plan.relativePath,
        sizeBefore: plan.size,
        from: plan.size === -1 ? context.rows.headerLength : plan.from,
        rowsAdded: groupStart[plan.object + 1] - groupStart[plan.object],
      });
    }
    group = [];
  };
  try {
    for (const id of ids) {
      const plan = planObject(context, id);
      if (plan.size === -1) {
        undo.created(plan.relativePath);
      } else if (plan.tail !== null || plan.from === plan.size) {
        undo.extended(plan.relativePath, plan.size, plan.from, plan.tail);
      } else {
        runGroup();
        plan.tailInUndoLog = undo.extendedFromFile(
          plan.relativePath,
          plan.size,
          plan.from,
          plan.fd,
          context.scratch,
        );
      }
      group.push(plan);
      if (group.length >= GROUP_OBJECTS || undo.pendingBytes >= GROUP_UNDO_BYTES || plan.tailInUndoLog >= 0) {
        runGroup();
        onProgress(written, ids.length);
        await checkpoint(signal);
      }
    }
    runGroup();
    onProgress(written, ids.length);
  } finally {
    for (const plan of group) if (plan.fd !== -1) fs.closeSync(plan.fd);
  }
  return { written, created, changes };
}

function planObject(context: ObjectFilesContext, object: number): Plan {
  const relativePath = binnedRelativePath(context.store.keys[object]);
  const fullPath = `${context.binnedFolder}${path.sep}${relativePath}`;
  const plan: Plan = {
    object,
    relativePath,
    fullPath,
    fd: -1,
    size: -1,
    from: 0,
    tail: null,
    tailInUndoLog: -1,
  };
  // Opened first and asked its size after: one path lookup instead of two (stat, then open), which
  // measured 25 ms down to 21 ms for 3,000 files.
  if (!context.folders.mayHold(relativePath)) {
    context.sizes.check(relativePath, -1);
    return plan;
  }
  try {
    plan.fd = openNoFollow(fullPath, UPDATE_NO_FOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      context.sizes.check(relativePath, -1);
      return plan;
    }
    if (code === "EISDIR") throw notBinned(fullPath, "is not a file");
    throw error;
  }
  try {
    context.folders.checkFolderOf(context.binnedFolder, relativePath);
    const stat = fs.fstatSync(plan.fd);
    if (!stat.isFile()) throw notBinned(fullPath, "is not a file");
    plan.size = stat.size;
    context.sizes.check(relativePath, plan.size);
    if (plan.size < context.rows.headerLength) throw notBinned(fullPath, "is shorter than its header");
    // The daily case: the object's first new row is later than every committed row, so the new
    // rows go at the end and the file's end need not be read (1,650 of 3,000 files on the bench's
    // busy day, whose other objects have rows stamped in the day before: about 15 ms).
    const rows = context.rows;
    if (context.store.timestamp[rows.order[rows.groupStart[object]]] > context.committedLast)
      plan.from = plan.size;
    else findRewritePoint(context, plan);
  } catch (error) {
    fs.closeSync(plan.fd);
    throw error;
  }
  return plan;
}

/** Scans the file backwards from its end to the last row that stays before the object's first new row. */
function findRewritePoint(context: ObjectFilesContext, plan: Plan): void {
  const { store, scratch, tie } = context;
  const { fd, size, fullPath } = plan;
  const header = context.rows.header;
  const firstRow = context.rows.order[context.rows.groupStart[plan.object]];
  const timestamp = store.timestamp[firstRow];
  const day = store.day[firstRow];

  const firstStart = Math.max(0, size - FIRST_TAIL_READ_BYTES);
  let chunkStart = firstStart;
  readChunk(fd, scratch, chunkStart, size, fullPath);
  if (scratch[size - 1 - chunkStart] !== NEWLINE) throw notBinned(fullPath, "does not end with a newline");
  if (chunkStart === 0) checkHeader(scratch, header, fullPath);
  let lineEnd = size;
  let reread = false;
  while (lineEnd > header.length) {
    const searchFrom = lineEnd - 2 - chunkStart;
    const newline = searchFrom >= 0 ? scratch.lastIndexOf(NEWLINE, searchFrom) : -1;
    if (newline === -1) {
      if (chunkStart === 0 || reread)
        throw notBinned(fullPath, `has a line longer than ${scratch.length} bytes`);
      chunkStart = Math.max(0, lineEnd - scratch.length);
      readChunk(fd, scratch, chunkStart, lineEnd, fullPath);
      if (chunkStart === 0) checkHeader(scratch, header, fullPath);
      reread = true;
      continue;
    }
    reread = false;
    const lineStart = chunkStart + newline + 1;
    const existing = lineEnd - lineStart > TIMESTAMP_LENGTH ? timestampAt(scratch, newline + 1) : -1;
    if (existing < 0) throw notBinned(fullPath, `has a line at byte ${lineStart} that is not a binned row`);
    if (!(timestamp < existing || (timestamp === existing && tie.newFirst(timestamp, day)))) break;
    lineEnd = lineStart;
  }
  plan.from = lineEnd;
  // The tail is still in the first chunk read unless the scan had to read further back.
  if (lineEnd < size && lineEnd >= firstStart && chunkStart === firstStart)
    plan.tail = Buffer.from(scratch.subarray(lineEnd - firstStart, size - firstStart));
}

function readChunk(fd: number, scratch: Buffer, start: number, end: number, file: string): void {
  if (readAt(fd, scratch, 0, end - start, start) !== end - start)
    throw new RunError(`${file} shrank while being binned; is another program writing it?`);
}

/** The header of the folder's format: an object file of the other format was not binned here. */
function checkHeader(scratch: Buffer, header: Buffer, file: string): void {
  if (scratch.compare(header, 0, header.length, 0, header.length) !== 0)
    throw notBinned(
      file,
      `does not start with the header "${header.toString("latin1").trim().replaceAll("\t", "\\t")}" of the folder's other binned files`,
    );
}

function notBinned(file: string, what: string): RunError {
  return new RunError(`${file} ${what}, so it is not a binned table; restore it, or bin into a new folder`);
}

function writePlan(context: ObjectFilesContext, plan: Plan, out: OutputWriter): void {
  const rows = context.rows;
  const headerStart = rows.objectStart[plan.object];
  const rowsStart = headerStart + rows.headerLength;
  const end = rows.objectStart[plan.object + 1];
  if (plan.size === -1) {
    context.folders.make(context.binnedFolder, plan.relativePath);
    // Exclusive: fails on anything already there, a symbolic link included.
    plan.fd = fs.openSync(plan.fullPath, "wx");
    writeAll(plan.fd, rows.bytes, headerStart, end - headerStart, 0);
    context.sizes.wrote(plan.relativePath, end - headerStart);
  } else if (plan.from === plan.size) {
    writeAll(plan.fd, rows.bytes, rowsStart, end - rowsStart, plan.size);
    context.sizes.wrote(plan.relativePath, plan.size + end - rowsStart);
  } else {
    out.begin(plan.fd, plan.from);
    mergeWithTail(context, plan, out, rowsStart);
    out.flush();
    context.sizes.wrote(plan.relativePath, out.end);
  }
  fs.closeSync(plan.fd);
  plan.fd = -1;
}

function mergeWithTail(context: ObjectFilesContext, plan: Plan, out: OutputWriter, rowsStart: number): void {
  const { store, tie, rows } = context;
  const { order, groupStart, view } = rows;
  const tail =
    plan.tail !== null
      ? new TailLines(plan.tail, -1, 0, 0, plan.fullPath)
      : new TailLines(
          context.scratch,
          context.undo.descriptor,
          plan.tailInUndoLog,
          plan.size - plan.from,
          plan.fullPath,
        );
  let hasTail = tail.next();
  let at = rowsStart;
  for (let k = groupStart[plan.object]; k < groupStart[plan.object + 1]; k++) {
    const row = order[k];
    const timestamp = store.timestamp[row];
    while (
      hasTail &&
      !(
        timestamp < tail.timestamp ||
        (timestamp === tail.timestamp && tie.newFirst(timestamp, store.day[row]))
      )
    ) {
      tail.emit(out);
      hasTail = tail.next();
    }
    const length = store.start[row + 1] - store.start[row];
    out.put(view, at, at + length);
    at += length;
  }
  while (hasTail) {
    tail.emit(out);
    hasTail = tail.next();
  }
}

/** The old rows past the rewrite point, from memory or read back in chunks from the undo log. */
class TailLines {
  timestamp = -1;
  private position = 0;
  private end: number;
  private lineEnd = 0;
  private filePosition: number;
  private readonly fileEnd: number;
  private readonly view: DataView;

  constructor(
    private readonly buf: Buffer,
    private readonly fd: number,
    offset: number,
    length: number,
    private readonly file: string,
  ) {
    this.end = fd === -1 ? buf.length : 0;
    this.view = viewOf(buf);
    this.filePosition = offset;
    this.fileEnd = offset + length;
  }

  /** Moves to the next old row; false when there is none left. */
  next(): boolean {
    this.position = this.lineEnd;
    let newline = this.position < this.end ? this.buf.indexOf(NEWLINE, this.position) : -1;
    if ((newline === -1 || newline >= this.end) && this.fd !== -1 && this.filePosition < this.fileEnd) {
      this.refill();
      newline = this.buf.indexOf(NEWLINE, this.position);
    }
    if (newline === -1 || newline >= this.end) {
      if (this.position < this.end) throw new RunError(`${this.file} has a last row without a newline`);
      return false;
    }
    this.lineEnd = newline + 1;
    this.timestamp = newline - this.position > TIMESTAMP_LENGTH ? timestampAt(this.buf, this.position) : -1;
    if (this.timestamp < 0) throw new RunError(`${this.file} holds a line that is not a binned row`);
    return true;
  }

  emit(out: OutputWriter): void {
    out.put(this.view, this.position, this.lineEnd);
  }

  private refill(): void {
    this.buf.copyWithin(0, this.position, this.end);
    this.end -= this.position;
    this.lineEnd -= this.position;
    this.position = 0;
    const wanted = Math.min(this.buf.length - this.end, this.fileEnd - this.filePosition);
    const n = readAt(this.fd, this.buf, this.end, wanted, this.filePosition);
    if (n < wanted) throw new RunError(`the undo log ended while merging ${this.file}`);
    this.end += n;
    this.filePosition += n;
  }
}

/** Gathers one file's output in a reused buffer and writes it at increasing positions. */
class OutputWriter {
  private fd = -1;
  private position = 0;
  private length = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Buffer) {
    this.view = viewOf(buf);
  }

  begin(fd: number, position: number): void {
    this.fd = fd;
    this.position = position;
    this.length = 0;
  }

  put(src: DataView, start: number, end: number): void {
    const n = end - start;
    if (this.length + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        writeAll(this.fd, new Uint8Array(src.buffer, src.byteOffset + start, n), 0, n, this.position);
        this.position += n;
        return;
      }
    }
    this.length = copyBytes(src, start, end, this.view, this.length);
  }

  /** Where the file ends once flushed. */
  get end(): number {
    return this.position + this.length;
  }

  flush(): void {
    if (this.length === 0) return;
    writeAll(this.fd, this.buf, 0, this.length, this.position);
    this.position += this.length;
    this.length = 0;
  }
}
