import type { UsageRow } from "./usage.js";

export type Granularity = "day" | "week" | "month";

/** A span of time and what was sent in it; `start` is inclusive, `end` exclusive, both UTC midnights in ms. */
export interface TimeBucket {
  start: number;
  end: number;
  bytes: number;
  requests: number | null;
}

export interface TimeSeries {
  granularity: Granularity;
  buckets: TimeBucket[];
}

const DAY_MS = 86_400_000;
/** Past these spans a bar per day (then per week) would be thinner than a pixel or two on a page-wide chart. */
const DAILY_MAX_SPAN_DAYS = 120;
const WEEKLY_MAX_SPAN_DAYS = 3 * 366;

/** Sums days into weeks (from Monday) or months when the dates span too long for a bar per day. */
export function bucketByTime(byDay: readonly UsageRow[]): TimeSeries {
  const days = byDay
    .map((row) => ({ at: Date.parse(`${row.key}T00:00:00Z`), row }))
    .sort((a, b) => a.at - b.at);
  if (days.length === 0) return { granularity: "day", buckets: [] };
  const spanDays = (days[days.length - 1].at - days[0].at) / DAY_MS + 1;
  const granularity: Granularity =
    spanDays <= DAILY_MAX_SPAN_DAYS ? "day" : spanDays <= WEEKLY_MAX_SPAN_DAYS ? "week" : "month";
  const buckets: TimeBucket[] = [];
  for (const { at, row } of days) {
    const start = bucketStart(at, granularity);
    let bucket = buckets.at(-1);
    if (bucket === undefined || bucket.start !== start) {
      bucket = { start, end: bucketEnd(start, granularity), bytes: 0, requests: 0 };
      buckets.push(bucket);
    }
    bucket.bytes += row.bytes;
    bucket.requests =
      bucket.requests === null || row.requests === null ? null : bucket.requests + row.requests;
  }
  return { granularity, buckets };
}

function bucketStart(at: number, granularity: Granularity): number {
  if (granularity === "day") return at;
  const date = new Date(at);
  if (granularity === "month") return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const daysSinceMonday = (date.getUTCDay() + 6) % 7;
  return at - daysSinceMonday * DAY_MS;
}

function bucketEnd(start: number, granularity: Granularity): number {
  if (granularity === "day") return start + DAY_MS;
  if (granularity === "week") return start + 7 * DAY_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}
