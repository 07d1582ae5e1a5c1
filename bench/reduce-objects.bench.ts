import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateRawLogs } from "../src/generate/raw-logs.ts";
import { cutIntoLogObjects, writeLogObjects } from "../test/support/log-objects.ts";
import { CACHE, cli, mb, ratio, tempFolder } from "./common.ts";

/**
 * Reduce of a folder of log objects as AWS delivers them (SimplePrefix, objects of at most 1,000
 * lines, about 1 MB) against reduce of the same lines as day files, with 1 and 2 workers, runs in
 * turns. The objects' rows go to the days of their timestamps and give the same day files; the
 * target is within 20% of the day files' time.
 */
const RUNS = 5;

function ensureLogs(): { days: string; objects: string; bytes: number } {
  const root = path.join(CACHE, "reduce-objects-2x100MB");
  const days = path.join(root, "days");
  const objects = path.join(root, "objects");
  const done = path.join(root, ".complete");
  if (!fs.existsSync(done)) {
    fs.rmSync(root, { recursive: true, force: true });
    process.stdout.write("generating 2 days of 100 MB and their log objects (cached for later runs)...\n");
    generateRawLogs(days, { seed: 2024, days: 2, bytesPerDay: 100_000_000, damageRate: 0.002 });
    writeLogObjects(objects, cutIntoLogObjects(days, "simple", "logs/", 4, 1000));
    fs.writeFileSync(done, "");
  }
  const bytes = fs
    .readdirSync(days, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".log"))
    .reduce((sum, name) => sum + fs.statSync(path.join(days, name)).size, 0);
  return { days, objects, bytes };
}

/** Wall and CPU (user + system) seconds of one reduce, from GNU time: the CPU time holds on a busy machine. */
function reduceOnce(rawFolder: string, workers: number): { wall: number; cpu: number } {
  const output = tempFolder("reduced");
  const home = tempFolder("home");
  const args = ["reduce", "--raw_s3_logs_folder_path", rawFolder, "--reduced_s3_logs_folder_path", output];
  try {
    const result = spawnSync(
      "/usr/bin/time",
      [
        "-f",
        "%e %U %S",
        process.execPath,
        cli("main"),
        ...args,
        "--maximum_number_of_workers",
        String(workers),
        "--quiet",
      ],
      { env: { ...process.env, DANDI_S3_LOG_PARSER_HOME: home }, encoding: "utf8" },
    );
    if (result.status !== 0) throw new Error(`reduce failed: ${result.stderr}`);
    const [wall, user, system] = (result.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
    return { wall, cpu: user + system };
  } finally {
    fs.rmSync(output, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const { days, objects, bytes } = ensureLogs();
  const objectCount = fs.readdirSync(objects).length;
  console.log(
    `${mb(bytes)} of lines, as 2 day files and as ${objectCount} log objects; best of ${RUNS}, runs in turns\n`,
  );
  for (const workers of [1, 2]) {
    const bestOf = { days: { wall: Infinity, cpu: Infinity }, objects: { wall: Infinity, cpu: Infinity } };
    for (let i = 0; i < RUNS; i++) {
      for (const [name, folder] of [
        ["days", days],
        ["objects", objects],
      ] as const) {
        const timing = reduceOnce(folder, workers);
        bestOf[name].wall = Math.min(bestOf[name].wall, timing.wall);
        bestOf[name].cpu = Math.min(bestOf[name].cpu, timing.cpu);
      }
    }
    const { days: d, objects: o } = bestOf;
    console.log(
      `${workers} worker${workers > 1 ? "s" : ""}: day files ${d.wall.toFixed(2)} s (CPU ${d.cpu.toFixed(2)} s), ` +
        `log objects ${o.wall.toFixed(2)} s (CPU ${o.cpu.toFixed(2)} s)`,
    );
    console.log(
      `  log objects take ${ratio(o.wall / d.wall)} the day files' time, ${ratio(o.cpu / d.cpu)} their CPU time   (target <= 1.2x)`,
    );
  }
}
