import * as fs from "node:fs";
import * as path from "node:path";
import { generateRawLogs } from "../src/generate/raw-logs.ts";
import {
  alternate,
  best,
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
 * Reduce against the plain mawk one-liner a user would otherwise reach for, on the same files, both
 * writing their output to a file: a 200 MB day and a 1 GB day (one worker, and peak memory; real busy
 * days are 1 to 4 GB), and against `grep -c REST.GET.OBJECT` in turns, the floor of any tool that
 * must at least find the downloads (it reads every byte and decides nothing); one day of 1 GB and one of 4 GB with one and two workers, in alternating
 * pairs (the daily run's case: one new day), beside the fixed costs that bound what two workers
 * can gain on them; and a folder of four 1 GB days (one and two workers).
 */
const MAWK_PROGRAM = '$8=="REST.GET.OBJECT" && ($9 ~ /^blobs\\// || $9 ~ /^zarr\\//) {print $3, $5, $9, $12}';
/** What counting the downloads costs, as a user would type it (in the locale they have). */
const GREP_ARGS = ["-c", "REST.GET.OBJECT"];
const RUNS = 3;
/** Pairs (one worker, then two) run on one day; the best of each is kept. */
const PAIRS = 5;

function ensureLogs(name: string, days: number, bytesPerDay: number): string {
  const folder = path.join(CACHE, name);
  const done = path.join(folder, ".complete");
  if (!fs.existsSync(done)) {
    fs.rmSync(folder, { recursive: true, force: true });
    process.stdout.write(`generating ${name} (${days} x ${mb(bytesPerDay)}, cached for later runs)...\n`);
    generateRawLogs(folder, { seed: 2024, days, bytesPerDay, damageRate: 0.002 });
    fs.writeFileSync(done, "");
  }
  return folder;
}

function logFiles(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".log"))
    .sort()
    .map((name) => path.join(folder, name));
}

function sizeOf(files: string[]): number {
  return files.reduce((sum, file) => sum + fs.statSync(file).size, 0);
}

function mawk(files: string[]): Promise<Timing> {
  const output = path.join(tempFolder("mawk"), "out.txt");
  return best(RUNS, () => timeCommand("mawk", [MAWK_PROGRAM, ...files], { stdout: output })).finally(() =>
    fs.rmSync(path.dirname(output), { recursive: true, force: true }),
  );
}

function grepOnce(files: string[]): Promise<Timing> {
  // Its count goes to a file: GNU grep stops at the first match when its output is /dev/null.
  const output = path.join(tempFolder("grep"), "count.txt");
  return timeCommand("grep", [...GREP_ARGS, ...files], { stdout: output }).finally(() =>
    fs.rmSync(path.dirname(output), { recursive: true, force: true }),
  );
}

function reduceOnce(rawFolder: string, workers: number): Promise<Timing> {
  const output = tempFolder("reduced");
  const home = tempFolder("home");
  return timeCommand(
    process.execPath,
    [
      cli("main"),
      "reduce",
      "--raw_s3_logs_folder_path",
      rawFolder,
      "--reduced_s3_logs_folder_path",
      output,
      "--maximum_number_of_workers",
      String(workers),
      "--quiet",
    ],
    { env: { DANDI_S3_LOG_PARSER_HOME: home } },
  ).finally(() => {
    fs.rmSync(output, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });
}

function reduce(rawFolder: string, workers: number): Promise<Timing> {
  return best(RUNS, () => reduceOnce(rawFolder, workers));
}

/** Best wall time of `node -e ''`: what every command pays before its first line runs. */
async function processStart(): Promise<number> {
  return (await best(PAIRS, () => timeCommand(process.execPath, ["-e", ""]))).seconds;
}

/**
 * Best time from starting reduce's worker (the bundle the commands run) to its answer to a first
 * task (an empty one, which it fails at once), in a fresh process: what a worker costs before it
 * reduces its first byte.
 */
async function workerBoot(): Promise<number> {
  const script = `const { Worker } = require("node:worker_threads");
const started = performance.now();
const worker = new Worker(${JSON.stringify(cli("worker"))});
worker.postMessage({ id: 0, readBufferBytes: 16 });
worker.once("message", () => { console.log(performance.now() - started); process.exit(0); });`;
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < PAIRS; i++) {
    const output = path.join(tempFolder("boot"), "ms.txt");
    await timeCommand(process.execPath, ["-e", script], { stdout: output });
    fastest = Math.min(fastest, Number(fs.readFileSync(output, "utf8")) / 1000);
    fs.rmSync(path.dirname(output), { recursive: true, force: true });
  }
  return fastest;
}

