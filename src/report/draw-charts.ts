import {
  assetTypeColors,
  BAR_COLOR,
  BAR_STEP,
  type BarRow,
  barRows,
  CHART_WIDTH,
  LABEL_LIMIT,
  LINE_COLOR,
  PER,
  TIME_HEIGHT,
  type TypeSeries,
  timeAxis,
  timeExtent,
  timeRows,
  typeRows,
} from "./chart-data.js";
import {
  linearTicks,
  niceDomain,
  type TimeInterval,
  tickFormat,
  timeLabel,
  timeTicks,
} from "./chart-scales.js";
import {
  Box,
  bandAxis,
  bottomAxis,
  type ChartParts,
  chartSvg,
  type DrawnAxis,
  layoutOf,
  num,
  sideAxis,
  type Tick,
  textSvg,
} from "./chart-svg.js";
import { estimateTextWidth } from "./text-width.js";
import type { Granularity, TimeBucket } from "./time-buckets.js";

/**
 * The report's charts, drawn as SVG text: bytes over time (bars and the running total), bytes by asset
 * type (stacked bars) and the top-N rankings (horizontal bars). They were drawn with Vega-Lite and Vega,
 * whose loading and rendering took most of a quiet day's report; drawn here they look the same (sizes,
 * axes, ticks, labels, colours: test/report-draw-charts.test.ts checks them against Vega's drawing of
 * chart-specs.ts) for a fraction of the time, and a page of charts never loads Vega.
 */

const PADDING = 5;
const LABEL_SEPARATION = 8;

/** A linear scale from `domain` to `range`. */
function linear(domain: [number, number], range: [number, number]): (value: number) => number {
  const span = domain[1] - domain[0];
  const k = span === 0 ? 0 : (range[1] - range[0]) / span;
  // An empty domain maps to the middle of the range, as d3-scale does.
  return span === 0 ? () => (range[0] + range[1]) / 2 : (value) => range[0] + (value - domain[0]) * k;
}

/** The ticks of a value axis over `[0, max]` niced, as Vega's `nice` scale and `tickCount` give them. */
function valueAxis(
  max: number,
  count: number,
  length: number,
  nice: boolean,
): { at: (value: number) => number; ticks: Tick[] } {
  const domain: [number, number] = nice ? niceDomain(0, max) : [0, max];
  const at = linear(domain, [length, 0]);
  const format = tickFormat(domain[0], domain[1], count);
  const ticks = linearTicks(domain[0], domain[1], count).map((value) => ({
    at: at(value),
    label: format(value),
  }));
  return { at, ticks };
}

function timeAxisTicks(domain: [number, number], span: [number, number], x: (at: number) => number): Tick[] {
  const { interval, step } = timeAxis(span);
  return timeTicks(domain[0], domain[1], interval as TimeInterval, step).map((at) => ({
    at: x(at),
    label: timeLabel(at, interval),
  }));
}

/** A bar from `x0` to `x1` and `y0` to `y1`, as the path Vega writes; at least a pixel wide, as `minBandSize` asks. */
function barPath(x0: number, x1: number, y0: number, y1: number, fill: string): string {
  let x = Math.min(x0, x1);
  let w = Math.abs(x1 - x0);
  if (w < 1) {
    x -= (1 - w) / 2;
    w = 1;
  }
  const y = Math.min(y0, y1);
  const h = Math.abs(y1 - y0);
  return `<path role="graphics-symbol" aria-roledescription="bar" d="M${num(x)},${num(y)}h${num(w)}v${num(h)}h${num(-w)}Z" fill="${fill}"/>`;
}

/** A chart's axes at a width, the room its marks take, and its marks, drawn once the width is settled. */
interface WidthParts {
  axes: DrawnAxis[];
  marksBox: Box;
  marks: () => string;
}

/**
 * Lays out a chart whose plot fills `CHART_WIDTH` less its margins, as Vega's `fit-x` autosize does:
 * the margins are those of a first layout, and the axes are drawn again at the width they leave.
 */
function fitWidth(title: string, height: number, draw: (width: number) => WidthParts): string {
  let width = CHART_WIDTH - 2 * PADDING;
  let parts = draw(width);
  let layout = layoutOf({ title, width, height, axes: parts.axes, marksBox: parts.marksBox });
  for (let round = 0; round < 3; round++) {
    const fitted = Math.max(0, CHART_WIDTH - 2 * PADDING - layout.left - layout.right);
    if (fitted === width) break;
    width = fitted;
    parts = draw(width);
    layout = layoutOf({ title, width, height, axes: parts.axes, marksBox: parts.marksBox });
  }
  return chartSvg(
    { title, width, height, axes: parts.axes, marks: parts.marks(), marksBox: parts.marksBox },
    layout,
  );
}

