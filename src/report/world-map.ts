import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { whereAlpha2 } from "iso-3166-1";
import { writeFileAtomic } from "../io/atomic-file.js";
import { packageFileStamp, packageVersionOf } from "../io/package-stamp.js";
import { readCacheText } from "../io/prebuilt-caches.js";
import { settingsFolder } from "../io/settings.js";
import { escapeHtml, renderFigure } from "./html.js";
import { countryName, countryOf } from "./regions.js";
import { renderSvg } from "./render-svg.js";
import { formatBytes } from "./units.js";
import type { UsageRow } from "./usage.js";

/** One country's outline, projected: its ISO 3166-1 numeric code and its SVG path. */
interface CountryShape {
  numeric: string;
  d: string;
}

export interface WorldShapes {
  width: number;
  height: number;
  shapes: CountryShape[];
}

const WIDTH = 640;
const HEIGHT = 320;
/** Light to dark: more bytes, darker. Countries without traffic stay grey. */
const COLORS = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
const NO_TRAFFIC = "#e5e7eb";
const LEGEND_HEIGHT = 28;

let drawing: Promise<WorldShapes> | null = null;

/** Bumped when the drawing changes, so that outlines kept from an older version are drawn again. */
const OUTLINES_FORMAT = 1;

/**
 * The countries of Natural Earth (the `world-atlas` package, 1:110 m), drawn by Vega-Lite's
 * `geoshape` mark in an Equal Earth projection once, then kept in the settings folder's cache: a
 * report run (a daily one draws a few pages) reads 80 kB instead of drawing them again (0.1-0.7 s).
 * Each page then only colours these paths, which is string work. Worker threads that draw pages are
 * handed them (`adoptWorldShapes`), so that with a cold cache only one thread draws them.
 */
export function worldShapes(): Promise<WorldShapes> {
  drawing ??= cachedShapes();
  return drawing;
}

/** Makes this thread colour `shapes`, as drawn by another thread, instead of drawing its own. */
export function adoptWorldShapes(shapes: WorldShapes): void {
  drawing = Promise.resolve(shapes);
}

async function cachedShapes(): Promise<WorldShapes> {
  const require = createRequire(import.meta.url);
  const atlas = require.resolve("world-atlas/countries-110m.json");
  // Named after what the drawing comes from, not the files' times, which a fresh install changes:
  // the outlines (io/package-stamp.ts) and the projection's code, Vega's and Vega-Lite's versions.
  const renderers = ["vega", "vega-lite"].map((name) => packageVersionOf(require.resolve(name)));
  const stamp = `${packageFileStamp(atlas) ?? fs.statSync(atlas).size.toString(36)}-${renderers.join("-")}`;
  const cache = path.join(settingsFolder(), "cache", `world-outlines-${OUTLINES_FORMAT}-${stamp}.json`);
  try {
    const kept = JSON.parse(readCacheText(cache) ?? "null") as WorldShapes | null;
    if (kept !== null && Array.isArray(kept.shapes) && kept.shapes.length >= 100) return kept;
  } catch {
    // An unreadable cache is drawn again below.
  }
  const shapes = await drawShapes(atlas);
  try {
    writeFileAtomic(cache, `${JSON.stringify(shapes)}\n`);
  } catch {
    // A settings folder that cannot be written costs the drawing next time, nothing else.
  }
  return shapes;
}

async function drawShapes(atlas: string): Promise<WorldShapes> {
  const topology = JSON.parse(fs.readFileSync(atlas, "utf8")) as unknown;
  const spec = {
    width: WIDTH,
    height: HEIGHT,
    padding: 0,
    autosize: "none",
    data: { values: topology, format: { type: "topojson", feature: "countries" } },
    projection: { type: "equalEarth" },
    mark: { type: "geoshape" },
    // The description becomes each path's aria-label: how the drawn paths are told apart.
    encoding: { description: { field: "id", type: "nominal" } },
  };
  const svg = await renderSvg(spec as Parameters<typeof renderSvg>[0]);
  const shapes: CountryShape[] = [];
  for (const match of svg.matchAll(/<path aria-label="([^"]*)"[^>]*? d="([^"]*)"/g)) {
    if (!/^\d{3}$/.test(match[1])) continue; // shapes without a code (disputed areas) stay undrawn
    shapes.push({ numeric: match[1], d: roundPath(match[2]) });
  }
  if (shapes.length < 100) throw new Error(`the world map drew only ${shapes.length} countries`);
  return { width: WIDTH, height: HEIGHT, shapes };
}

