import {
  FILTER_REASONS,
  type FilterReason,
  MALFORMED_REASONS,
  type MalformedReason,
} from "../s3log/reasons.js";

/** Where every line read went. `lines === kept + sum(filtered) + sum(malformed)`, always. */
export interface LineCounts {
  lines: number;
  kept: number;
  filtered: Record<FilterReason, number>;
  malformed: Record<MalformedReason, number>;
}

export function emptyLineCounts(): LineCounts {
  return {
    lines: 0,
    kept: 0,
    filtered: Object.fromEntries(FILTER_REASONS.map((reason) => [reason, 0])) as Record<FilterReason, number>,
    malformed: Object.fromEntries(MALFORMED_REASONS.map((reason) => [reason, 0])) as Record<
      MalformedReason,
      number
    >,
  };
}

export function addLineCounts(into: LineCounts, from: LineCounts): LineCounts {
  into.lines += from.lines;
  into.kept += from.kept;
  for (const reason of FILTER_REASONS) into.filtered[reason] += from.filtered[reason];
  for (const reason of MALFORMED_REASONS) into.malformed[reason] += from.malformed[reason];
  return into;
}

export function totalOf(counts: Record<string, number>): number {
  let total = 0;
  for (const value of Object.values(counts)) total += value;
  return total;
}

/** Counters the hot loop can bump without touching an object's shape. */
export class LineCounter {
  lines = 0;
  kept = 0;
  readonly filtered = new Float64Array(FILTER_REASONS.length);
  readonly malformed = new Float64Array(MALFORMED_REASONS.length);

  toLineCounts(): LineCounts {
    const counts = emptyLineCounts();
    counts.lines = this.lines;
    counts.kept = this.kept;
    FILTER_REASONS.forEach((reason, i) => {
      counts.filtered[reason] = this.filtered[i];
    });
    MALFORMED_REASONS.forEach((reason, i) => {
      counts.malformed[reason] = this.malformed[i];
    });
    return counts;
  }
}
