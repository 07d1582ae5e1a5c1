import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "node:zlib";
import { RunError } from "../errors.js";
import { removeEmptyParents } from "../io/folders.js";
import { openNoFollow, READ_NO_FOLLOW, UPDATE_NO_FOLLOW } from "../io/no-follow.js";
import { isObjectFilePath } from "./change-feed.js";
import { readAt, writeAll } from "./fs-util.js";

/**
 * The undo log of the batch in progress, `<binned>/.bin_undo_log`. Before an object file changes,
 * a record of how to put it back is in this file: "delete it" for a file the batch creates, or its
 * old size and the bytes past the point the batch rewrites from, for a file it extends.
 *
 * Layout: `BINUNDO2`, the number of records sealed so far (f64), then frames
 * `[f64 length][u32 crc32 of the payload][payload]`, the first of which names the batch and its
 * days. The count is raised after records are written and before their objects change, so every
 * record below it must be whole and match its checksum: a log emptied, cut short, overwritten or
 * garbled is found damaged instead of being half applied. Frames past the count (cut short by a
 * kill, or whole but not yet sealed) guard objects not yet touched and are ignored.
 * Logs written before the count and checksums (no `BINUNDO2`) are read as before.
 *
 * A batch shared out over several threads (bin-all.ts) has one log per share, each written by the
 * thread that owns the share's objects: `.bin_undo_log` for the first, `.bin_undo_log.<share>` for
 * the others, their headers naming the share and the number of shares. The main thread begins them
 * all before the journal marks the batch in progress, so a kill never finds one of them missing.
 */
export const UNDO_LOG_NAME = ".bin_undo_log";
const SHARE_LOG = /^\.bin_undo_log(?:\.([1-9]\d{0,3}))?$/;

const MAGIC = Buffer.from("BINUNDO2");
const COUNT_OFFSET = MAGIC.length;
const FRAMES_OFFSET = COUNT_OFFSET + 8;
const KIND_HEADER = 0;
const KIND_CREATED = 1;
const KIND_EXTENDED = 2;
const LENGTH_BYTES = 8;
const CRC_BYTES = 4;
const FRAME_HEAD_BYTES = LENGTH_BYTES + CRC_BYTES;
/** kind (1), path length (2), old size (8), rewrite point (8). */
const RECORD_FIXED_BYTES = 1 + 2 + 8 + 8;
const COPY_CHUNK_BYTES = 1 << 20;

/** The undo log of share `share` of a batch (0, the only one of a batch binned by one thread, by default). */
export function undoLogPath(binnedFolder: string, share = 0): string {
  return path.join(binnedFolder, share === 0 ? UNDO_LOG_NAME : `${UNDO_LOG_NAME}.${share}`);
}

/** The shares whose undo logs are in the folder, in order (0 for `.bin_undo_log`). */
export function sharesWithUndoLogs(binnedFolder: string): number[] {
  const shares: number[] = [];
  for (const name of fs.readdirSync(binnedFolder)) {
    const match = SHARE_LOG.exec(name);
    if (match !== null) shares.push(match[1] === undefined ? 0 : Number(match[1]));
  }
  return shares.sort((a, b) => a - b);
}

export class UndoLogWriter {
  /** Records not yet in the file, built in place: one buffer, grown as needed, for the whole batch. */
  private pending = Buffer.allocUnsafe(256 * 1024);
  private pendingLength = 0;
  private pendingRecords = 0;
  private sealedRecords = 0;
  private readonly countBytes = Buffer.alloc(8);

  private constructor(
    private fd: number | null,
    private position: number,
  ) {}

