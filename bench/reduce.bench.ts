import * as fs from "node:fs";
import * as path from "node:path";
import { generateRawLogs } from "../src/generate/raw-logs.ts";
import { best, CACHE, cli, mb, ratio, type Timing, tempFolder, timeCommand } from "./common.ts";

/**
 * Reduce against the plain mawk one-liner a user would otherwise reach for, on the same files:
 * one 200 MB day (one worker, and peak memory), and an eight-day folder (one and two workers).
 */
const MAWK_PROGRAM = '$8=="REST.GET.OBJECT" && ($9 ~ /^blobs\\// || $9 ~ /^zarr\\//) {print $3, $5, $9, $12}';
const RUNS = 3;

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
  return best(RUNS, () => timeCommand("mawk", [MAWK_PROGRAM, ...files], { stdout: "/dev/null" }));
}

function reduce(rawFolder: string, workers: number): Promise<Timing> {
  return best(RUNS, () => {
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
  });
}

function row(label: string, bytes: number, timing: Timing, versus?: Timing, versusLabel = "mawk"): string {
  const speed = `${(bytes / 1e6 / timing.seconds).toFixed(0)} MB/s`;
  const against = versus === undefined ? "" : `  ${ratio(versus.seconds / timing.seconds)} ${versusLabel}`;
  const memory = timing.peakBytes === null ? "" : `  peak ${mb(timing.peakBytes)}`;
  return `${label.padEnd(34)} ${timing.seconds.toFixed(2).padStart(6)} s  ${speed.padStart(9)}${against}${memory}`;
}

export async function run(): Promise<void> {
  const oneDay = ensureLogs("reduce-one-day-200MB", 1, 200_000_000);
  const eightDays = ensureLogs("reduce-eight-days-400MB", 8, 50_000_000);

  const dayFiles = logFiles(oneDay);
  const dayBytes = sizeOf(dayFiles);
  const mawkDay = await mawk(dayFiles);
  const oursDay = await reduce(oneDay, 1);
  console.log(`one day file of ${mb(dayBytes)} (best of ${RUNS}, whole commands, page cache warm):`);
  console.log(row("mawk one-liner", dayBytes, mawkDay));
  console.log(row("dandi-s3-log-parser reduce, 1 worker", dayBytes, oursDay, mawkDay));

  const folderFiles = logFiles(eightDays);
  const folderBytes = sizeOf(folderFiles);
  const mawkFolder = await mawk(folderFiles);
  const oursOne = await reduce(eightDays, 1);
  const oursTwo = await reduce(eightDays, 2);
  console.log(`\neight day files, ${mb(folderBytes)} in all:`);
  console.log(row("mawk one-liner", folderBytes, mawkFolder));
  console.log(row("reduce, 1 worker", folderBytes, oursOne, mawkFolder));
  console.log(row("reduce, 2 workers", folderBytes, oursTwo, mawkFolder));
  console.log(
    `\nreduce, 1 worker vs mawk (200 MB day): ${ratio(mawkDay.seconds / oursDay.seconds)}   (target >= 1.0x, aim 1.5x)`,
  );
  console.log(
    `reduce, 2 workers vs 1 worker (8 days): ${ratio(oursOne.seconds / oursTwo.seconds)}   (target >= 1.7x)`,
  );
  if (oursDay.peakBytes !== null)
    console.log(`reduce peak memory on the 200 MB day: ${mb(oursDay.peakBytes)}   (target < 150 MB)`);
}
