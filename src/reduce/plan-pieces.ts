import { type ByteRange, WHOLE_FILE } from "./line-range-reader.js";

/** A raw day file to reduce, by its path under the raw folder, or the part of it from `start` on. */
export interface DayFile {
  relativePath: string;
  size: number;
  /** Where the lines to reduce start (those that start at or after it); 0 for the whole file. */
  start?: number;
  /** The output, relative to the reduced folder; `YYYY/MM/DD.tsv` beside the day file's path unless told. */
  output?: string;
  /** The file to read, when it is not `relativePath` under the raw folder (a downloaded log object). */
  input?: string;
  /**
   * Reduced whole, without a header, into a scratch file that the pool hands to `onScratchDone`
   * rather than renaming it into place (a log object, whose rows go to the days of their timestamps).
   */
  scratch?: boolean;
  /** Files reduced after `input`, in order, into the same scratch output (a group of log objects). */
  moreInputs?: { path: string; displayName: string }[];
}

/** What one reducer reduces at a time: day `day` whole (`parts === 1`), or its range number `part`. */
export interface Piece {
  id: number;
  day: number;
  part: number;
  parts: number;
  range: ByteRange;
  /** Bytes of the day file the piece covers, for progress. */
  bytes: number;
}

/**
 * Ranges are large enough that their fixed costs (a message, a part file, a line read twice at
 * each edge) are lost in the noise, and no larger than 64 MiB so that error records held until
 * the lines before a range are counted stay few.
 */
export const MIN_RANGE_BYTES = 8 * 1024 * 1024;
export const MAX_RANGE_BYTES = 64 * 1024 * 1024;

/**
 * The pieces of work in the order they are handed out: days as given, each whole, or, with
 * several reducers, cut into ranges when it is larger than two of the smallest. Ranges shrink
 * towards the end of a day, each half of a reducer's share of what is left, so the reducers finish
 * together: one that the machine lends less time holds the others up by a small last range only.
 * `maxRangeBytes` below `MIN_RANGE_BYTES` makes every range that size (tests use it).
 */
export function planPieces(todo: DayFile[], reducers: number, maxRangeBytes = MAX_RANGE_BYTES): Piece[] {
  const minRangeBytes = Math.min(MIN_RANGE_BYTES, maxRangeBytes);
  const pieces: Piece[] = [];
  for (const [day, file] of todo.entries()) {
    const start = file.start ?? 0;
    const bytes = file.size - start;
    if (reducers === 1 || bytes < 2 * minRangeBytes || file.scratch) {
      // The size the file had when planned: lines appended since are left to the next run's unit.
      // A group of files is read whole, each of them.
      const range = file.moreInputs === undefined ? { start, end: file.size } : WHOLE_FILE;
      pieces.push({ id: pieces.length, day, part: 0, parts: 1, range, bytes });
      continue;
    }
    const ranges = shrinkingRanges(start, file.size, reducers, minRangeBytes, maxRangeBytes);
    for (const [part, range] of ranges.entries())
      pieces.push({
        id: pieces.length,
        day,
        part,
        parts: ranges.length,
        range,
        bytes: range.end - range.start,
      });
  }
  return pieces;
}

function shrinkingRanges(
  from: number,
  size: number,
  reducers: number,
  min: number,
  max: number,
): ByteRange[] {
  const ranges: ByteRange[] = [];
  let start = from;
  while (start < size) {
    const left = size - start;
    let length = Math.min(max, Math.max(min, Math.ceil(left / (2 * reducers))));
    if (left - length < min) length = left;
    ranges.push({ start, end: start + length });
    start += length;
  }
  return ranges;
}
