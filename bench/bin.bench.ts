import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateReducedDays } from "../test/support/reduced-days.ts";
import { best, CACHE, cli, mb, ratio, type Timing, tempFolder, timeCommand } from "./common.ts";

/**
 * Binning one busy day (180,000 reduced rows over 3,000 objects, each with its HTTP status, as reduce
 * writes them) against `sort` grouping the same rows by object key, which is what a user would
 * otherwise script. Two cases: the daily run, into a
 * folder that already holds the day before (the object files exist and are appended to), and a
 * first run into an empty folder, which must also create every object file and its two folders.
 */
const RUNS = 5;
const ROWS = 180_000;
const DAYS = ["2024/03/01.tsv", "2024/03/02.tsv"];

function ensureDays(): { twoDays: string; busyDay: string } {
  // Named for the rows' format: a cache of rows without the status would bin another format.
  const folder = path.join(CACHE, "bin-busy-days-180k-status");
  const twoDays = path.join(folder, "two-days");
  const busyDay = path.join(folder, "busy-day");
  const done = path.join(folder, ".complete");
  if (!fs.existsSync(done)) {
    fs.rmSync(folder, { recursive: true, force: true });
    process.stdout.write(`generating 2 reduced days of ${ROWS} rows (cached for later runs)...\n`);
    generateReducedDays(twoDays, {
      seed: 2024,
      startDate: "2024-03-01",
      days: 2,
      rowsPerDay: ROWS,
      blobCount: 2900,
      zarrCount: 100,
      ipCount: 3000,
    });
    fs.mkdirSync(path.join(busyDay, "2024", "03"), { recursive: true });
    fs.copyFileSync(path.join(twoDays, DAYS[1]), path.join(busyDay, DAYS[1]));
    fs.writeFileSync(done, "");
  }
  return { twoDays, busyDay };
}

/**
 * Writes dirty pages out before a timed run, so that the kernel is not still writing back the
 * thousands of files an earlier run made while the next one is timed.
 */
function settleDisk(): void {
  execFileSync("sync");
}

/** Output folders are removed only after all timings: deleting thousands of files slows the next run. */
const leftovers: string[] = [];
function scratch(label: string): string {
  const folder = tempFolder(label);
  leftovers.push(folder);
  return folder;
}

function sortByKey(dayFile: string): Promise<Timing> {
  return best(RUNS, () => {
    const stdout = path.join(scratch("sorted"), "sorted.tsv");
    settleDisk();
    return timeCommand("sort", ["-s", "-t\t", "-k3,3", dayFile], { env: { LC_ALL: "C" }, stdout });
  });
}

function binArgs(script: string, reduced: string, binned: string, extra: string[] = []): string[] {
  const prefix = script === "main" ? [cli("main"), "bin"] : [cli(script)];
  return [
    ...prefix,
    "--reduced_s3_logs_folder_path",
    reduced,
    "--binned_s3_logs_folder_path",
    binned,
    "--quiet",
    ...extra,
  ];
}

function binFresh(busyDay: string): Promise<Timing> {
  return best(RUNS, () => {
    const binned = path.join(scratch("binned"), "binned");
    const env = { DANDI_S3_LOG_PARSER_HOME: scratch("home") };
    settleDisk();
    return timeCommand(process.execPath, binArgs("main", busyDay, binned), { env });
  });
}

/** The day before is binned first (untimed), then the busy day is timed. */
function binDaily(twoDays: string, script: string): Promise<Timing> {
  return best(RUNS, async () => {
    const binned = path.join(scratch("binned"), "binned");
    const env = { DANDI_S3_LOG_PARSER_HOME: scratch("home") };
    await timeCommand(process.execPath, binArgs(script, twoDays, binned, ["--file_limit", "1"]), { env });
    settleDisk();
    return timeCommand(process.execPath, binArgs(script, twoDays, binned), { env });
  });
}

function row(label: string, timing: Timing, sort: Timing): string {
  const memory = timing.peakBytes === null ? "" : `  peak ${mb(timing.peakBytes)}`;
  return `${label.padEnd(52)} ${timing.seconds.toFixed(2).padStart(6)} s  ${ratio(timing.seconds / sort.seconds).padStart(6)} sort${memory}`;
}

export async function run(): Promise<void> {
  const { twoDays, busyDay } = ensureDays();
  const dayFile = path.join(busyDay, DAYS[1]);
  const bytes = fs.statSync(dayFile).size;
  try {
    const sort = await sortByKey(dayFile);
    const daily = await binDaily(twoDays, "main");
    const dailyOriginalName = await binDaily(twoDays, "bin-all-reduced-s3-logs-by-object-key");
    const fresh = await binFresh(busyDay);
    console.log(
      `one busy day: ${ROWS.toLocaleString("en-US")} rows, 3,000 objects, ${mb(bytes)}; best of ${RUNS}`,
    );
    const sortMemory = sort.peakBytes === null ? "" : `  peak ${mb(sort.peakBytes)}`;
    console.log(
      `${"LC_ALL=C sort -s -t$'\\t' -k3,3".padEnd(52)} ${sort.seconds.toFixed(2).padStart(6)} s${sortMemory}`,
    );
    console.log(row("bin, daily run (objects exist)", daily, sort));
    console.log(row("bin, daily run, bin_all_reduced_s3_logs_by_...", dailyOriginalName, sort));
    console.log(row("bin, first run (creates 3,000 files, 5,500 folders)", fresh, sort));
  } finally {
    for (const folder of leftovers) fs.rmSync(folder, { recursive: true, force: true });
  }
}
