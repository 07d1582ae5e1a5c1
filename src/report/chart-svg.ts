import { escapeHtml } from "./html.js";
import { estimateTextWidth } from "./text-width.js";

/**
 * The pieces of the report's charts as SVG text: text, axes and the layout around a plot, placed by
 * the rules of Vega's layout (vega-view-transforms' axis and title layout, vega-scenegraph's text
 * bounds), which the charts were drawn with before: axes take the room their ticks, labels and titles
 * need, the title sits above everything at its left edge, and the margins are those extents rounded up.
 * Text is filled `#000` and grid lines stroked `#ddd` because the page's stylesheet recolours exactly
 * those for dark mode (see style.ts).
 */

const FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif";
const TEXT_COLOR = "#000";
const GRID_COLOR = "#ddd";
const AXIS_COLOR = "#888";
const LABEL_SIZE = 11;
const AXIS_TITLE_SIZE = 12;
const TITLE_SIZE = 15;
const TITLE_OFFSET = 12;
const TICK_SIZE = 5;
const LABEL_PADDING = 2;
const TITLE_PADDING = 4;
/** The space Vega keeps around the whole chart. */
const PADDING = 5;

/** A bounding box; empty until something is added. */
export class Box {
  x1 = Number.POSITIVE_INFINITY;
  y1 = Number.POSITIVE_INFINITY;
  x2 = Number.NEGATIVE_INFINITY;
  y2 = Number.NEGATIVE_INFINITY;

  add(x: number, y: number): this {
    this.x1 = Math.min(this.x1, x);
    this.y1 = Math.min(this.y1, y);
    this.x2 = Math.max(this.x2, x);
    this.y2 = Math.max(this.y2, y);
    return this;
  }

  union(box: Box): this {
    if (box.x1 > box.x2) return this;
    return this.add(box.x1, box.y1).add(box.x2, box.y2);
  }
}

/**
 * A number for an SVG attribute: two decimals are a hundredth of a pixel. Written from the whole number
 * of hundredths, because turning a fraction into its shortest text was the most of drawing a chart.
 */
export function num(n: number): string {
  const hundredths = Math.round(n * 100);
  if (hundredths % 100 === 0) return String(hundredths / 100);
  const abs = Math.abs(hundredths);
  const cents = abs % 100;
  const fraction = cents < 10 ? `0${cents}` : cents % 10 === 0 ? String(cents / 10) : String(cents);
  return `${hundredths < 0 ? "-" : ""}${Math.floor(abs / 100)}.${fraction}`;
}

type Anchor = "start" | "middle" | "end";
type Baseline = "top" | "middle" | "bottom";

/** Where Vega draws a baseline relative to the text's y, and where the text's box starts above it. */
function baselineShift(baseline: Baseline, size: number): number {
  const factor = baseline === "top" ? 0.79 : baseline === "middle" ? 0.3 : -0.21;
  return Math.round(factor * size);
}

/** The box of a line of text at (x, y), as Vega bounds it. */
function textBox(x: number, y: number, width: number, size: number, anchor: Anchor, baseline: Baseline): Box {
  const top = y + baselineShift(baseline, size) - Math.round(0.8 * size);
  const left = anchor === "start" ? x : anchor === "middle" ? x - width / 2 : x - width;
  return new Box().add(left, top).add(left + width, top + size);
}

interface TextStyle {
  size: number;
  anchor?: Anchor;
  baseline?: Baseline;
  weight?: number;
  fill?: string;
}

/** A `<text>` whose baseline is shifted as Vega shifts it, so that it sits where its box says. */
export function textSvg(x: number, y: number, text: string, style: TextStyle, rotate = 0): string {
  const shift = baselineShift(style.baseline ?? "top", style.size);
  const place =
    rotate === 0
      ? `translate(${num(x)},${num(y + shift)})`
      : `translate(${num(x)},${num(y)}) rotate(${rotate}) translate(0,${shift})`;
  return (
    `<text text-anchor="${style.anchor ?? "start"}" transform="${place}" font-size="${style.size}px"${style.weight === undefined ? "" : ` font-weight="${style.weight}"`} ` +
    `fill="${style.fill ?? TEXT_COLOR}">${escapeHtml(text)}</text>`
  );
}

/** `text` cut with an ellipsis to at most `limit` pixels wide, as Vega cuts labels. */
export function fitText(text: string, size: number, limit: number): string {
  if (estimateTextWidth(text, size) <= limit) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (estimateTextWidth(`${chars.slice(0, mid).join("")}…`, size) <= limit) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join("")}…`;
}

/** A tick of an axis: where it is along the axis, in pixels, and its label. */
export interface Tick {
  at: number;
  label: string;
}

/** An axis drawn: its grid (drawn under everything), the axis itself, and the room it takes. */
export interface DrawnAxis {
  grid: string;
  svg: string;
  box: Box;
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string): string {
  return `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${stroke}"/>`;
}

/**
 * A horizontal axis under a plot `width` by `height`: ticks, grid lines, labels (flush with the ends,
 * and every other one hidden while any two come closer than `separation`), and a title.
 */
