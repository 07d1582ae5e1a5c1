/**
 * Times the chart renderer: loading Vega and Vega-Lite, the first chart (cold code), and the charts
 * after it (each one's Vega-Lite compile, Vega parse, view and SVG). Loading is timed in fresh Node
 * processes without this file's TypeScript loader, which would slow every ES module it resolves, one
 * way and the other in turn, since the machine's load changes from one second to the next.
 *
 * As a script: node --import tsx test/report-helpers/chart-timing.ts [dandisets] [rounds]
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { LoggerInterface } from "vega";
import { typeSeries } from "../../src/report/asset-type-section.ts";
import { assetTypeChart, barChart, timeChart } from "../../src/report/chart-specs.ts";
import { listDandisets, loadDandiset } from "../../src/report/load-dandiset.ts";
import { readAssetTypeWeeks } from "../../src/report/load-summaries.ts";
import { type ChartSpec, renderSvg } from "../../src/report/render-svg.ts";
import { bucketByTime } from "../../src/report/time-buckets.ts";
import { writeMappedFolder } from "./mapped-folder.ts";

/** A Vega logger that drops every message, for timing and comparing compiles. */
export const QUIET_LOGGER: LoggerInterface = {
  level: () => QUIET_LOGGER,
  error: () => QUIET_LOGGER,
  warn: () => QUIET_LOGGER,
  info: () => QUIET_LOGGER,
  debug: () => QUIET_LOGGER,
} as unknown as LoggerInterface;

/**
 * The charts of Dandiset pages (bytes over time, by asset type when a summaries folder is given, top
 * regions, top assets), without the pages.
 */
export function chartSpecsOf(mappedFolder: string, summariesFolder?: string): ChartSpec[] {
  const specs: ChartSpec[] = [];
  for (const id of listDandisets(mappedFolder)) {
    const d = loadDandiset(mappedFolder, id);
    if (d.byDay.length > 0) specs.push(timeChart(`Dandiset ${id}: bytes`, bucketByTime(d.byDay)));
    const types = summariesFolder === undefined ? null : readAssetTypeWeeks(summariesFolder, id);
    if (types !== null && types.weeks.length > 0)
      specs.push(assetTypeChart(`Dandiset ${id}: bytes by asset type`, typeSeries(types)));
    const bars = (rows: { key: string; bytes: number }[]) =>
      rows.map((row) => ({ label: path.posix.basename(row.key), bytes: row.bytes }));
    if (d.byRegion.length > 0) specs.push(barChart("Bytes sent by region", bars(d.byRegion.slice(0, 15))));
    if (d.byAsset.length > 0) specs.push(barChart("Bytes sent by asset", bars(d.byAsset.slice(0, 20))));
  }
  return specs;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Milliseconds to load the renderer in a fresh process: `dist/report/load-vega.js`, or `import()`. */
function loadMilliseconds(how: "bundles" | "modules"): number {
  const load =
    how === "bundles"
      ? `(await import(${JSON.stringify(path.join(ROOT, "dist", "report", "load-vega.js"))})).loadRenderer()`
      : 'Promise.all([import("vega"), import("vega-lite")])';
  const script = `const t = performance.now(); await ${load}; process.stdout.write(String(performance.now() - t));`;
  return Number(
    execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" }),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[2] ?? 30);
  const rounds = Number(process.argv[3] ?? 7);
  const loads = { modules: [] as number[], bundles: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    loads.modules.push(loadMilliseconds("modules"));
    loads.bundles.push(loadMilliseconds("bundles"));
  }
  const range = (values: number[]) =>
    `median ${median(values).toFixed(0)} ms (${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)})`;
  process.stdout.write(`loading as ES modules: ${range(loads.modules)}\n`);
  process.stdout.write(`loading the one-file builds: ${range(loads.bundles)}\n`);

  const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dslp-chart-timing-")), "mapped");
  writeMappedFolder(folder, { dandisets: count, seed: 3 });
  const specs = chartSpecsOf(folder);
  fs.rmSync(path.dirname(folder), { recursive: true, force: true });
  let t = performance.now();
  await renderSvg(barChart("Warm-up", []));
  const load = performance.now() - t;
  const times: number[] = [];
  for (const spec of specs) {
    t = performance.now();
    await renderSvg(spec);
    times.push(performance.now() - t);
  }
  const later = times.slice(Math.floor(times.length / 2));
  process.stdout.write(
    `in this process: loading and an empty chart ${load.toFixed(0)} ms; first chart ${times[0].toFixed(0)} ms, ` +
      `second ${times[1].toFixed(0)} ms, median of the last ${later.length} of ${times.length} charts ${median(later).toFixed(1)} ms\n`,
  );
}
