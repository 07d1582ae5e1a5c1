import type { ChartSpec } from "./render-svg.js";
import { estimateTextWidth } from "./text-width.js";
import type { Granularity, TimeBucket } from "./time-buckets.js";
import { byteScaleFor, formatBytes } from "./units.js";

/** Chart width in CSS pixels, the width of the page's text column; the SVG scales down on narrow screens. */
export const CHART_WIDTH = 880;

const DAY_MS = 86_400_000;
const BAR_COLOR = "#3f7fc1";
const LINE_COLOR = "#e8793a";

/**
 * Shared look. Text is drawn `#000` and grid lines `#ddd` on purpose: the page's stylesheet recolours
 * exactly those values for dark mode, while the coloured axis titles keep their colour.
 */
const CONFIG = {
  background: "transparent",
  font: "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif",
  view: { stroke: null },
  title: { fontSize: 15, fontWeight: 600, anchor: "start", offset: 12, color: "#000" },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 600,
    labelColor: "#000",
    titleColor: "#000",
    gridColor: "#ddd",
    domainColor: "#888",
    tickColor: "#888",
  },
} as const;

const PER: Record<Granularity, string> = { day: "per day", week: "per week", month: "per month" };

/**
 * Bytes sent over time: a bar per day, week or month, and the running total as a line on its own axis.
 * Values are divided into one unit per axis (so ticks read 0, 200, 400 MB, never 4e8) and the unit goes
 * in the axis title.
 */
