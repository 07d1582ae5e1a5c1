import type { TimeInterval } from "./chart-scales.js";
import { estimateTextWidth } from "./text-width.js";
import type { Granularity, TimeBucket } from "./time-buckets.js";
import { type ByteScale, byteScaleFor, formatBytes } from "./units.js";

/**
 * What the report's charts show, worked out once for both ways of drawing them: directly as SVG
 * (draw-charts.ts, what the pages use) and as the Vega-Lite specification they are checked against
 * (chart-specs.ts).
 */

/** Chart width in CSS pixels, the width of the page's text column; the SVG scales down on narrow screens. */
export const CHART_WIDTH = 880;
/** The plot's height in the charts over time. */
export const TIME_HEIGHT = 240;
/** The height of a bar of the horizontal bar charts, with its share of the gaps. */
export const BAR_STEP = 20;

const DAY_MS = 86_400_000;
export const BAR_COLOR = "#3f7fc1";
export const LINE_COLOR = "#e8793a";

export const PER: Record<Granularity, string> = { day: "per day", week: "per week", month: "per month" };

/** Bars, as `at` to `end` in time, of `value` in the unit of `scale`. */
export interface TimeBar {
  at: number;
  end: number;
  value: number;
}

export interface TimeRows {
  bars: TimeBar[];
  /** The running total's points. */
  line: { at: number; value: number }[];
  barScale: ByteScale;
  lineScale: ByteScale;
  /** The time axis' extent. */
  domain: [number, number];
  total: number;
}

/**
 * Bytes sent over time: a bar per day, week or month, and the running total as a line on its own axis.
 * Values are divided into one unit per axis (so ticks read 0, 200, 400 MB, never 4e8) and the unit goes
 * in the axis title.
 */
export function timeRows(buckets: readonly TimeBucket[]): TimeRows {
  let peak = 0;
  let total = 0;
  for (const bucket of buckets) {
    peak = Math.max(peak, bucket.bytes);
    total += bucket.bytes;
  }
  const barScale = byteScaleFor(peak);
  const lineScale = byteScaleFor(total);
  const bars = buckets.map((bucket) => ({
    at: bucket.start,
    end: bucket.end,
    value: bucket.bytes / barScale.divisor,
  }));
  // The running total climbs within each bucket and stays flat between buckets, so each bucket adds a
  // point at its start and one at its end. The line's first and last points also set the time axis'
  // extent: widening a short span only lengthens the flat ends.
  const domain = paddedDomain(buckets);
  let running = 0;
  const line = [{ at: domain[0], value: 0 }];
  for (const bucket of buckets) {
    if (bucket.start > line[line.length - 1].at)
      line.push({ at: bucket.start, value: running / lineScale.divisor });
    running += bucket.bytes;
    line.push({ at: bucket.end, value: running / lineScale.divisor });
  }
  if (domain[1] > line[line.length - 1].at) line.push({ at: domain[1], value: running / lineScale.divisor });
  return { bars, line, barScale, lineScale, domain, total };
}

const MIN_DOMAIN_MS = 14 * DAY_MS;

/** At least two weeks wide, so a single day of downloads is a bar, not a wall across the chart. */
function paddedDomain(buckets: readonly { start: number; end: number }[]): [number, number] {
  if (buckets.length === 0) return [0, MIN_DOMAIN_MS];
  const start = buckets[0].start;
  const end = buckets[buckets.length - 1].end;
  if (end - start >= MIN_DOMAIN_MS) return [start, end];
  const pad = (MIN_DOMAIN_MS - (end - start)) / 2;
  return [start - pad, end + pad];
}

/** The ticks of a time axis: every `step` of `interval`, labelled as `format` (d3-time-format) says. */
export interface TimeAxis {
  interval: TimeInterval;
  step: number;
  format: string;
}

/**
 * Ticks and labels for the time axis. Left alone, Vega ticks a few weeks every 12 hours, and over years
 * it labels months by name and the year only at January, which its overlap removal may hide, leaving no
 * year on the axis at all. So: a tick every few days, months with their year, or years.
 */
export function timeAxis(domain: [number, number]): TimeAxis {
  const days = (domain[1] - domain[0]) / DAY_MS;
  if (days <= 120) {
    const step = [1, 2, 5, 10, 15, 30].find((n) => days / n <= 8) ?? 30;
    return { interval: "day", step, format: "%-d %b %Y" };
  }
  if (days <= 3 * 366) {
    const step = [1, 2, 3, 6].find((n) => days / 30.4 / n <= 9) ?? 6;
    return { interval: "month", step, format: "%b %Y" };
  }
  const step = [1, 2, 5, 10].find((n) => days / 365.25 / n <= 10) ?? 10;
  return { interval: "year", step, format: "%Y" };
}

/** A span of time and the bytes sent in it by each type of asset, in the order of the chart's `types`. */
export interface TypeBucket {
  start: number;
  end: number;
  bytes: number[];
}

