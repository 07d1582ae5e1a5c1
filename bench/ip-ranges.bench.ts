import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, tempFolder } from "./common.ts";

/**
 * What reading the providers' range files costs a map run, which reads them at its first lookup:
 * AWS ip-ranges.json (2.6 MB), GCP cloud.json and GitHub meta, as shipped in data/ip-ranges/. Each
 * measurement is a fresh process of the built library (the cost a daily run pays once), timing
 * `loadDefaultRanges` and a first lookup: parsed from the files (the first run, or after an update),
 * and from the settings folder's cache of their parsed blocks (every other run). A quiet day's map
 * takes about half a second in all.
 */
const RUNS = 7;

export async function run(): Promise<void> {
  const script = `
    const started = performance.now();
    const { loadDefaultRanges } = await import(${JSON.stringify(path.join(ROOT, "dist", "geo", "default-ranges.js"))});
    const { parseIp } = await import(${JSON.stringify(path.join(ROOT, "dist", "geo", "ip-address.js"))});
    const loaded = performance.now();
    const ranges = loadDefaultRanges();
    const region = ranges.regionOf(parseIp("3.80.1.1"));
    const done = performance.now();
    if (region !== "AWS/us-east-1") throw new Error("unexpected region " + region);
    console.log(JSON.stringify({ modules: loaded - started, load: done - loaded, blocks: ranges.blockCount }));`;
  const once = (home: string) => {
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, DANDI_S3_LOG_PARSER_HOME: home },
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(result.stderr);
    return JSON.parse(result.stdout) as { modules: number; load: number; blocks: number };
  };
  const parsed: number[] = [];
  const cached: number[] = [];
  let blocks = 0;
  for (let i = 0; i < RUNS; i++) {
    const home = tempFolder("ip-ranges");
    try {
      const first = once(home);
      parsed.push(first.load);
      blocks = first.blocks;
      cached.push(once(home).load);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const show = (values: number[]) =>
    `median ${median(values).toFixed(1)} ms, best ${Math.min(...values).toFixed(1)} ms`;
  console.log(`range files, ${blocks} blocks, parsed and cached: ${show(parsed)}`);
  console.log(`range files, from the cache:                  ${show(cached)}`);
}