/** Bytes sent over time: a bar per day, week or month, and the running total as a line on its own axis. */
export function drawTimeChart(
  title: string,
  series: { granularity: Granularity; buckets: TimeBucket[] },
): string {
  const { bars, line, barScale, lineScale, domain } = timeRows(series.buckets);
  let peak = 0;
  for (const bar of bars) peak = Math.max(peak, bar.value);
  const total = line.length === 0 ? 0 : line[line.length - 1].value;
  const height = TIME_HEIGHT;
  return fitWidth(title, height, (width) => {
    const x = linear(domain, [0, width]);
    const left = valueAxis(peak, 5, height, true);
    const right = valueAxis(total, 5, height, true);
    const axes: DrawnAxis[] = [
      bottomAxis(timeAxisTicks(domain, domain, x), width, height, "Date (UTC)", LABEL_SEPARATION),
      sideAxis("left", left.ticks, width, height, `Bytes ${PER[series.granularity]} (${barScale.unit})`, {
        grid: true,
        titleColor: BAR_COLOR,
      }),
      sideAxis("right", right.ticks, width, height, `Cumulative bytes (${lineScale.unit})`, {
        grid: false,
        titleColor: LINE_COLOR,
      }),
    ];
    const marksBox = new Box();
    const points = line.map((point) => [x(point.at), right.at(point.value)]);
    for (const [px, py] of points) marksBox.add(px - 1, py - 1).add(px + 1, py + 1);
    const marks = () => {
      const rects = bars.map((bar) =>
        barPath(x(bar.at), x(bar.end), left.at(bar.value), left.at(0), BAR_COLOR),
      );
      const d = points.map(([px, py], i) => `${i === 0 ? "M" : "L"}${num(px)},${num(py)}`).join("");
      return (
        `<g class="mark-rect role-mark bars">${rects.join("")}</g>` +
        `<g class="mark-line role-mark running-total"><path role="graphics-symbol" aria-roledescription="line mark" d="${d}" stroke="${LINE_COLOR}" stroke-width="2"/></g>`
      );
    };
    return { axes, marks, marksBox };
  });
}

/** Bytes sent by asset type over time: a stacked bar per week (or month), one colour per type. */
export function drawAssetTypeChart(title: string, series: TypeSeries): string {
  const { values, scale, span } = typeRows(series);
  const colors = assetTypeColors(series.types);
  const colorOf = new Map(series.types.map((type, i) => [type, colors[i]]));
  const domain = values.length === 0 ? span : timeExtent(values);
  let peak = 0;
  for (const value of values) peak = Math.max(peak, value.hi);
  const height = TIME_HEIGHT;
  return fitWidth(title, height, (width) => {
    const x = linear(domain, [0, width]);
    const y = valueAxis(peak, 5, height, true);
    const axes = [
      bottomAxis(timeAxisTicks(domain, span, x), width, height, "Date (UTC)", LABEL_SEPARATION),
      sideAxis("left", y.ticks, width, height, `Bytes ${PER[series.granularity]} (${scale.unit})`, {
        grid: true,
      }),
    ];
    const marks = () => {
      const rects = values
        .filter((value) => value.hi > value.lo)
        .map((value) =>
          barPath(
            x(value.at),
            x(value.end),
            y.at(value.lo),
            y.at(value.hi),
            colorOf.get(value.type) ?? BAR_COLOR,
          ),
        );
      return `<g class="mark-rect role-mark bars">${rects.join("")}</g>`;
    };
    return { axes, marks, marksBox: new Box() };
  });
}

const CORNER = 2;
const VALUE_LABEL_OFFSET = 4;
const LABEL_SIZE = 11;

/** A bar from the axis to `w`, its far end rounded. */
function roundedBar(y: number, w: number, h: number): string {
  const r = Math.min(CORNER, w / 2, h / 2);
  const d =
    r <= 0
      ? `M0,${num(y)}h${num(w)}v${num(h)}h${num(-w)}Z`
      : `M0,${num(y)}h${num(w - r)}a${num(r)},${num(r)} 0 0 1 ${num(r)},${num(r)}v${num(h - 2 * r)}` +
        `a${num(r)},${num(r)} 0 0 1 ${num(-r)},${num(r)}h${num(r - w)}Z`;
  return `<path role="graphics-symbol" aria-roledescription="bar" d="${d}" fill="${BAR_COLOR}"/>`;
}

/** Horizontal bars, largest first, each labelled with its size, the axis stretched so the longest bar's label fits. */
export function drawBarChart(title: string, rows: readonly BarRow[], axisTitle = "Bytes sent"): string {
  const { values, scale, max, plotWidth } = barRows(rows);
  const width = plotWidth;
  const height = BAR_STEP * values.length;
  const x = linear([0, max], [0, width]);
  // Vega-Lite's band scale: a tenth of each step between bars, half that before the first and after the last.
  const band = BAR_STEP * 0.9;
  const top = (i: number) => (height - BAR_STEP * (values.length - 0.1)) / 2 + i * BAR_STEP;
  const format = tickFormat(0, max, 6);
  const ticks = linearTicks(0, max, 6).map((value) => ({ at: x(value), label: format(value) }));
  const axes = [
    bottomAxis(ticks, width, height, `${axisTitle} (${scale.unit})`, 0),
    bandAxis(
      values.map((value, i) => ({ at: top(i) + band / 2, label: value.label })),
      height,
      LABEL_LIMIT,
    ),
  ];
  const marksBox = new Box();
  const bars: string[] = [];
  const texts: string[] = [];
  for (const [i, value] of values.entries()) {
    const end = x(value.value);
    const middle = top(i) + band / 2;
    bars.push(roundedBar(top(i), end, band));
    texts.push(
      textSvg(end + VALUE_LABEL_OFFSET, middle, value.text, { size: LABEL_SIZE, baseline: "middle" }),
    );
    const w = estimateTextWidth(value.text, LABEL_SIZE);
    marksBox.add(end + VALUE_LABEL_OFFSET, middle - 6).add(end + VALUE_LABEL_OFFSET + w, middle + 5);
  }
  const parts: ChartParts = {
    title,
    width,
    height,
    axes,
    marks:
      `<g class="mark-rect role-mark bars">${bars.join("")}</g>` +
      `<g class="mark-text role-mark values">${texts.join("")}</g>`,
    marksBox,
  };
  return chartSvg(parts, layoutOf(parts));
}
