import * as fs from "node:fs";
import * as path from "node:path";
import { RunError } from "../errors.js";
import { removeEmptyParents } from "../io/folders.js";
import { isObjectFilePath } from "./change-feed.js";
import { readAt, writeAll } from "./fs-util.js";

/**
 * The undo log of the batch in progress, `<binned>/.bin_undo_log`. Before an object file changes,
 * a record of how to put it back is in this file: "delete it" for a file the batch creates, or its
 * old size and the bytes past the point the batch rewrites from, for a file it extends. Frames are
 * `[f64 length][payload]`; a frame cut short by a kill is ignored, which is safe because its object
 * was not touched yet (objects change only after their frame has been written whole).
 */
export const UNDO_LOG_NAME = ".bin_undo_log";

const KIND_HEADER = 0;
const KIND_CREATED = 1;
const KIND_EXTENDED = 2;
const LENGTH_BYTES = 8;
/** kind (1), path length (2), old size (8), rewrite point (8). */
const RECORD_FIXED_BYTES = 1 + 2 + 8 + 8;
const COPY_CHUNK_BYTES = 1 << 20;

export function undoLogPath(binnedFolder: string): string {
  return path.join(binnedFolder, UNDO_LOG_NAME);
}

export class UndoLogWriter {
  private fd: number | null;
  private position = 0;
  /** Records not yet in the file, built in place: one buffer, grown as needed, for the whole batch. */
  private pending = Buffer.allocUnsafe(256 * 1024);
  private pendingLength = 0;

  /** Starts the undo log of a batch of `days`, replacing any older one (already dealt with). */
  constructor(
    binnedFolder: string,
    readonly days: readonly string[],
  ) {
    // Read as well as written: long tails are merged from their copy here.
    this.fd = fs.openSync(undoLogPath(binnedFolder), "w+");
    const header = Buffer.from(JSON.stringify({ days }));
    const frame = Buffer.allocUnsafe(LENGTH_BYTES + 1 + header.length);
    frame.writeDoubleLE(1 + header.length, 0);
    frame[LENGTH_BYTES] = KIND_HEADER;
    header.copy(frame, LENGTH_BYTES + 1);
    this.write(frame, frame.length);
  }

  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** Queues the record of a file the batch creates at `relativePath`. */
  created(relativePath: string): void {
    this.queueHead(KIND_CREATED, relativePath, 0, 0, 0);
  }

  /** Queues the record of a file of `size` bytes rewritten from `from` on; `tail` is its old `[from, size)`. */
  extended(relativePath: string, size: number, from: number, tail: Buffer | null): void {
    const tailLength = tail?.length ?? 0;
    this.queueHead(KIND_EXTENDED, relativePath, size, from, tailLength);
    if (tail !== null && tailLength > 0) {
      this.reserve(tailLength);
      this.pendingLength += tail.copy(this.pending, this.pendingLength);
    }
  }

  /**
   * Writes the record of a file whose old tail is too long to hold in memory, copying the tail from
   * `fd`; returns where in the undo log the copy starts, for reading it back while merging.
   */
  extendedFromFile(relativePath: string, size: number, from: number, fd: number, scratch: Buffer): number {
    this.queueHead(KIND_EXTENDED, relativePath, size, from, size - from);
    this.flush();
    const tailStart = this.position;
    for (let at = from; at < size; ) {
      const n = readAt(fd, scratch, 0, Math.min(scratch.length, size - at), at);
      if (n === 0)
        throw new RunError(`${relativePath} shrank while being binned; is another program writing it?`);
      this.write(scratch, n);
      at += n;
    }
    return tailStart;
  }

  /** Puts the queued records in the file: call before changing any of their objects. */
  flush(): void {
    if (this.pendingLength === 0) return;
    this.write(this.pending, this.pendingLength);
    this.pendingLength = 0;
  }

