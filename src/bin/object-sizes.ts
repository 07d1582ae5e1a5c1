import * as fs from "node:fs";
import * as path from "node:path";
import { RunError } from "../errors.js";
import { replaceFile } from "../io/atomic-file.js";
import { openNoFollow, READ_NO_FOLLOW } from "../io/no-follow.js";

/**
 * The size bin left each object file at, `<binned>/.bin_sizes`, so that a file deleted, cut short
 * or extended by something else is found before bin adds to it (it would lose its earlier rows, or
 * merge a cut row with the next). Bin already learns each file's size when it opens it, so the
 * check costs a lookup per object a batch touches, never a stat of the others.
 *
 * Binary, sorted by object, 25 bytes an object: kind (0 blob, 1 Zarr), the UUID's 16 bytes, the
 * size (f64); after a header `BINSIZE1` and the batch it is true after (f64). About 6 MB for the
 * archive's quarter of a million objects: read whole, searched by halving, rewritten once a batch.
 * A batch writes the new index beside it (`.bin_sizes.next`) before it commits and renames it into
 * place after, so the index in place always matches the journal's last batch; an index of another
 * batch (an older version of this tool binned since) is set aside, and objects it does not list
 * are not checked until bin next writes them.
 */
const INDEX_NAME = ".bin_sizes";
const NEXT_NAME = ".bin_sizes.next";
const MAGIC = Buffer.from("BINSIZE1");
const HEADER_BYTES = MAGIC.length + 8;
const KEY_BYTES = 17;
const RECORD_BYTES = KEY_BYTES + 8;

export class ObjectSizes {
  /** Sizes written by the batch in progress, by relative path: newer than the index. */
  private readonly written = new Map<string, number>();
  private readonly key = Buffer.allocUnsafe(KEY_BYTES);

  private constructor(
    private readonly binnedFolder: string,
    private index: Buffer,
  ) {}

  /** The index that matches the journal's last committed batch, finishing a commit a kill cut short. */
  static open(binnedFolder: string, lastBatch: number): ObjectSizes {
    const next = readIndex(path.join(binnedFolder, NEXT_NAME));
    if (next !== null && batchOf(next) === lastBatch) {
      fs.renameSync(path.join(binnedFolder, NEXT_NAME), path.join(binnedFolder, INDEX_NAME));
      return new ObjectSizes(binnedFolder, next);
    }
    fs.rmSync(path.join(binnedFolder, NEXT_NAME), { force: true });
    const index = readIndex(path.join(binnedFolder, INDEX_NAME));
    const usable = index !== null && batchOf(index) === lastBatch;
    return new ObjectSizes(binnedFolder, usable ? index : emptyIndex(lastBatch));
  }

  /**
   * Records the sizes `relativePaths` have now, for a step that rewrote them outside bin (rekey puts
   * tokens in place of addresses). Written beside, then renamed into place, for the same batch: a
   * kill leaves the old index or the new one. Without an index in place nothing is checked anyway.
   */
  static recordCurrent(binnedFolder: string, relativePaths: readonly string[]): void {
    const index = readIndex(path.join(binnedFolder, INDEX_NAME));
    if (index === null) return;
    const sizes = new ObjectSizes(binnedFolder, index);
    for (const relativePath of relativePaths)
      sizes.wrote(relativePath, fs.lstatSync(path.join(binnedFolder, relativePath)).size);
    sizes.prepareCommit(batchOf(index));
    sizes.finishCommit();
  }

  /**
   * The sizes as the main thread holds them (`index`, from `indexBytes`), for a worker thread that
   * checks and writes the objects of its share: it hands back what it wrote (`writtenSizes`), and
   * the main thread alone writes the index.
   */
  static fromIndex(binnedFolder: string, index: Uint8Array): ObjectSizes {
    return new ObjectSizes(binnedFolder, Buffer.from(index.buffer, index.byteOffset, index.byteLength));
  }

  /** The index as committed by the last batch (what `fromIndex` takes). */
  get indexBytes(): Buffer {
    return this.index;
  }

  /** The sizes written by the batch in progress, as `wrote` recorded them. */
  writtenSizes(): [string, number][] {
    return [...this.written];
  }

