import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BarRow, TypeSeries } from "../src/report/chart-data.ts";
import { assetTypeChart, barChart, timeChart } from "../src/report/chart-specs.ts";
import { drawAssetTypeChart, drawBarChart, drawTimeChart } from "../src/report/draw-charts.ts";
import { type ChartSpec, renderSvg } from "../src/report/render-svg.ts";
import { bucketByTime } from "../src/report/time-buckets.ts";
import type { UsageRow } from "../src/report/usage.ts";

/**
 * The charts drawn directly (draw-charts.ts) against Vega's drawing of the same charts' Vega-Lite
 * specifications (chart-specs.ts), on the same data: the same size, the same bars within a pixel, the
 * same texts (title, axis titles, tick labels, bar values) shown at the same places within a pixel,
 * the same grid lines, and the running total's points.
 */

const DAY_MS = 86_400_000;

/** A small seeded generator, so that the cases are the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function days(seed: number, first: string, span: number, count: number, scale: number): UsageRow[] {
  const next = random(seed);
  const start = Date.parse(`${first}T00:00:00Z`);
  const chosen = new Set<number>([0, span - 1]);
  while (chosen.size < Math.min(count, span)) chosen.add(Math.floor(next() * span));
  return [...chosen]
    .sort((a, b) => a - b)
    .map((day) => ({
      key: new Date(start + day * DAY_MS).toISOString().slice(0, 10),
      bytes: Math.round(1 + next() ** 3 * scale),
      requests: 1,
    }));
}

const TIME_CASES: [string, UsageRow[]][] = [
  ["one day", days(1, "2024-01-31", 1, 1, 4.5e5)],
  ["three days in a week", days(2, "2024-02-27", 6, 3, 8e9)],
  ["a busy month", days(3, "2024-01-01", 31, 31, 3.6e7 * 40)],
  ["thirteen days", days(4, "2023-12-30", 13, 9, 2e12)],
  ["sixty days", days(5, "2024-05-03", 60, 40, 7e8)],
  ["half a year in weeks", days(6, "2023-09-14", 200, 90, 5e13)],
  ["two years in weeks", days(7, "2022-03-01", 700, 300, 9e5)],
  ["six years in months", days(8, "2019-06-20", 6 * 365, 500, 3e15)],
  ["eleven years in months", days(9, "2013-01-05", 11 * 365, 400, 1e10)],
];

function typeSeries(seed: number, first: string, weeks: number, types: string[], scale: number): TypeSeries {
  const next = random(seed);
  const start = Date.parse(`${first}T00:00:00Z`);
  const buckets = [];
  for (let week = 0; week < weeks; week++) {
    if (week > 0 && week < weeks - 1 && next() < 0.3) continue;
    buckets.push({
      start: start + week * 7 * DAY_MS,
      end: start + (week + 1) * 7 * DAY_MS,
      bytes: types.map(() => (next() < 0.2 ? 0 : Math.round(next() * scale))),
    });
  }
  return { granularity: "week", types, buckets };
}

const TYPE_CASES: [string, TypeSeries][] = [
  ["one week", typeSeries(1, "2024-01-29", 1, ["Neurophysiology", "Miscellaneous"], 5e8)],
  ["two weeks", typeSeries(2, "2024-01-22", 2, ["Neurophysiology", "Microscopy", "Video"], 3e11)],
  [
    "a quarter",
    typeSeries(3, "2023-10-02", 13, ["Neurophysiology", "Microscopy", "Video", "Miscellaneous"], 9e12),
  ],
  ["two years", typeSeries(4, "2022-01-03", 104, ["Microscopy", "Miscellaneous", "Other"], 2e9)],
  [
    "months",
    {
      granularity: "month",
      types: ["Neurophysiology", "Video"],
      buckets: [0, 3, 4, 9, 30, 47].map((month, i) => ({
        start: Date.UTC(2019, month, 1),
        end: Date.UTC(2019, month + 1, 1),
        bytes: [(i + 1) * 3e11, i % 2 === 0 ? 0 : 4e10],
      })),
    },
  ],
];

function barRowsOf(seed: number, count: number, labels: (i: number) => string, scale: number): BarRow[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => ({
    label: labels(i),
    bytes: Math.round(scale * next() ** 2),
  })).sort((a, b) => b.bytes - a.bytes);
}

const BAR_CASES: [string, BarRow[]][] = [
  ["one region", [{ label: "US/California", bytes: 4.5e5 }]],
  [
    "regions",
    barRowsOf(
      1,
      15,
      (i) =>
        ["US/California", "AWS/us-east-1", "DE", "GB", "GCP/europe-west1"][i % 5] + (i >= 5 ? ` ${i}` : ""),
      3e12,
    ),
  ],
  ["assets", barRowsOf(2, 20, (i) => `sub-${i}_ses-20240101T120000_behavior+ecephys+ogen.nwb`, 8e9)],
  [
    "long labels, cut",
    barRowsOf(3, 8, (i) => `${"sub-mouse-with-a-very-long-name_".repeat(3)}${i}_ecephys.nwb`, 6e6),
  ],
  ["versions", barRowsOf(4, 25, (i) => `0.2${String(i).padStart(2, "0")}1231.1742`, 9e14)],
  [
    "tiny",
    [
      { label: "DE", bytes: 999 },
      { label: "FR", bytes: 1 },
    ],
  ],
];

interface Drawn {
  /** Width, height and the viewBox's four numbers. */
  size: number[];
  bars: number[][];
  texts: { text: string; x: number; y: number }[];
  gridLines: number;
  line: number[][];
}