/** Bytes by asset type over time, as `by_asset_type_per_week.tsv` gives them (weeks, or weeks summed into months). */
export interface TypeSeries {
  granularity: "week" | "month";
  /** The types present, in DANDI's order; unknown ones after them. */
  types: string[];
  buckets: TypeBucket[];
}

/** One colour per asset type, kept from page to page; the first two are those of the bytes-over-time chart. */
const TYPE_COLORS: Record<string, string> = {
  Neurophysiology: BAR_COLOR,
  Microscopy: LINE_COLOR,
  Video: "#4c9a5b",
  Miscellaneous: "#8a8f96",
};
export const KNOWN_TYPES = Object.keys(TYPE_COLORS);
const OTHER_TYPE_COLORS = ["#a46fb0", "#c5a13a", "#5aa7b5", "#b5615a"];

/** The colour of each of `types` in the asset-type chart, for its legend on the page; types it does not know take the others in turn. */
export function assetTypeColors(types: readonly string[]): string[] {
  let other = 0;
  return types.map((type) => TYPE_COLORS[type] ?? OTHER_TYPE_COLORS[other++ % OTHER_TYPE_COLORS.length]);
}

/** A slice of a stacked bar: a type's bytes in a span, from `lo` to `hi` in the unit of the scale. */
export interface TypeSlice {
  at: number;
  end: number;
  type: string;
  lo: number;
  hi: number;
}

export interface TypeRows {
  /** The slices, and rows of no height at the padded time axis' ends (see `typeRows`). */
  values: TypeSlice[];
  scale: ByteScale;
  totals: number[];
  /** The span the time axis' ticks are chosen for: the buckets', padded. */
  span: [number, number];
}

/**
 * Bytes sent by asset type over time: a stacked bar per week (or month), one colour per type, each
 * bar a `lo`-to-`hi` slice. The time axis is padded as the bytes-over-time chart's.
 */
export function typeRows(series: TypeSeries): TypeRows {
  const { types, buckets } = series;
  let peak = 0;
  const totals = types.map(() => 0);
  for (const bucket of buckets) {
    let sum = 0;
    for (const [i, bytes] of bucket.bytes.entries()) {
      sum += bytes;
      totals[i] += bytes;
    }
    peak = Math.max(peak, sum);
  }
  const scale = byteScaleFor(peak);
  const values: TypeSlice[] = [];
  for (const bucket of buckets) {
    let lo = 0;
    for (const [i, bytes] of bucket.bytes.entries()) {
      if (bytes <= 0) continue;
      const hi = lo + bytes;
      values.push({
        at: bucket.start,
        end: bucket.end,
        type: types[i],
        lo: lo / scale.divisor,
        hi: hi / scale.divisor,
      });
      lo = hi;
    }
  }
  // The time axis spans the data; rows of no height at the padded domain's ends widen a short span
  // (a domain given to Vega-Lite's scale would be written as signals it warns about with x2), and
  // keep weeks of no bytes from leaving the chart without data.
  const domain = paddedDomain(buckets);
  if (buckets.length > 0 && (domain[0] < buckets[0].start || values.length === 0)) {
    values.unshift({ at: domain[0], end: domain[0], type: types[0], lo: 0, hi: 0 });
    values.push({ at: domain[1], end: domain[1], type: types[0], lo: 0, hi: 0 });
  }
  return { values, scale, totals, span: domain };
}

/** The extent in time of `values`, from the first start to the last end. */
export function timeExtent(values: readonly { at: number; end: number }[]): [number, number] {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    start = Math.min(start, value.at, value.end);
    end = Math.max(end, value.at, value.end);
  }
  return [start, end];
}

export interface BarRow {
  label: string;
  bytes: number;
}

/** Labels longer than this (in pixels) are cut with an ellipsis. */
export const LABEL_LIMIT = 320;

export interface BarRows {
  values: { label: string; value: number; text: string }[];
  scale: ByteScale;
  /** The axis' end, a little past the longest bar so that its label fits inside the chart. */
  max: number;
  /** The plot's width: what the labels leave of the chart's width, so that short labels give long bars. */
  plotWidth: number;
}

/** Horizontal bars, largest first, each labelled with its size. */
export function barRows(rows: readonly BarRow[]): BarRows {
  let peak = 0;
  for (const row of rows) peak = Math.max(peak, row.bytes);
  const scale = byteScaleFor(peak);
  const values = rows.map((row) => ({
    label: row.label,
    value: row.bytes / scale.divisor,
    text: formatBytes(row.bytes),
  }));
  let labelWidth = 0;
  for (const row of rows) labelWidth = Math.max(labelWidth, estimateTextWidth(row.label, 11));
  const plotWidth = CHART_WIDTH - Math.min(labelWidth, LABEL_LIMIT) - 16;
  return { values, scale, max: (peak / scale.divisor) * 1.15 || 1, plotWidth };
}