  /**
   * Starts the undo log of share `share` of `shares` of batch `batch` of `days`, replacing any older
   * one (already dealt with).
   */
  static begin(
    binnedFolder: string,
    days: readonly string[],
    batch: number,
    share = 0,
    shares = 1,
  ): UndoLogWriter {
    // Read as well as written: long tails are merged from their copy here.
    const fd = openNoFollow(
      undoLogPath(binnedFolder, share),
      UPDATE_NO_FOLLOW | fs.constants.O_CREAT | fs.constants.O_TRUNC,
    );
    const log = new UndoLogWriter(fd, 0);
    const start = Buffer.alloc(FRAMES_OFFSET);
    MAGIC.copy(start, 0);
    log.write(start, start.length);
    // A batch of one share keeps the header it always had.
    const header = Buffer.from(
      JSON.stringify(shares === 1 ? { batch, days } : { batch, days, share, shares }),
    );
    const frame = Buffer.allocUnsafe(FRAME_HEAD_BYTES + 1 + header.length);
    frame.writeDoubleLE(1 + header.length, 0);
    frame[FRAME_HEAD_BYTES] = KIND_HEADER;
    header.copy(frame, FRAME_HEAD_BYTES + 1);
    frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEAD_BYTES)), LENGTH_BYTES);
    log.write(frame, frame.length);
    return log;
  }

  /**
   * Goes on with a log that `begin` started and whose writer was closed at `position` (its end):
   * how a worker thread takes over the log the main thread began for its share.
   */
  static resume(file: string, position: number): UndoLogWriter {
    return new UndoLogWriter(openNoFollow(file, UPDATE_NO_FOLLOW), position);
  }

  /** Where the next record goes: the log's end. */
  get end(): number {
    return this.position + this.pendingLength;
  }

  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** Queues the record of a file the batch creates at `relativePath`. */
  created(relativePath: string): void {
    this.seal(this.queueHead(KIND_CREATED, relativePath, 0, 0, 0));
  }

  /** Queues the record of a file of `size` bytes rewritten from `from` on; `tail` is its old `[from, size)`. */
  extended(relativePath: string, size: number, from: number, tail: Buffer | null): void {
    const tailLength = tail?.length ?? 0;
    const frame = this.queueHead(KIND_EXTENDED, relativePath, size, from, tailLength);
    if (tail !== null && tailLength > 0) {
      this.reserve(tailLength);
      this.pendingLength += tail.copy(this.pending, this.pendingLength);
    }
    this.seal(frame);
  }

  /**
   * Writes the record of a file whose old tail is too long to hold in memory, copying the tail from
   * `fd`; returns where in the undo log the copy starts, for reading it back while merging.
   */
  extendedFromFile(relativePath: string, size: number, from: number, fd: number, scratch: Buffer): number {
    const frame = this.queueHead(KIND_EXTENDED, relativePath, size, from, size - from);
    let crc = crc32(this.pending.subarray(frame + FRAME_HEAD_BYTES, this.pendingLength));
    const framePosition = this.position + frame;
    this.writePending();
    const tailStart = this.position;
    for (let at = from; at < size; ) {
      const n = readAt(fd, scratch, 0, Math.min(scratch.length, size - at), at);
      if (n === 0)
        throw new RunError(`${relativePath} shrank while being binned; is another program writing it?`);
      crc = crc32(scratch.subarray(0, n), crc);
      this.write(scratch, n);
      at += n;
    }
    const crcBytes = Buffer.allocUnsafe(CRC_BYTES);
    crcBytes.writeUInt32LE(crc, 0);
    writeAll(this.descriptor, crcBytes, 0, CRC_BYTES, framePosition + LENGTH_BYTES);
    this.pendingRecords++;
    this.sealCount();
    return tailStart;
  }

  /** Puts the queued records in the file and seals them: call before changing any of their objects. */
  flush(): void {
    if (this.pendingLength === 0) return;
    this.writePending();
    this.sealCount();
  }

  get descriptor(): number {
    if (this.fd === null) throw new Error("the undo log is closed");
    return this.fd;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  /** Starts a record in the queue; returns where its frame starts there. */
  private queueHead(
    kind: number,
    relativePath: string,
    size: number,
    from: number,
    tailBytes: number,
  ): number {
    // Object paths are checked asset keys: ASCII, one byte per character.
    const nameLength = relativePath.length;
    this.reserve(FRAME_HEAD_BYTES + RECORD_FIXED_BYTES + nameLength);
    const buf = this.pending;
    const frame = this.pendingLength;
    let o = frame;
    o = buf.writeDoubleLE(RECORD_FIXED_BYTES + nameLength + tailBytes, o);
    o += CRC_BYTES;
    buf[o++] = kind;
    o = buf.writeUInt16LE(nameLength, o);
    o = buf.writeDoubleLE(size, o);
    o = buf.writeDoubleLE(from, o);
    o += buf.write(relativePath, o, nameLength, "latin1");
    this.pendingLength = o;
    return frame;
  }

  /** Completes the queued record whose frame starts at `frame`: its checksum covers its payload. */
  private seal(frame: number): void {
    const crc = crc32(this.pending.subarray(frame + FRAME_HEAD_BYTES, this.pendingLength));
    this.pending.writeUInt32LE(crc, frame + LENGTH_BYTES);
    this.pendingRecords++;
  }

  private writePending(): void {
    this.write(this.pending, this.pendingLength);
    this.pendingLength = 0;
  }

  /** Raises the count of records that must be whole: the records written so far. */
  private sealCount(): void {
    if (this.pendingRecords === this.sealedRecords) return;
    this.sealedRecords = this.pendingRecords;
    this.countBytes.writeDoubleLE(this.sealedRecords, 0);
    writeAll(this.descriptor, this.countBytes, 0, 8, COUNT_OFFSET);
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
  /** The batch's number; null in logs written before batches were named in them. */
  batch: number | null;
  /** Which share of the batch this log undoes, and of how many (0 of 1 for a batch binned by one thread). */
  share: number;
  shares: number;
  records: UndoRecord[];
  /** What is wrong with a log that cannot be trusted, null when it can. */
  damage: string | null;
}

/** Reads an undo log: its sealed records, or what damage stops them being trusted. */
export function readUndoLog(file: string): UndoLog {
  const fd = openNoFollow(file, READ_NO_FOLLOW);
  try {
    const size = fs.fstatSync(fd).size;
    const start = Buffer.alloc(FRAMES_OFFSET);
    const got = readAt(fd, start, 0, FRAMES_OFFSET, 0);
    if (got < MAGIC.length || start.compare(MAGIC, 0, MAGIC.length, 0, MAGIC.length) !== 0) {
      // A log of an older version (no magic) is read the old way; an empty or foreign one is damaged.
      return size > 0 && got >= LENGTH_BYTES && start.readDoubleLE(0) > 0 && start.readDoubleLE(0) < 1e6
        ? readUnsealedUndoLog(fd, size, file)
        : {
            days: null,
            batch: null,
            share: 0,
            shares: 1,
            records: [],
            damage: size === 0 ? "is empty" : "does not start with BINUNDO2",
          };
    }
    if (got < FRAMES_OFFSET)
      return {
        days: null,
        batch: null,
        share: 0,
        shares: 1,
        records: [],
        damage: "is cut short in its first bytes",
      };
    const sealed = start.readDoubleLE(COUNT_OFFSET);
    const log: UndoLog = { days: null, batch: null, share: 0, shares: 1, records: [], damage: null };
    const damaged = (what: string) => {
      log.damage = what;
      return log;
    };
    if (!Number.isSafeInteger(sealed) || sealed < 0) return damaged("has a record count that is not a count");
    const head = Buffer.allocUnsafe(FRAME_HEAD_BYTES);
    let at = FRAMES_OFFSET;
    for (let index = -1; index < sealed; index++) {
      const what = index === -1 ? "its header" : `record ${index + 1} of ${sealed}`;
      if (readAt(fd, head, 0, FRAME_HEAD_BYTES, at) < FRAME_HEAD_BYTES)
        return damaged(`ends before ${what} (byte ${at})`);
      const length = head.readDoubleLE(0);
      const payload = at + FRAME_HEAD_BYTES;
      if (!Number.isSafeInteger(length) || length < 1 || payload + length > size)
        return damaged(`ends inside ${what} (byte ${at})`);
      if (crcOfRange(fd, payload, length) !== head.readUInt32LE(LENGTH_BYTES))
        return damaged(`has ${what} (byte ${at}) that does not match its checksum`);
      if (index === -1) {
        const header = Buffer.allocUnsafe(length);
        readAt(fd, header, 0, length, payload);
        if (header[0] !== KIND_HEADER) return damaged("does not start with its header");
        const parsed = JSON.parse(header.toString("utf8", 1)) as {
          batch: number;
          days: string[];
          share?: number;
          shares?: number;
        };
        log.days = parsed.days;
        log.batch = parsed.batch;
        log.share = parsed.share ?? 0;
        log.shares = parsed.shares ?? 1;
      } else {
        const record = readRecord(fd, payload, length);
        if (record === null) return damaged(`has ${what} (byte ${at}) that is not an undo record`);
        log.records.push(record);
      }
      at = payload + length;
    }
    return log;
  } finally {
    fs.closeSync(fd);
  }
}

function readRecord(fd: number, payload: number, length: number): UndoRecord | null {
  const fixed = Buffer.allocUnsafe(RECORD_FIXED_BYTES);
  if (length < RECORD_FIXED_BYTES || readAt(fd, fixed, 0, RECORD_FIXED_BYTES, payload) < RECORD_FIXED_BYTES)
    return null;
  const kind = fixed[0];
  const nameLength = fixed.readUInt16LE(1);
  if (RECORD_FIXED_BYTES + nameLength > length) return null;
  const name = Buffer.allocUnsafe(nameLength);
  readAt(fd, name, 0, nameLength, payload + RECORD_FIXED_BYTES);
  const relativePath = name.toString("latin1");
  if ((kind !== KIND_CREATED && kind !== KIND_EXTENDED) || !isObjectFilePath(relativePath)) return null;
  const tailOffset = payload + RECORD_FIXED_BYTES + nameLength;
  return {
    kind: kind === KIND_CREATED ? "created" : "extended",
    relativePath,
    size: fixed.readDoubleLE(3),
    from: fixed.readDoubleLE(11),
    tailOffset,
    tailLength: payload + length - tailOffset,
  };
}

function crcOfRange(fd: number, start: number, length: number): number {
  const chunk = Buffer.allocUnsafe(Math.min(length, COPY_CHUNK_BYTES));
  let crc = 0;
  for (let done = 0; done < length; ) {
    const n = readAt(fd, chunk, 0, Math.min(chunk.length, length - done), start + done);
    if (n === 0) break;
    crc = crc32(chunk.subarray(0, n), crc);
    done += n;
  }
  return crc;
}

/** An undo log of the layout before checksums: frames `[f64 length][payload]`, read to the first cut short. */
function readUnsealedUndoLog(fd: number, size: number, file: string): UndoLog {
  const fixed = Buffer.allocUnsafe(LENGTH_BYTES);
  const log: UndoLog = { days: null, batch: null, share: 0, shares: 1, records: [], damage: null };
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
      const record = readRecord(fd, payload, length);
      if (record === null)
        throw new RunError(`${file} holds an unknown record at byte ${at}; move it away and rerun`);
      log.records.push(record);
    }
    at = payload + length;
  }
  return log;
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
        fd = openNoFollow(target, UPDATE_NO_FOLLOW);
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
