import * as fs from "node:fs";

/** Byte offsets `[start, end)` of a file; `end` may be `Infinity` for "to the end of the file". */
export interface ByteRange {
  start: number;
  end: number;
}

export const WHOLE_FILE: ByteRange = { start: 0, end: Number.POSITIVE_INFINITY };

const NEWLINE = 0x0a;
const SKIPPING = 0;
const OWNED = 1;
const TAIL = 2;
const DONE = 3;
/**
 * Reads around a cut this much at a time: lines are rarely longer than a few KB, and bytes read
 * past a range's end are read again by the next range.
 */
const EDGE_READ_BYTES = 64 * 1024;
const NOTHING = Buffer.alloc(0);

/**
 * Cuts `size` bytes into ranges of at most `rangeBytes`, of nearly equal sizes (no small last range).
 * The cuts fall anywhere; `LineRangeReader` moves them to line starts.
 */
export function splitIntoRanges(size: number, rangeBytes: number): ByteRange[] {
  const count = Math.max(1, Math.ceil(size / rangeBytes));
  const ranges: ByteRange[] = [];
  for (let i = 0; i < count; i++)
    ranges.push({ start: Math.floor((size * i) / count), end: Math.floor((size * (i + 1)) / count) });
  return ranges;
}

/**
 * Reads the lines of a file that *start* inside a byte range, whole, wherever they end.
 *
 * A line starts at 0 or just after a `\n`. So the range's first line starts just after the first
 * `\n` at or after `start - 1`, and its last line is the one holding byte `end - 1`, read on to its
 * `\n` (or the end of the file). Ranges that meet (`a.end === b.start`) thus share no line and miss
 * none, however the cuts fall; a range lying inside one long line holds no line at all. Reads use
 * explicit positions, so ranges of one file can be read at once from several threads.
 */
export class LineRangeReader {
  /** Bytes read from the file, the edges past the range included. */
  bytesRead = 0;
  private position: number;
  private state: number;

  constructor(
    private readonly fd: number,
    private readonly buffer: Buffer,
    private readonly range: ByteRange,
  ) {
    this.position = range.start > 0 ? range.start - 1 : 0;
    this.state = range.start >= range.end ? DONE : range.start > 0 ? SKIPPING : OWNED;
  }

  /**
   * The next bytes of the range's lines (a view into the reader's buffer, valid until the next
   * call; empty while the start of the first line is still being looked for), or null at the end.
   */
  next(): Buffer | null {
    if (this.state === DONE) return null;
    const wanted =
      this.state === OWNED
        ? Math.min(this.buffer.length, this.range.end - this.position)
        : Math.min(this.buffer.length, EDGE_READ_BYTES);
    const chunkStart = this.position;
    const n = fs.readSync(this.fd, this.buffer, 0, wanted, chunkStart);
    if (n === 0) {
      this.state = DONE;
      return null;
    }
    this.position += n;
    this.bytesRead += n;
    const chunk = n === this.buffer.length ? this.buffer : this.buffer.subarray(0, n);
    let from = 0;
    let to = n;
    if (this.state === SKIPPING) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline === -1) return NOTHING;
      from = newline + 1;
      if (chunkStart + from >= this.range.end) {
        this.state = DONE;
        return null;
      }
      this.state = OWNED;
    }
    if (this.state === OWNED) {
      // Reads in the range stop at its end, so only the chunk that reaches it holds its last byte.
      const last = this.range.end - 1 - chunkStart;
      if (last < n) {
        const newline = chunk.indexOf(NEWLINE, last);
        if (newline === -1) this.state = TAIL;
        else {
          to = newline + 1;
          this.state = DONE;
        }
      }
    } else {
      const newline = chunk.indexOf(NEWLINE);
      if (newline !== -1) {
        to = newline + 1;
        this.state = DONE;
      }
    }
    return from === 0 && to === n ? chunk : chunk.subarray(from, to);
  }
}