  /** The size bin last left `relativePath` at, -1 for none recorded. */
  recorded(relativePath: string): number {
    const written = this.written.get(relativePath);
    if (written !== undefined) return written;
    keyOf(relativePath, this.key);
    let low = 0;
    let high = (this.index.length - HEADER_BYTES) / RECORD_BYTES;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const at = HEADER_BYTES + middle * RECORD_BYTES;
      const order = this.index.compare(this.key, 0, KEY_BYTES, at, at + KEY_BYTES);
      if (order === 0) return this.index.readDoubleLE(at + KEY_BYTES);
      if (order < 0) low = middle + 1;
      else high = middle;
    }
    return -1;
  }

  /** Refuses an object file whose size is not the one recorded (`size` -1: the file is missing). */
  check(relativePath: string, size: number): void {
    const recorded = this.recorded(relativePath);
    if (recorded === -1 || recorded === size) return;
    const file = path.join(this.binnedFolder, relativePath);
    throw new RunError(
      `${file} ${size === -1 ? "is missing" : `is ${size} bytes`}, but bin left it ${recorded} bytes ` +
        `(recorded in ${path.join(this.binnedFolder, INDEX_NAME)}): something else changed it, and adding rows ` +
        "to it would lose or merge rows; restore it from a backup and rerun, or bin into a new, empty folder",
      { code: "ERR_BINNED_OBJECT_CHANGED" },
    );
  }

  /** Records the size the batch in progress left `relativePath` at. */
  wrote(relativePath: string, size: number): void {
    this.written.set(relativePath, size);
  }

  /** Writes the index as it stands after the batch, beside the one in place: before the journal commits. */
  prepareCommit(batch: number): void {
    const updates = [...this.written.keys()].sort();
    const out = Buffer.allocUnsafe(this.index.length + updates.length * RECORD_BYTES);
    MAGIC.copy(out, 0);
    out.writeDoubleLE(batch, MAGIC.length);
    let o = HEADER_BYTES;
    let at = HEADER_BYTES;
    const key = this.key;
    for (const relativePath of updates) {
      keyOf(relativePath, key);
      // Copy the index's records that sort before the update, then the update in place of its own.
      while (at < this.index.length && this.index.compare(key, 0, KEY_BYTES, at, at + KEY_BYTES) < 0) {
        o += this.index.copy(out, o, at, at + RECORD_BYTES);
        at += RECORD_BYTES;
      }
      if (at < this.index.length && this.index.compare(key, 0, KEY_BYTES, at, at + KEY_BYTES) === 0)
        at += RECORD_BYTES;
      o += key.copy(out, o);
      o = out.writeDoubleLE(this.written.get(relativePath) as number, o);
    }
    o += this.index.copy(out, o, at, this.index.length);
    this.index = out.subarray(0, o);
    this.written.clear();
    replaceFile(path.join(this.binnedFolder, NEXT_NAME), this.index);
  }

  /** Puts the index written by `prepareCommit` in place: after the journal commits. */
  finishCommit(): void {
    fs.renameSync(path.join(this.binnedFolder, NEXT_NAME), path.join(this.binnedFolder, INDEX_NAME));
  }

  /** Forgets the sizes of a batch that was undone. */
  discardBatch(): void {
    this.written.clear();
  }
}

function readIndex(file: string): Buffer | null {
  let fd: number;
  try {
    fd = openNoFollow(file, READ_NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  try {
    const index = fs.readFileSync(fd);
    const whole =
      index.length >= HEADER_BYTES &&
      index.compare(MAGIC, 0, MAGIC.length, 0, MAGIC.length) === 0 &&
      (index.length - HEADER_BYTES) % RECORD_BYTES === 0;
    // A damaged index checks nothing rather than everything wrongly; the journal is what commits.
    return whole ? index : null;
  } finally {
    fs.closeSync(fd);
  }
}

function batchOf(index: Buffer): number {
  return index.readDoubleLE(MAGIC.length);
}

function emptyIndex(batch: number): Buffer {
  const index = Buffer.allocUnsafe(HEADER_BYTES);
  MAGIC.copy(index, 0);
  index.writeDoubleLE(batch, MAGIC.length);
  return index;
}

/**
 * The 17-byte key of an object file path (`blobs/aaa/bbb/<uuid>.tsv`, `zarr/<uuid>.tsv`): kind,
 * then the UUID's hex digits as bytes. Sorts as the paths do, as UUIDs are lowercase hex.
 */
function keyOf(relativePath: string, into: Buffer): void {
  const zarr = relativePath.startsWith("zarr/");
  into[0] = zarr ? 1 : 0;
  const uuid = relativePath.slice(zarr ? 5 : 14, -4).replaceAll("-", "");
  into.write(uuid, 1, 16, "hex");
}
