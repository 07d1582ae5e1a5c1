import {
  assetTypeColors,
  BAR_COLOR,
  type BarRow,
  barRows,
  CHART_WIDTH,
  KNOWN_TYPES,
  LABEL_LIMIT,
  LINE_COLOR,
  PER,
  TIME_HEIGHT,
  type TimeAxis,
  type TypeSeries,
  timeAxis,
  timeRows,
  typeRows,
} from "./chart-data.js";
import type { ChartSpec } from "./render-svg.js";
import type { Granularity, TimeBucket } from "./time-buckets.js";
import { formatBytes } from "./units.js";

/**
 * The report's charts as Vega-Lite specifications, as they were drawn before the pages drew them
 * directly (draw-charts.ts): kept as the reference the direct drawing is checked against
 * (test/report-draw-charts.test.ts), on the same data (chart-data.ts).
 */

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

/** Bytes sent over time: bars per day, week or month, and the running total as a line on its own axis. */
export function timeChart(
  title: string,
  series: { granularity: Granularity; buckets: TimeBucket[] },
): ChartSpec {
  const { granularity, buckets } = series;
  const { bars, line, barScale, lineScale, domain, total } = timeRows(buckets);
  return {
    description: `${title}: ${formatBytes(total)} in all, ${buckets.length} ${granularity}s with downloads`,
    title,
    width: CHART_WIDTH,
    height: TIME_HEIGHT,
    autosize: { type: "fit-x", contains: "padding" },
    config: CONFIG,
    // One x encoding for both layers: bars start `at` a bucket's start, the line's points sit `at` its end.
    encoding: {
      x: dateEncoding(domain),
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

function vegaTimeTicks(axis: TimeAxis) {
  return { tickCount: { interval: axis.interval, step: axis.step }, format: axis.format } as const;
}

/**
 * Bytes sent by asset type over time: a stacked bar per week (or month), one colour per type. The
 * stacks are summed in `typeRows` rather than by Vega-Lite's stack transform, so the chart's dataflow
 * only draws. The legend is the page's (see `assetTypeColors`).
 */
export function assetTypeChart(title: string, series: TypeSeries): ChartSpec {
  const { granularity, types, buckets } = series;
  const { values, scale, totals, span } = typeRows(series);
  // Every known type in the scale, present or not: the legend is the page's.
  const colorDomain = [...KNOWN_TYPES, ...types.filter((type) => !KNOWN_TYPES.includes(type))];
  return {
    description:
      `${title}: ` +
      types.map((type, i) => `${type} ${formatBytes(totals[i])}`).join(", ") +
      ` over ${buckets.length} ${granularity}s`,
    title,
    width: CHART_WIDTH,
    height: TIME_HEIGHT,
    autosize: { type: "fit-x", contains: "padding" },
    config: CONFIG,
    data: { values },
    mark: { type: "bar", minBandSize: 1 },
    encoding: {
      x: dateEncoding(span),
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

/** Horizontal bars, largest first, each labelled with its size. */
export function barChart(title: string, rows: readonly BarRow[], axisTitle = "Bytes sent"): ChartSpec {
  const { values, scale, max, plotWidth } = barRows(rows);
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
        scale: { domain: [0, max], nice: false },
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

/** The time axis both time charts share: bucket starts (`at`) on a UTC scale, ticks as the direct drawing puts them. */
function dateEncoding(span: Parameters<typeof timeAxis>[0]) {
  return {
    field: "at",
    type: "temporal",
    scale: { type: "utc" },
    axis: {
      title: "Date (UTC)",
      labelOverlap: true,
      labelSeparation: 8,
      labelFlush: true,
      ...vegaTimeTicks(timeAxis(span)),
    },
  } as const;
}