/** The parts of an SVG to compare, at their places on the page: the enclosing groups' translations summed. */
function readSvg(svg: string): Drawn {
  const size = svg.match(/^<svg [^>]*?width="([^"]+)" height="([^"]+)" viewBox="([^"]+)"/);
  assert.ok(size !== null, "no size");
  const numbers = `${size[1]} ${size[2]} ${size[3]}`.split(" ").map(Number);
  const drawn: Drawn = { size: numbers, bars: [], texts: [], gridLines: 0, line: [] };
  const offsets: [number, number][] = [[0, 0]];
  const translate = (attributes: string): [number, number] => {
    const match = attributes.match(/transform="translate\(([-\d.e]+),([-\d.e]+)\)/);
    return match === null ? [0, 0] : [Number(match[1]), Number(match[2])];
  };
  for (const tag of svg.matchAll(/<(\/?)(\w+)([^>]*?)(\/?)>([^<]*)/g)) {
    const [, closing, name, attributes, selfClosing, after] = tag;
    const [ox, oy] = offsets[offsets.length - 1];
    if (name === "g") {
      if (closing) offsets.pop();
      else {
        const [dx, dy] = translate(attributes);
        offsets.push([ox + dx, oy + dy]);
      }
      continue;
    }
    if (closing || (name === "clipPath" && !selfClosing)) continue;
    if (name === "path" && attributes.includes('aria-roledescription="bar"')) {
      const box = barBox(attributes, ox, oy);
      // Vega draws the rows of no height that widen a short time axis, and both draw bars too low to see.
      if (box[3] - box[1] >= 0.5) drawn.bars.push(box);
    } else if (name === "path" && attributes.includes('aria-roledescription="line mark"')) {
      const d = attributes.match(/ d="([^"]+)"/)?.[1] ?? "";
      for (const point of d.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g))
        drawn.line.push([ox + Number(point[1]), oy + Number(point[2])]);
    } else if (name === "line" && attributes.includes('stroke="#ddd"')) {
      drawn.gridLines++;
    } else if (name === "text" && !attributes.includes('opacity="0"')) {
      const [dx, dy] = translate(attributes);
      drawn.texts.push({ text: after, x: ox + dx, y: oy + dy });
    }
  }
  drawn.texts.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : a.x - b.x || a.y - b.y));
  drawn.bars.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return drawn;
}