/**
 * The best two workers can do on a day one worker reduces in `one` seconds: the process's start
 * `start` is serial, and the main thread reduces alone while the worker boots (`boot`), after which
 * the rest is split evenly: `start + boot + (one - start - boot) / 2`. Compiling the reducer a
 * second time (the worker's own engine) and its fresh memory come on top, so real runs stay below.
 */
function amdahlBound(one: number, start: number, boot: number): number {
  return one / (start + boot + (one - start - boot) / 2);
}

/** One day of 4 GB: the 1 GB day four times over, its lines in the same order each time. */
function ensureFourGbDay(bigDay: string): string {
  const folder = path.join(CACHE, "reduce-one-day-4GB");
  const done = path.join(folder, ".complete");
  if (fs.existsSync(done)) return folder;
  fs.rmSync(folder, { recursive: true, force: true });
  const source = logFiles(bigDay)[0];
  const target = path.join(folder, path.relative(bigDay, source));
  process.stdout.write("building reduce-one-day-4GB from the 1 GB day (cached for later runs)...\n");
  fs.mkdirSync(path.dirname(target), { recursive: true });
  for (let i = 0; i < 4; i++) fs.appendFileSync(target, fs.readFileSync(source));
  fs.writeFileSync(done, "");
  return folder;
}

function gaugeRange(gauges: number[]): string {
  return `${ratio(Math.min(...gauges))} to ${ratio(Math.max(...gauges))}`;
}

function row(label: string, bytes: number, timing: Timing, versus?: Timing, versusLabel = "mawk"): string {
  const speed = `${(bytes / 1e6 / timing.seconds).toFixed(0)} MB/s`;
  const against = versus === undefined ? "" : `  ${ratio(versus.seconds / timing.seconds)} ${versusLabel}`;
  const memory = timing.peakBytes === null ? "" : `  peak ${mb(timing.peakBytes)}`;
  return `${label.padEnd(34)} ${timing.seconds.toFixed(2).padStart(6)} s  ${speed.padStart(9)}${against}${memory}`;
}

async function compareDay(folder: string): Promise<{ ours: Timing; mawk: Timing; grep: Timing }> {
  const files = logFiles(folder);
  const bytes = sizeOf(files);
  const mawkTiming = await mawk(files);
  // grep and reduce in turns, so that a burst of load from others slows both alike.
  const [grep, ours] = await alternate(
    PAIRS,
    () => grepOnce(files),
    () => reduceOnce(folder, 1),
  );
  console.log(`one day file of ${mb(bytes)} (grep -c and reduce: best of ${PAIRS} pairs in turns):`);
  console.log(row("mawk one-liner", bytes, mawkTiming));
  console.log(row(`grep ${GREP_ARGS.join(" ")}`, bytes, grep));
  console.log(row("dandi-s3-log-parser reduce, 1 worker", bytes, ours, mawkTiming));
  console.log(`${"".padEnd(34)} ${ratio(grep.seconds / ours.seconds)} the speed of grep -c`);
  return { ours, mawk: mawkTiming, grep };
}

