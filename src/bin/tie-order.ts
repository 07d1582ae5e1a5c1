import type { BinnedDay } from "./journal.js";

/**
 * Rows of one object are ordered by timestamp, and rows with the same timestamp by input order:
 * the day file first (path order), then the line. Within a batch that order is exact. Against rows
 * already in an object file, a new row with the same second goes after them, which is exact when
 * every new day sorts after every committed day (the daily case). When an earlier day is binned
 * late (a backfill), the committed day a tied row came from is found by time span: a new row goes
 * first when only later committed days span its second. Only a second spanned by committed days on
 * both sides of the new day stays ambiguous; those rows go after, and are counted.
 */
export class TieOrder {
  /** Whether some day of the batch sorts before a committed day. */
  readonly backfill: boolean;
  ambiguous = 0;
  private readonly earlier: BinnedDay[][] = [];
  private readonly later: BinnedDay[][] = [];

  constructor(committed: readonly BinnedDay[], batchDays: readonly string[]) {
    let lastCommitted = "";
    for (const d of committed) if (d.day > lastCommitted) lastCommitted = d.day;
    this.backfill = batchDays.some((day) => day < lastCommitted);
    if (!this.backfill) return;
    const spanning = committed.filter((d) => d.rows > 0);
    for (const day of batchDays) {
      this.earlier.push(spanning.filter((d) => d.day < day));
      this.later.push(spanning.filter((d) => d.day > day));
    }
  }

  /** Whether a new row of batch day `day` at `timestamp` goes before existing rows of the same second. */
  newFirst(timestamp: number, day: number): boolean {
    if (!this.backfill) return false;
    const later = spans(this.later[day], timestamp);
    if (!later) return false;
    if (!spans(this.earlier[day], timestamp)) return true;
    this.ambiguous++;
    return false;
  }
}

function spans(days: readonly BinnedDay[], timestamp: number): boolean {
  for (const d of days) if (d.first <= timestamp && timestamp <= d.last) return true;
  return false;
}