/** A bar's box, left, top, right and bottom, from the path of a rectangle or of a bar with rounded ends. */
function barBox(attributes: string, ox: number, oy: number): number[] {
  const d = attributes.match(/ d="([^"]+)"/)?.[1] ?? "";
  const rect = d.match(/^M([-\d.e]+),([-\d.e]+)h([-\d.e]+)v([-\d.e]+)h/);
  if (rect !== null) {
    const [x, y, w, h] = rect.slice(1).map(Number);
    return [ox + x, oy + y, ox + x + w, oy + y + h];
  }
  // A bar with a rounded end: its moves followed.
  let x = 0;
  let y = 0;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const step of d.matchAll(/([MhvaLCZ])([^MhvaLCZ]*)/g)) {
    const args = step[2].match(/-?[\d.]+(e-?\d+)?/g)?.map(Number) ?? [];
    if (step[1] === "M" || step[1] === "L") [x, y] = args;
    else if (step[1] === "h") x += args[0];
    else if (step[1] === "v") y += args[0];
    else if (step[1] === "a") [x, y] = [x + args[5], y + args[6]];
    else if (step[1] === "C") [x, y] = args.slice(-2);
    xs.push(x);
    ys.push(y);
  }
  return [ox + Math.min(...xs), oy + Math.min(...ys), ox + Math.max(...xs), oy + Math.max(...ys)];
}

async function compare(spec: ChartSpec, direct: string, name: string): Promise<void> {
  const warnings: string[] = [];
  const vega = readSvg(await renderSvg(spec, warnings));
  assert.deepEqual(warnings, [], name);
  const mine = readSvg(direct);
  assert.deepEqual(
    mine.size,
    vega.size.map((n) => Math.round(n * 100) / 100),
    `${name}: size`,
  );
  assert.equal(mine.gridLines, vega.gridLines, `${name}: grid lines`);
  assert.deepEqual(
    mine.texts.map((t) => t.text),
    vega.texts.map((t) => t.text),
    `${name}: texts`,
  );
  for (const [i, text] of mine.texts.entries()) {
    const other = vega.texts[i];
    assert.ok(
      Math.abs(text.x - other.x) <= 1 && Math.abs(text.y - other.y) <= 1,
      `${name}: "${text.text}" at ${text.x},${text.y}, Vega's at ${other.x},${other.y}`,
    );
  }
  assert.equal(mine.bars.length, vega.bars.length, `${name}: bars`);
  for (const [i, bar] of mine.bars.entries())
    assert.ok(
      bar.every((v, j) => Math.abs(v - vega.bars[i][j]) <= 1),
      `${name}: bar ${bar.join(",")}, Vega's ${vega.bars[i].join(",")}`,
    );
  assert.equal(mine.line.length, vega.line.length, `${name}: line points`);
  for (const [i, point] of mine.line.entries())
    assert.ok(
      Math.abs(point[0] - vega.line[i][0]) <= 1 && Math.abs(point[1] - vega.line[i][1]) <= 1,
      `${name}: line point ${point.join(",")}, Vega's ${vega.line[i].join(",")}`,
    );
}

describe("charts drawn directly, against Vega's drawing of the same charts", () => {
  for (const [name, byDay] of TIME_CASES)
    test(`bytes over time: ${name}`, async () => {
      const series = bucketByTime(byDay);
      const title = `Dandiset 000123: bytes sent per ${series.granularity}`;
      await compare(timeChart(title, series), drawTimeChart(title, series), name);
    });
  for (const [name, series] of TYPE_CASES)
    test(`bytes by asset type: ${name}`, async () => {
      const title = `All Dandisets: bytes sent by asset type per ${series.granularity}`;
      await compare(assetTypeChart(title, series), drawAssetTypeChart(title, series), name);
    });
  for (const [name, rows] of BAR_CASES)
    test(`top bars: ${name}`, async () => {
      await compare(barChart("Bytes sent by region", rows), drawBarChart("Bytes sent by region", rows), name);
    });
});
