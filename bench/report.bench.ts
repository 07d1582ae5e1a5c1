import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { typeSeries } from "../src/report/asset-type-section.ts";
import { assetTypeChart, barChart, timeChart } from "../src/report/chart-specs.ts";
import { drawAssetTypeChart, drawBarChart, drawTimeChart } from "../src/report/draw-charts.ts";
import { listDandisets, loadDandiset } from "../src/report/load-dandiset.ts";
import { readAssetTypeWeeks } from "../src/report/load-summaries.ts";
import { loadRenderer } from "../src/report/load-vega.ts";
import { type ChartSpec, renderSvg } from "../src/report/render-svg.ts";
import { bucketByTime } from "../src/report/time-buckets.ts";
import {
  alternate,
  CACHE,
  cli,
  mb,
  parallelismNow,
  ratio,
  type Timing,
  tempFolder,
  timeCommand,
} from "./common.ts";

/**
 * The report's drawing: whole `report` commands with two threads against one, alternately, best of 3,
 * on the same mapped folders: a quiet day alone (a few hundred downloads touching some 60 of 100
 * Dandisets, the daily run's case) and 31 days of history (every Dandiset with a page). Beside them,
 * every chart of those pages drawn directly, against the same charts drawn by Vega-Lite and Vega, as
 * they were before.
 */
const RUNS = 3;
const SCENARIOS: { name: string; generate: string[] }[] = [
  {
    name: "quiet-day",
    generate: ["--days", "1", "--start_date", "2024-01-31", "--bytes_per_day", "450000"],
  },
  { name: "history-31-days", generate: ["--days", "31", "--bytes_per_day", "3000000"] },
];
const POOL = ["--blobs", "3000", "--zarrs", "100", "--dandisets", "100", "--seed", "31"];

/** The mapped folder and summaries of a scenario, made once and kept under bench-output/. */
function mappedFolderOf(scenario: (typeof SCENARIOS)[number]): string {
  const folder = path.join(CACHE, "report", scenario.name);
  const stamp = path.join(folder, "made-with.json");
  const wanted = JSON.stringify([scenario.generate, POOL]);
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, "utf8") !== wanted) {
    fs.rmSync(folder, { recursive: true, force: true });
    console.log(`generating ${scenario.name} under ${folder} (once)…`);
    const main = cli("main");
    const catalog = path.join(folder, "catalog.json");
    const raw = path.join(folder, "raw");
    execFileSync(process.execPath, [
      main,
      "generate",
      "--output_folder",
      raw,
      "--catalog_output",
      catalog,
      ...scenario.generate,
      ...POOL,
    ]);
    execFileSync(
      process.execPath,
      [
        main,
        "run",
        "--raw_s3_logs_folder_path",
        raw,
        "--work_folder",
        path.join(folder, "work"),
        "--catalog",
        catalog,
        "--no-report",
        "--no-ip_key_warning",
        "--quiet",
      ],
      { env: { ...process.env, DANDI_S3_LOG_PARSER_HOME: path.join(folder, "home") } },
    );
    fs.writeFileSync(stamp, wanted);
  }
  return path.join(folder, "work");
}

export async function run(): Promise<void> {
  const root = tempFolder("report");
  // One settings folder for every run, so the world's outlines are drawn once, as on a machine in use.
  const env = { DANDI_S3_LOG_PARSER_HOME: path.join(root, "home") };
  try {
    for (const scenario of SCENARIOS) {
      const work = mappedFolderOf(scenario);
      let runs = 0;
      const report = (workers: number) => (): Promise<Timing> => {
        const output = path.join(root, `report-${runs++}`);
        return timeCommand(
          process.execPath,
          [
            cli("main"),
            "report",
            "--mapped_s3_logs_folder_path",
            path.join(work, "mapped"),
            "--summaries_folder_path",
            path.join(work, "summaries"),
            "--output_folder",
            output,
            "--maximum_number_of_workers",
            String(workers),
            "--quiet",
          ],
          { env },
        ).finally(() => fs.rmSync(output, { recursive: true, force: true }));
      };
      await report(1)(); // draws the outlines into the settings folder's cache
      const pages = listDandisets(path.join(work, "mapped")).length;
      const parallelBefore = await parallelismNow();
      const [one, two] = await alternate(RUNS, report(1), report(2));
      const parallelAfter = await parallelismNow();
      const show = (timing: Timing) =>
        `${timing.seconds.toFixed(2).padStart(6)} s${timing.peakBytes === null ? "" : `, peak ${mb(timing.peakBytes)}`}`;
      console.log(`${scenario.name}: ${pages} Dandiset pages and the index, best of ${RUNS} in turns`);
      console.log(`  report, 1 thread   ${show(one)}`);
      console.log(`  report, 2 threads  ${show(two)}   ${ratio(one.seconds / two.seconds)} faster`);
      console.log(
        `  (a CPU-bound loop on two threads ran ${ratio(parallelBefore)} and ${ratio(parallelAfter)} faster than on one, before and after)`,
      );
      await compareDrawings(path.join(work, "mapped"), path.join(work, "summaries"));
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** A chart of a Dandiset page, as the page draws it and as a Vega-Lite specification. */
interface Chart {
  draw: () => string;
  spec: ChartSpec;
}

/** The charts of Dandiset pages (bytes over time, by asset type, top regions, top assets), without the pages. */
function chartsOf(mappedFolder: string, summariesFolder: string): Chart[] {
  const charts: Chart[] = [];
  for (const id of listDandisets(mappedFolder)) {
    const d = loadDandiset(mappedFolder, id);
    if (d.byDay.length > 0) {
      const series = bucketByTime(d.byDay);
      charts.push({ draw: () => drawTimeChart(id, series), spec: timeChart(id, series) });
    }
    const types = readAssetTypeWeeks(summariesFolder, id);
    if (types !== null && types.weeks.length > 0) {
      const series = typeSeries(types);
      charts.push({ draw: () => drawAssetTypeChart(id, series), spec: assetTypeChart(id, series) });
    }
    for (const rows of [d.byRegion.slice(0, 15), d.byAsset.slice(0, 20)]) {
      if (rows.length === 0) continue;
      const bars = rows.map((row) => ({ label: path.posix.basename(row.key), bytes: row.bytes }));
      charts.push({ draw: () => drawBarChart(id, bars), spec: barChart(id, bars) });
    }
  }
  return charts;
}

/**
 * Every chart of the pages drawn directly, against the same charts drawn by Vega-Lite and Vega (once
 * loaded; the load is timed apart, in this process), best of 3 in turns.
 */
async function compareDrawings(mapped: string, summaries: string): Promise<void> {
  const charts = chartsOf(mapped, summaries);
  const started = performance.now();
  await loadRenderer();
  const loading = performance.now() - started;
  const drawDirectly = async (): Promise<Timing> => {
    const started = performance.now();
    for (const chart of charts) chart.draw();
    return { seconds: (performance.now() - started) / 1000, peakBytes: null };
  };
  const drawWithVega = async (): Promise<Timing> => {
    const started = performance.now();
    for (const chart of charts) await renderSvg(chart.spec);
    return { seconds: (performance.now() - started) / 1000, peakBytes: null };
  };
  const [direct, vega] = await alternate(RUNS, drawDirectly, drawWithVega);
  console.log(
    `  ${charts.length} charts: ${(direct.seconds * 1000).toFixed(0)} ms drawn directly, ` +
      `${(vega.seconds * 1000).toFixed(0)} ms with Vega-Lite and Vega (${ratio(vega.seconds / direct.seconds)}), ` +
      `besides ${loading.toFixed(0)} ms to load them`,
  );
}