export async function run(): Promise<void> {
  const smallDay = ensureLogs("reduce-one-day-200MB", 1, 200_000_000);
  // Real days of the archive run from 1 to 4 GB: a 1 GB day, and four of them for the workers.
  const fourDays = ensureLogs("reduce-four-days-4GB", 4, 1_000_000_000);
  const bigDay = path.join(CACHE, "reduce-one-day-1GB");
  if (!fs.existsSync(bigDay)) {
    const first = logFiles(fourDays)[0];
    fs.mkdirSync(path.join(bigDay, path.relative(fourDays, path.dirname(first))), { recursive: true });
    fs.linkSync(first, path.join(bigDay, path.relative(fourDays, first)));
  }
  console.log(
    `best of ${RUNS}, whole commands (start-up included), page cache warm, output written to a file\n`,
  );

  const small = await compareDay(smallDay);
  console.log();
  const big = await compareDay(bigDay);

  // The daily run's case: one new day. Two workers cut it into ranges reduced side by side.
  const fourGbDay = ensureFourGbDay(bigDay);
  const start = await processStart();
  const boot = await workerBoot();
  const oneDay: { label: string; bytes: number; one: Timing; two: Timing; gauges: number[] }[] = [];
  for (const [label, folder] of [
    ["1 GB", bigDay],
    ["4 GB", fourGbDay],
  ] as const) {
    const bytes = sizeOf(logFiles(folder));
    const gauges: number[] = [];
    const [one, two] = await alternate(
      PAIRS,
      () => reduceOnce(folder, 1),
      () => reduceOnce(folder, 2),
      async () => {
        gauges.push(await parallelismNow());
      },
    );
    oneDay.push({ label, bytes, one, two, gauges });
    console.log(`\none day file of ${mb(bytes)}, 1 and 2 workers, ${PAIRS} pairs in turns:`);
    console.log(row("reduce, 1 worker", bytes, one));
    console.log(row("reduce, 2 workers", bytes, two, one, "1 worker"));
    console.log(
      `(before each pair a CPU-bound loop on two threads ran ${gaugeRange(gauges)} faster than on one)`,
    );
  }
  console.log(
    `\nfixed costs: process start ${(start * 1000).toFixed(0)} ms (node -e ''), worker boot ${(boot * 1000).toFixed(0)} ms (to its first answer), best of ${PAIRS}`,
  );
  for (const day of oneDay)
    console.log(
      `  they bound two workers on the ${day.label} day (1 worker: ${day.one.seconds.toFixed(2)} s) to ${ratio(amdahlBound(day.one.seconds, start, boot))}`,
    );

  const folderFiles = logFiles(fourDays);
  const folderBytes = sizeOf(folderFiles);
  const mawkFolder = await mawk(folderFiles);
  const oursOne = await reduce(fourDays, 1);
  const oursTwo = await reduce(fourDays, 2);
  console.log(`\nfour day files, ${mb(folderBytes)} in all:`);
  console.log(row("mawk one-liner", folderBytes, mawkFolder));
  console.log(row("reduce, 1 worker", folderBytes, oursOne, mawkFolder));
  console.log(row("reduce, 2 workers", folderBytes, oursTwo, mawkFolder));

  console.log("\nsummary");
  console.log(`  reduce, 1 worker vs mawk, 200 MB day:  ${ratio(small.mawk.seconds / small.ours.seconds)}`);
  console.log(
    `  reduce, 1 worker vs mawk, 1 GB day:    ${ratio(big.mawk.seconds / big.ours.seconds)}   (target >= 1.0x, aim 1.5x)`,
  );
  console.log(
    `  reduce, 1 worker vs grep -c, 1 GB day: ${ratio(big.grep.seconds / big.ours.seconds)}   (target >= 0.8x)`,
  );
  for (const day of oneDay)
    console.log(
      `  reduce, one ${day.label} day, 2 workers vs 1: ${ratio(day.one.seconds / day.two.seconds)}   (target >= 1.7x; fixed costs bound it to ${ratio(amdahlBound(day.one.seconds, start, boot))}; two threads could gain ${gaugeRange(day.gauges)})`,
    );
  console.log(
    `  reduce, 2 workers vs 1 worker, 4 days: ${ratio(oursOne.seconds / oursTwo.seconds)}   (target >= 1.7x)`,
  );
  for (const [label, timing] of [
    ["200 MB", small.ours],
    ["1 GB", big.ours],
    ["1 GB, 2 workers,", oneDay[0].two],
    ["4 GB, 2 workers,", oneDay[1].two],
  ] as const) {
    if (timing.peakBytes !== null)
      console.log(`  reduce peak memory, ${label} day: ${mb(timing.peakBytes)}   (target < 150 MB)`);
  }
}