export function bottomAxis(
  ticks: readonly Tick[],
  width: number,
  height: number,
  title: string,
  separation: number,
): DrawnAxis {
  const labelY = TICK_SIZE + LABEL_PADDING;
  const labels = ticks.map((tick) => {
    const w = estimateTextWidth(tick.label, LABEL_SIZE);
    const anchor: Anchor = flushAnchor(tick.at, width);
    return { tick, anchor, box: textBox(tick.at, labelY, w, LABEL_SIZE, anchor, "top"), shown: w > 1 };
  });
  hideOverlaps(
    labels.filter((label) => label.shown),
    separation,
  );
  const box = new Box();
  const parts: string[] = [];
  const grid: string[] = [];
  for (const { at } of ticks) {
    const x = Math.round(at) + 0.5;
    grid.push(line(x, 0.5, x, height + 0.5, GRID_COLOR));
    parts.push(line(x, height + 0.5, x, height + 0.5 + TICK_SIZE, AXIS_COLOR));
    box.add(Math.round(at) - 0.5, -0.5).add(Math.round(at) + 0.5, TICK_SIZE + 0.5);
  }
  for (const label of labels) {
    if (!label.shown) continue;
    box.union(label.box);
    parts.push(
      textSvg(label.tick.at + 0.5, height + 0.5 + labelY, label.tick.label, {
        size: LABEL_SIZE,
        anchor: label.anchor,
        baseline: "top",
      }),
    );
  }
  parts.push(line(0.5, height + 0.5, width + 0.5, height + 0.5, AXIS_COLOR));
  const extent = Math.max(0, box.y2);
  box.add(0, 0).add(width, extent);
  const titleY = extent + TITLE_PADDING;
  const titleWidth = estimateTextWidth(title, AXIS_TITLE_SIZE);
  box.union(textBox(width / 2, titleY, titleWidth, AXIS_TITLE_SIZE, "middle", "top"));
  parts.push(
    textSvg(width / 2 + 0.5, height + 0.5 + titleY, title, {
      size: AXIS_TITLE_SIZE,
      anchor: "middle",
      baseline: "top",
      weight: 600,
    }),
  );
  return { grid: grid.join(""), svg: parts.join(""), box: shift(box, 0, height) };
}

/** Vega's `labelFlush`: a label within a pixel of an end of the axis is aligned with that end. */
function flushAnchor(at: number, width: number): Anchor {
  const left = Math.abs(at);
  const right = Math.abs(width - at);
  return left < right && left <= 1 ? "start" : right <= 1 ? "end" : "middle";
}

/**
 * Vega's "parity" overlap removal: hides every other label until no two neighbours come closer than
 * `separation`, keeping at least two; the last is shown rather than the one before it.
 */
function hideOverlaps(labels: { box: Box; shown: boolean }[], separation: number): void {
  const overlap = (items: { box: Box }[]) =>
    items.some(
      (b, i) =>
        i > 0 &&
        separation >
          Math.max(
            b.box.x1 - items[i - 1].box.x2,
            items[i - 1].box.x1 - b.box.x2,
            b.box.y1 - items[i - 1].box.y2,
            items[i - 1].box.y1 - b.box.y2,
          ),
    );
  let items = labels;
  if (items.length < 3 || !overlap(items)) return;
  do {
    items = items.filter((item, i) => {
      if (i % 2 === 1) item.shown = false;
      return i % 2 === 0;
    });
  } while (items.length >= 3 && overlap(items));
  const last = labels[labels.length - 1];
  if (items.length < 3 && !last.shown) {
    if (items.length > 1) items[items.length - 1].shown = false;
    last.shown = true;
  }
}