  get descriptor(): number {
    if (this.fd === null) throw new Error("the undo log is closed");
    return this.fd;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private queueHead(kind: number, relativePath: string, size: number, from: number, tailBytes: number): void {
    // Object paths are checked asset keys: ASCII, one byte per character.
    const nameLength = relativePath.length;
    this.reserve(LENGTH_BYTES + RECORD_FIXED_BYTES + nameLength);
    const buf = this.pending;
    let o = this.pendingLength;
    o = buf.writeDoubleLE(RECORD_FIXED_BYTES + nameLength + tailBytes, o);
    buf[o++] = kind;
    o = buf.writeUInt16LE(nameLength, o);
    o = buf.writeDoubleLE(size, o);
    o = buf.writeDoubleLE(from, o);
    o += buf.write(relativePath, o, nameLength, "latin1");
    this.pendingLength = o;
  }

  private reserve(bytes: number): void {
    if (this.pendingLength + bytes <= this.pending.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.pending.length * 2, this.pendingLength + bytes));
    this.pending.copy(grown, 0, 0, this.pendingLength);
    this.pending = grown;
  }

  private write(bytes: Buffer, length: number): void {
    writeAll(this.descriptor, bytes, 0, length, this.position);
    this.position += length;
  }
}

export interface UndoRecord {
  kind: "created" | "extended";
  relativePath: string;
  size: number;
  from: number;
  /** Where the old tail lies in the undo log, and its length. */
  tailOffset: number;
  tailLength: number;
}

export interface UndoLog {
  /** The batch's days, or null when even the header was cut short (nothing was changed then). */
  days: string[] | null;
  records: UndoRecord[];
}

/** Reads the frames of an undo log, stopping at the first one cut short. */
export function readUndoLog(file: string): UndoLog {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const fixed = Buffer.allocUnsafe(LENGTH_BYTES + RECORD_FIXED_BYTES);
    const log: UndoLog = { days: null, records: [] };
    let at = 0;
    while (at + LENGTH_BYTES <= size) {
      fs.readSync(fd, fixed, 0, LENGTH_BYTES, at);
      const length = fixed.readDoubleLE(0);
      const payload = at + LENGTH_BYTES;
      if (!Number.isInteger(length) || length < 1 || payload + length > size) break;
      if (log.days === null) {
        const header = Buffer.allocUnsafe(length);
        fs.readSync(fd, header, 0, length, payload);
        if (header[0] !== KIND_HEADER) break;
        log.days = (JSON.parse(header.toString("utf8", 1)) as { days: string[] }).days;
      } else {
        fs.readSync(fd, fixed, 0, RECORD_FIXED_BYTES, payload);
        const kind = fixed[0];
        const nameLength = fixed.readUInt16LE(1);
        const name = Buffer.allocUnsafe(nameLength);
        fs.readSync(fd, name, 0, nameLength, payload + RECORD_FIXED_BYTES);
        const relativePath = name.toString("latin1");
        if ((kind !== KIND_CREATED && kind !== KIND_EXTENDED) || !isObjectFilePath(relativePath))
          throw new RunError(`${file} holds an unknown record at byte ${at}; move it away and rerun`);
        const tailOffset = payload + RECORD_FIXED_BYTES + nameLength;
        log.records.push({
          kind: kind === KIND_CREATED ? "created" : "extended",
          relativePath,
          size: fixed.readDoubleLE(3),
          from: fixed.readDoubleLE(11),
          tailOffset,
          tailLength: payload + length - tailOffset,
        });
      }
      at = payload + length;
    }
    return log;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Puts every object file of an undo log back as it was before the batch. Idempotent: it writes old
 * bytes and sizes, so a kill during an undo is repaired by undoing again.
 */
export function applyUndoLog(binnedFolder: string, file: string, log: UndoLog): void {
  const undoFd = fs.openSync(file, "r");
  const chunk = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  try {
    for (const record of log.records) {
      const target = path.join(binnedFolder, record.relativePath);
      if (record.kind === "created") {
        fs.rmSync(target, { force: true });
        removeEmptyParents(binnedFolder, path.dirname(target));
        continue;
      }
      let fd: number;
      try {
        fd = fs.openSync(target, "r+");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      try {
        for (let done = 0; done < record.tailLength; ) {
          const wanted = Math.min(chunk.length, record.tailLength - done);
          const n = readAt(undoFd, chunk, 0, wanted, record.tailOffset + done);
          if (n < wanted) throw new RunError(`${file} ends inside the record of ${record.relativePath}`);
          writeAll(fd, chunk, 0, n, record.from + done);
          done += n;
        }
        fs.ftruncateSync(fd, record.size);
      } finally {
        fs.closeSync(fd);
      }
    }
  } finally {
    fs.closeSync(undoFd);
  }
}