export function timeChart(
  title: string,
  series: { granularity: Granularity; buckets: TimeBucket[] },
): ChartSpec {
  const { granularity, buckets } = series;
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
  return {
    description: `${title}: ${formatBytes(total)} in all, ${buckets.length} ${granularity}s with downloads`,
    title,
    width: CHART_WIDTH,
    height: 240,
    autosize: { type: "fit-x", contains: "padding" },
    config: CONFIG,
    // One x encoding for both layers: bars start `at` a bucket's start, the line's points sit `at` its end.
    encoding: {
      x: {
        field: "at",
        type: "temporal",
        scale: { type: "utc" },
        axis: {
          title: "Date (UTC)",
          labelOverlap: true,
          labelSeparation: 8,
          labelFlush: true,
          ...timeTicks(domain),
        },
      },
    },
    layer: [
      {
        data: { values: bars },
        mark: { type: "bar", color: BAR_COLOR, minBandSize: 1 },
        encoding: {
          x2: { field: "end" },
          y: {
            field: "value",
            type: "quantitative",
            scale: { zero: true },
            axis: {
              title: `Bytes ${PER[granularity]} (${barScale.unit})`,
              titleColor: BAR_COLOR,
              tickCount: 5,
            },
          },
          y2: { datum: 0 },
        },
      },
      {
        data: { values: line },
        mark: { type: "line", color: LINE_COLOR, strokeWidth: 2, interpolate: "linear" },
        encoding: {
          y: {
            field: "value",
            type: "quantitative",
            axis: {
              title: `Cumulative bytes (${lineScale.unit})`,
              titleColor: LINE_COLOR,
              orient: "right",
              grid: false,
              tickCount: 5,
            },
          },
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  };
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

/**
 * Ticks and labels for the time axis. Left alone, Vega ticks a few weeks every 12 hours, and over years
 * it labels months by name and the year only at January, which its overlap removal may hide, leaving no
 * year on the axis at all. So: a tick every few days, months with their year, or years.
 */
function timeTicks(domain: [number, number]) {
  const days = (domain[1] - domain[0]) / DAY_MS;
  if (days <= 120) {
    const step = [1, 2, 5, 10, 15, 30].find((n) => days / n <= 8) ?? 30;
    return { tickCount: { interval: "day", step }, format: "%-d %b %Y" } as const;
  }
  if (days <= 3 * 366) {
    const step = [1, 2, 3, 6].find((n) => days / 30.4 / n <= 9) ?? 6;
    return { tickCount: { interval: "month", step }, format: "%b %Y" } as const;
  }
  const step = [1, 2, 5, 10].find((n) => days / 365.25 / n <= 10) ?? 10;
  return { tickCount: { interval: "year", step }, format: "%Y" } as const;
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
const KNOWN_TYPES = Object.keys(TYPE_COLORS);
const OTHER_TYPE_COLORS = ["#a46fb0", "#c5a13a", "#5aa7b5", "#b5615a"];

/** The colour of each of `types` in the asset-type chart, for its legend on the page; types it does not know take the others in turn. */
export function assetTypeColors(types: readonly string[]): string[] {
  let other = 0;
  return types.map((type) => TYPE_COLORS[type] ?? OTHER_TYPE_COLORS[other++ % OTHER_TYPE_COLORS.length]);
}

/**
 * Bytes sent by asset type over time: a stacked bar per week (or month), one colour per type. The
 * stacks are summed here rather than by Vega-Lite's stack transform, so the chart's dataflow only
 * draws: each bar is a `lo`-to-`hi` slice. The time axis is padded as the bytes-over-time chart's.
 * The legend is the page's (see `assetTypeColors`): Vega's doubled the time to draw the chart.
 */
export function assetTypeChart(title: string, series: TypeSeries): ChartSpec {
  const { granularity, types, buckets } = series;
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
  const values: { at: number; end: number; type: string; lo: number; hi: number }[] = [];
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
  // (a domain given to the scale would be written as signals Vega-Lite warns about with x2), and
  // keep weeks of no bytes from leaving the chart without data.
  const domain = paddedDomain(buckets);
  if (buckets.length > 0 && (domain[0] < buckets[0].start || values.length === 0)) {
    values.unshift({ at: domain[0], end: domain[0], type: types[0], lo: 0, hi: 0 });
    values.push({ at: domain[1], end: domain[1], type: types[0], lo: 0, hi: 0 });
  }
  // Every known type in the scale, present or not: the legend is the page's, and one scale for all
  // pages keeps the charts to a shape per time axis rather than one per mix of types.
  const colorDomain = [...KNOWN_TYPES, ...types.filter((type) => !KNOWN_TYPES.includes(type))];
  return {
    description:
      `${title}: ` +
      types.map((type, i) => `${type} ${formatBytes(totals[i])}`).join(", ") +
      ` over ${buckets.length} ${granularity}s`,
    title,
    width: CHART_WIDTH,
    height: 240,
    autosize: { type: "fit-x", contains: "padding" },
    config: CONFIG,
    data: { values },
    mark: { type: "bar", minBandSize: 1 },
    encoding: {
      x: {
        field: "at",
        type: "temporal",
        scale: { type: "utc" },
        axis: {
          title: "Date (UTC)",
          labelOverlap: true,
          labelSeparation: 8,
          labelFlush: true,
          ...timeTicks(domain),
        },
      },
      x2: { field: "end" },
      y: {
        field: "lo",
        type: "quantitative",
        scale: { zero: true },
        axis: { title: `Bytes ${PER[granularity]} (${scale.unit})`, tickCount: 5 },
      },
      y2: { field: "hi" },
      color: {
        field: "type",
        type: "nominal",
        sort: null,
        scale: { domain: colorDomain, range: assetTypeColors(colorDomain) },
        legend: null,
      },
    },
  };
}

export interface BarRow {
  label: string;
  bytes: number;
}

/**
 * Horizontal bars, largest first, each labelled with its size. The axis is stretched a little past the
 * longest bar so its label fits inside the chart.
 */
/** Labels longer than this (in pixels) are cut with an ellipsis. */
const LABEL_LIMIT = 320;

export function barChart(title: string, rows: readonly BarRow[], axisTitle = "Bytes sent"): ChartSpec {
  let peak = 0;
  for (const row of rows) peak = Math.max(peak, row.bytes);
  const scale = byteScaleFor(peak);
  const values = rows.map((row) => ({
    label: row.label,
    value: row.bytes / scale.divisor,
    text: formatBytes(row.bytes),
  }));
  // The plot takes what the labels leave of the chart's width, so short labels give long bars.
  let labelWidth = 0;
  for (const row of rows) labelWidth = Math.max(labelWidth, estimateTextWidth(row.label, 11));
  const plotWidth = CHART_WIDTH - Math.min(labelWidth, LABEL_LIMIT) - 16;
  return {
    description: `${title}: ${rows.map((row) => `${row.label} ${formatBytes(row.bytes)}`).join(", ")}`,
    title,
    width: plotWidth,
    height: { step: 20 },
    config: CONFIG,
    data: { values },
    encoding: {
      y: {
        field: "label",
        type: "nominal",
        sort: null,
        axis: { title: null, labelLimit: LABEL_LIMIT, labelFontSize: 11, ticks: false, labelPadding: 6 },
      },
      x: {
        field: "value",
        type: "quantitative",
        scale: { domain: [0, (peak / scale.divisor) * 1.15 || 1], nice: false },
        axis: { title: `${axisTitle} (${scale.unit})`, tickCount: 6 },
      },
    },
    layer: [
      { mark: { type: "bar", color: BAR_COLOR, cornerRadiusEnd: 2 } },
      {
        mark: { type: "text", align: "left", baseline: "middle", dx: 4, fontSize: 11, color: "#000" },
        encoding: { text: { field: "text" } },
      },
    ],
  };
}