/** A vertical axis of values at the left or right of a plot `width` by `height`, with its title turned along it. */
export function sideAxis(
  orient: "left" | "right",
  ticks: readonly Tick[],
  width: number,
  height: number,
  title: string,
  options: { grid: boolean; titleColor?: string },
): DrawnAxis {
  const sign = orient === "left" ? -1 : 1;
  const x0 = orient === "left" ? 0.5 : width + 0.5;
  const labelX = sign * (TICK_SIZE + LABEL_PADDING);
  const anchor: Anchor = orient === "left" ? "end" : "start";
  const box = new Box();
  const parts: string[] = [];
  const grid: string[] = [];
  for (const tick of ticks) {
    const y = Math.round(tick.at);
    if (options.grid) grid.push(line(0.5, y + 0.5, width + 0.5, y + 0.5, GRID_COLOR));
    parts.push(line(x0, y + 0.5, x0 + sign * TICK_SIZE, y + 0.5, AXIS_COLOR));
    box.add(sign * (TICK_SIZE + 0.5), y - 0.5).add(sign * -0.5, y + 0.5);
  }
  for (const tick of ticks) {
    const w = estimateTextWidth(tick.label, LABEL_SIZE);
    box.union(textBox(labelX, tick.at, w, LABEL_SIZE, anchor, "middle"));
    parts.push(
      textSvg(x0 + labelX, tick.at + 0.5, tick.label, { size: LABEL_SIZE, anchor, baseline: "middle" }),
    );
  }
  parts.push(line(x0, 0.5, x0, height + 0.5, AXIS_COLOR));
  const extent = Math.max(0, orient === "left" ? -box.x1 : box.x2);
  box.add(sign * extent, 0).add(0, height);
  const titleX = sign * (extent + TITLE_PADDING);
  const titleWidth = estimateTextWidth(title, AXIS_TITLE_SIZE);
  // Turned a quarter, the title's box is its unturned box on its side, reaching away from the plot.
  const shiftUp = baselineShift("bottom", AXIS_TITLE_SIZE);
  const depth = [
    shiftUp - Math.round(0.8 * AXIS_TITLE_SIZE),
    shiftUp - Math.round(0.8 * AXIS_TITLE_SIZE) + AXIS_TITLE_SIZE,
  ];
  box
    .add(titleX - sign * depth[0], height / 2 - titleWidth / 2)
    .add(titleX - sign * depth[1], height / 2 + titleWidth / 2);
  parts.push(
    textSvg(
      x0 + titleX,
      height / 2 + 0.5,
      title,
      { size: AXIS_TITLE_SIZE, anchor: "middle", baseline: "bottom", weight: 600, fill: options.titleColor },
      sign * 90,
    ),
  );
  return { grid: grid.join(""), svg: parts.join(""), box: shift(box, orient === "left" ? 0 : width, 0) };
}

/** The labels of a band axis at the left of a plot, one per band centre, without ticks or title. */
export function bandAxis(labels: readonly Tick[], height: number, limit: number): DrawnAxis {
  const padding = 6;
  const box = new Box();
  const parts: string[] = [];
  for (const { at, label } of labels) {
    const text = fitText(label, LABEL_SIZE, limit);
    box.union(textBox(-padding, at, estimateTextWidth(text, LABEL_SIZE), LABEL_SIZE, "end", "middle"));
    parts.push(textSvg(-padding + 0.5, at, text, { size: LABEL_SIZE, anchor: "end", baseline: "middle" }));
  }
  parts.push(line(0.5, 0.5, 0.5, height + 0.5, AXIS_COLOR));
  return { grid: "", svg: parts.join(""), box: box.add(0, 0).add(0, height) };
}

function shift(box: Box, dx: number, dy: number): Box {
  if (box.x1 > box.x2) return box;
  return new Box().add(box.x1 + dx, box.y1 + dy).add(box.x2 + dx, box.y2 + dy);
}

/** The parts of a chart, in the plot's coordinates, to be laid out around it. */
export interface ChartParts {
  title: string;
  /** The plot's size. */
  width: number;
  height: number;
  axes: DrawnAxis[];
  /** The marks, and the room they take beyond the plot. */
  marks: string;
  marksBox: Box;
}

/** Where a chart's plot goes: its origin in the SVG, and the SVG's size. */
export interface Layout {
  left: number;
  top: number;
  right: number;
  bottom: number;
  titleX: number;
  titleY: number;
}

/** The margins around a plot of `width` by `height` that its axes, marks and title need, as Vega's view layout gives them. */
export function layoutOf(parts: Omit<ChartParts, "marks">): Layout {
  const bounds = new Box().add(0, 0).add(parts.width, parts.height);
  for (const axis of parts.axes) bounds.union(axis.box);
  bounds.union(parts.marksBox);
  const titleX = bounds.x1;
  const titleY = bounds.y1 - TITLE_SIZE - TITLE_OFFSET;
  bounds.union(
    textBox(titleX, titleY, estimateTextWidth(parts.title, TITLE_SIZE), TITLE_SIZE, "start", "top"),
  );
  return {
    left: Math.max(0, Math.ceil(-bounds.x1)),
    top: Math.max(0, Math.ceil(-bounds.y1)),
    right: Math.max(0, Math.ceil(bounds.x2 - parts.width)),
    bottom: Math.max(0, Math.ceil(bounds.y2 - parts.height)),
    titleX,
    titleY,
  };
}

/** The chart as an SVG document: the plot at its margins, grids under axes under marks, the title above. */
export function chartSvg(parts: ChartParts, layout: Layout): string {
  const width = parts.width + layout.left + layout.right + 2 * PADDING;
  const height = parts.height + layout.top + layout.bottom + 2 * PADDING;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="marks" width="${num(width)}" height="${num(height)}" ` +
    `viewBox="0 0 ${num(width)} ${num(height)}">` +
    `<g fill="none" font-family="${FONT}" transform="translate(${layout.left + PADDING},${layout.top + PADDING})">` +
    parts.axes.map((axis) => axis.grid).join("") +
    parts.axes.map((axis) => axis.svg).join("") +
    parts.marks +
    textSvg(layout.titleX, layout.titleY, parts.title, {
      size: TITLE_SIZE,
      anchor: "start",
      baseline: "top",
      weight: 600,
    }) +
    "</g></svg>"
  );
}
