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
function paddedDomain(buckets: readonly TimeBucket[]): [number, number] {
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