/**
 * Whole pixels are fine at this size and halve what every page carries; an island that whole
 * pixels would flatten to a line keeps a decimal.
 */
function roundPath(d: string): string {
  for (const scale of [1, 10]) {
    const rounded = d.replace(/-?\d+(\.\d+)?/g, (n) => String(Math.round(Number(n) * scale) / scale));
    const numbers = (rounded.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
    const xs = numbers.filter((_, i) => i % 2 === 0);
    const ys = numbers.filter((_, i) => i % 2 === 1);
    if (Math.max(...xs) > Math.min(...xs) && Math.max(...ys) > Math.min(...ys)) return rounded;
  }
  return d;
}

/** ISO numeric codes by alpha-2 code, as asked for: the package's lookup walks its whole list each time. */
const numericCodes = new Map<string, string | undefined>();

function numericCodeOf(alpha2: string): string | undefined {
  if (!numericCodes.has(alpha2)) numericCodes.set(alpha2, whereAlpha2(alpha2)?.numeric);
  return numericCodes.get(alpha2);
}

/** The bytes of each country (ISO numeric code), from regions such as `US/California` and `DE`. */
function bytesByCountry(byRegion: readonly UsageRow[]): Map<string, { code: string; bytes: number }> {
  const countries = new Map<string, { code: string; bytes: number }>();
  for (const row of byRegion) {
    const code = countryOf(row.key);
    if (code === null) continue;
    const numeric = numericCodeOf(code);
    if (numeric === undefined) continue;
    const entry = countries.get(numeric) ?? { code, bytes: 0 };
    entry.bytes += row.bytes;
    countries.set(numeric, entry);
  }
  return countries;
}

/**
 * A choropleth of bytes sent by country, as an SVG figure: darker is more, on a log scale in five
 * steps from the least to the most a country received. Networks (cloud providers) and unknown
 * places have no country and are left out, as the caption says.
 */
export async function renderWorldMap(byRegion: readonly UsageRow[], title: string): Promise<string> {
  const { width, height, shapes } = await worldShapes();
  const countries = bytesByCountry(byRegion);
  const values = [...countries.values()].map((c) => c.bytes).filter((b) => b > 0);
  const low = values.length === 0 ? 0 : Math.log(Math.min(...values));
  const high = values.length === 0 ? 0 : Math.log(Math.max(...values));
  const step = (bytes: number) =>
    high <= low
      ? COLORS.length - 1
      : Math.min(COLORS.length - 1, Math.floor(((Math.log(bytes) - low) / (high - low)) * COLORS.length));
  const paths: string[] = [];
  for (const shape of shapes) {
    const country = countries.get(shape.numeric);
    if (country === undefined || country.bytes <= 0) {
      paths.push(`<path d="${shape.d}" fill="${NO_TRAFFIC}"/>`);
    } else {
      const name = escapeHtml(countryName(country.code));
      paths.push(
        `<path d="${shape.d}" fill="${COLORS[step(country.bytes)]}" data-country="${country.code}">` +
          `<title>${name}: ${formatBytes(country.bytes)}</title></path>`,
      );
    }
  }
  const legend = values.length === 0 ? "" : legendSvg(low, high, height);
  const label = escapeHtml(title);
  const svg =
    `<svg class="world-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height + LEGEND_HEIGHT}" ` +
    `width="${width}" height="${height + LEGEND_HEIGHT}" role="img" aria-label="${label}">` +
    `<title>${label}</title><g stroke="#fff" stroke-width="0.5">${paths.join("")}</g>${legend}</svg>`;
  const shown = [...countries.values()].filter((c) => c.bytes > 0).length;
  return renderFigure(
    svg,
    shown === 0
      ? "No traffic could be placed in a country (cloud networks and unknown places have none)."
      : `${shown} ${shown === 1 ? "country" : "countries"} received bytes; darker is more, on a log scale. ` +
          "Cloud networks and unknown places belong to no country and are not shown.",
  );
}

function legendSvg(low: number, high: number, top: number): string {
  const boxes = COLORS.map((color, i) => {
    const x = 10 + i * 60;
    return `<rect x="${x}" y="${top + 8}" width="60" height="8" fill="${color}"/>`;
  }).join("");
  const text = (x: number, value: number, anchor: string) =>
    `<text x="${x}" y="${top + 26}" font-size="9" text-anchor="${anchor}" fill="#374151">${formatBytes(Math.round(Math.exp(value)))}</text>`;
  return `<g class="legend">${boxes}${text(10, low, "start")}${text(10 + COLORS.length * 60, high, "end")}</g>`;
}
