import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import { isRunning, readTree, runCli, startCli, tempFolder } from "./helpers.ts";
import { type GenerateReducedDaysOptions, generateReducedDays } from "./support/reduced-days.ts";
import { sealedRecords } from "./support/undo-log-probe.ts";

/**
 * Bin on several threads (`workers`) writes byte for byte what one thread writes: the object
 * files, the change lists map follows, the size index and the journal, whatever the order of runs,
 * the passes or a kill. Batches are shared out from 1 KB on here, so that small days go through the
 * workers too.
 */
process.env.DANDI_S3_LOG_PARSER_BIN_SHARE_BYTES = "1024";

const SCRIPT = "bin-all-reduced-s3-logs-by-object-key";
const MB = 1024 * 1024;
const SPREAD: GenerateReducedDaysOptions = {
  seed: 8,
  days: 5,
  rowsPerDay: 5000,
  blobCount: 700,
  zarrCount: 30,
};
const TIES: GenerateReducedDaysOptions = {
  seed: 9,
  days: 4,
  rowsPerDay: 2000,
  blobCount: 40,
  zarrCount: 4,
  ipCount: 30,
  timing: "ties",
};

interface Scenario {
  name: string;
  data: GenerateReducedDaysOptions;
  runs: { days: number[]; fileLimit?: number; bufferBytes?: number }[];
}

const SCENARIOS: Scenario[] = [
  { name: "all days at once", data: SPREAD, runs: [{ days: [0, 1, 2, 3, 4] }] },
  {
    name: "one day per run",
    data: SPREAD,
    runs: [0, 1, 2, 3, 4].map(() => ({ days: [0, 1, 2, 3, 4], fileLimit: 1 })),
  },
  {
    name: "a 1 MB buffer: batches of several passes",
    data: SPREAD,
    runs: [{ days: [0, 1, 2, 3, 4], bufferBytes: MB }],
  },
  {
    name: "backfill: days 1, 2 and 5, then 3 and 4",
    data: SPREAD,
    runs: [{ days: [0, 1, 4] }, { days: [0, 1, 2, 3, 4] }],
  },
  {
    name: "same-second ties, backfilled in reverse",
    data: TIES,
    runs: [3, 2, 1, 0].map((d) => ({ days: [0, 1, 2, 3].slice(d) })),
  },
];

function reducedWith(from: string, days: readonly string[], into: string): string {
  for (const day of days) {
    fs.mkdirSync(path.dirname(path.join(into, day)), { recursive: true });
    fs.copyFileSync(path.join(from, day), path.join(into, day));
  }
  return into;
}

for (const scenario of SCENARIOS) {
  test(`two threads bin what one does: ${scenario.name}`, async () => {
    const root = tempFolder("bin-workers");
    const all = path.join(root, "all-days");
    const days = generateReducedDays(all, scenario.data);
    const trees: Map<string, string>[] = [];
    for (const workers of [1, 2]) {
      const binned = path.join(root, `binned-${workers}`);
      let threads = 1;
      for (const [i, run] of scenario.runs.entries()) {
        const present = reducedWith(
          all,
          run.days.map((d) => days[d]),
          path.join(root, `reduced-${workers}-${i}`),
        );
        const summary = await binAllReducedS3LogsByObjectKey({
          reducedFolder: present,
          binnedFolder: binned,
          fileLimit: run.fileLimit,
          bufferBytes: run.bufferBytes,
          workers,
        });
        threads = Math.max(threads, summary.threads);
      }
      assert.equal(threads, workers, "the batches were not shared out as asked");
      trees.push(readTree(binned));
    }
    // Everything: object files, .binned_days, .bin_changes/, .bin_sizes, .binned_format.
    assert.deepEqual(trees[1], trees[0]);
    assert.ok([...trees[0].keys()].some((name) => name.startsWith(".bin_changes/")));
  });
}

test("two threads reject the same lines, and list them in the error log in the same order", async () => {
  const root = tempFolder("bin-workers-damaged");
  const reduced = path.join(root, "reduced");
  const days = generateReducedDays(reduced, { ...SPREAD, days: 3 });
  // Damaged copies of rows of many objects (so of both shares), blank and CRLF lines, a key inside
  // a Zarr, and a line longer than the read buffer.
  const file = path.join(reduced, days[1]);
  const rows = fs.readFileSync(file, "latin1").split("\n").slice(1, 400);
  const damaged: string[] = [];
  rows.forEach((row, i) => {
    const [timestamp, ip, key, bytes, status] = row.split("\t");
    const kinds = [
      `${timestamp}\t${ip}\t${key}\tx${bytes}\t${status}`,
      `${timestamp}\t${ip}\t${key}\t${bytes}\t2x0`,
      `${timestamp.replace("T", " ")}\t${ip}\t${key}\t${bytes}\t${status}`,
      `${timestamp}\tnot-an-ip\t${key}\t${bytes}\t${status}`,
      `${timestamp}\t${ip}\t${key}/inside.zarr\t${bytes}\t${status}`,
      `${timestamp}\t${ip}\t${key}\t${bytes}`,
      "",
      `${row}\r`,
      "garbage",
    ];
    damaged.push(kinds[i % kinds.length]);
  });
  damaged.push(`${rows[0]}${"x".repeat(1_200_000)}`);
  fs.appendFileSync(file, `${damaged.join("\n")}\n${rows.slice(0, 50).join("\n")}\n`);
  const logs: string[] = [];
  const rejected: unknown[] = [];
  for (const workers of [1, 2]) {
    process.env.DANDI_S3_LOG_PARSER_HOME = tempFolder(`home-${workers}`);
    const summary = await binAllReducedS3LogsByObjectKey({
      reducedFolder: reduced,
      binnedFolder: path.join(root, `binned-${workers}`),
      workers,
    });
    assert.equal(summary.threads, workers);
    assert.notEqual(summary.errorLogPath, null);
    logs.push(fs.readFileSync(summary.errorLogPath as string, "utf8"));
    rejected.push(summary.rowsRejected);
  }
  assert.deepEqual(rejected[1], rejected[0]);
  assert.equal(logs[1], logs[0]);
  assert.deepEqual(readTree(path.join(root, "binned-2")), readTree(path.join(root, "binned-1")));
});

function daysInJournal(binned: string): number {
  try {
    const text = fs.readFileSync(path.join(binned, ".binned_days"), "utf8");
    return Math.max(0, text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length - 1);
  } catch {
    return 0;
  }
}

type KillPoint = { daysCommitted: number } | { sealed: number; log: string };

/** Starts bin on two threads and kills it at `point`; resolves with whether the kill landed mid-run. */
function runAndKill(args: string[], binned: string, point: KillPoint): Promise<boolean> {
  const before = daysInJournal(binned);
  return new Promise((resolve) => {
    const child = startCli(SCRIPT, args);
    let landed = false;
    const timer = setInterval(() => {
      if (!isRunning(child)) return;
      const reached =
        "daysCommitted" in point
          ? daysInJournal(binned) >= before + point.daysCommitted
          : sealedRecords(path.join(binned, point.log)) >= point.sealed;
      if (!reached) return;
      clearInterval(timer);
      landed = true;
      child.kill("SIGKILL");
    }, 1);
    child.on("exit", () => {
      clearInterval(timer);
      resolve(landed && child.signalCode === "SIGKILL");
    });
  });
}

test("bin on two threads killed at any point, then run again, on two threads or one, gives the uninterrupted tree", async () => {
  const root = tempFolder("bin-workers-sigkill");
  const reduced = path.join(root, "reduced");
  generateReducedDays(reduced, { seed: 31, days: 4, rowsPerDay: 15_000, blobCount: 900, zarrCount: 40 });
  const args = (binned: string, workers: number) => [
    "--reduced_s3_logs_folder_path",
    reduced,
    "--binned_s3_logs_folder_path",
    binned,
    "--maximum_buffer_size_in_mb",
    "2",
    "--maximum_number_of_workers",
    String(workers),
    "--quiet",
  ];
  const reference = path.join(root, "reference");
  const uninterrupted = runCli(SCRIPT, args(reference, 1));
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
  const expected = readTree(reference);
  const points: { kills: KillPoint[]; rerunWorkers: number }[] = [
    { kills: [{ daysCommitted: 1 }], rerunWorkers: 2 },
    { kills: [{ sealed: 2, log: ".bin_undo_log" }], rerunWorkers: 2 },
    { kills: [{ sealed: 2, log: ".bin_undo_log.1" }], rerunWorkers: 2 },
    { kills: [{ sealed: 40, log: ".bin_undo_log.1" }], rerunWorkers: 1 },
    {
      kills: [
        { sealed: 30, log: ".bin_undo_log" },
        { sealed: 5, log: ".bin_undo_log.1" },
      ],
      rerunWorkers: 2,
    },
    { kills: [{ daysCommitted: 2 }, { sealed: 10, log: ".bin_undo_log.1" }], rerunWorkers: 1 },
  ];
  let undone = 0;
  let landed = 0;
  for (const [i, { kills, rerunWorkers }] of points.entries()) {
    const binned = path.join(root, `killed-${i}`);
    for (const point of kills) if (await runAndKill(args(binned, 2), binned, point)) landed++;
    const rerun = runCli(SCRIPT, args(binned, rerunWorkers));
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(readTree(binned), expected, `kills ${JSON.stringify(kills)} left a different tree`);
    if (/interrupted batch of an earlier run was undone/.test(rerun.stdout)) undone++;
  }
  assert.ok(landed >= 5, `only ${landed} kills landed mid-run`);
  assert.ok(undone >= 3, `only ${undone} reruns found a batch to undo`);
});

test("a batch on two threads whose second undo log is missing is refused, not binned twice", async () => {
  const root = tempFolder("bin-workers-damage");
  const reduced = path.join(root, "reduced");
  generateReducedDays(reduced, { seed: 32, days: 2, rowsPerDay: 15_000, blobCount: 900, zarrCount: 40 });
  const binned = path.join(root, "binned");
  const args = [
    "--reduced_s3_logs_folder_path",
    reduced,
    "--binned_s3_logs_folder_path",
    binned,
    "--maximum_number_of_workers",
    "2",
    "--quiet",
  ];
  let killed = false;
  for (let attempt = 0; attempt < 5 && !killed; attempt++) {
    fs.rmSync(binned, { recursive: true, force: true });
    killed = await runAndKill(args, binned, { sealed: 3, log: ".bin_undo_log.1" });
  }
  assert.ok(killed, "no kill landed while the second share changed object files");
  assert.match(
    fs.readFileSync(path.join(binned, ".binned_days"), "utf8"),
    /^#binned_days\tv2\t[0-9a-f]{8}\t1\/2\n/,
  );
  fs.rmSync(path.join(binned, ".bin_undo_log.1"));
  const rerun = runCli(SCRIPT, args);
  assert.equal(rerun.code, 1);
  assert.match(rerun.stderr, /\.bin_undo_log\.1 is missing, but batch 1 was changing object files/);
});

test("bin on two threads aborted mid-batch undoes the batch on every thread and rejects with AbortedError", async () => {
  const root = tempFolder("bin-workers-abort");
  const reduced = path.join(root, "reduced");
  generateReducedDays(reduced, { seed: 33, days: 3, rowsPerDay: 20_000, blobCount: 900, zarrCount: 40 });
  const binned = path.join(root, "binned");
  // The abort is timed by watching the second share's undo log from the main thread, which bins a
  // share of its own meanwhile: on a busy machine the batch may end first, so try a few times.
  let aborted = false;
  for (let attempt = 0; attempt < 5 && !aborted; attempt++) {
    fs.rmSync(binned, { recursive: true, force: true });
    const controller = new AbortController();
    const timer = setInterval(() => {
      if (sealedRecords(path.join(binned, ".bin_undo_log.1")) >= 3) controller.abort();
    }, 1);
    try {
      await binAllReducedS3LogsByObjectKey({
        reducedFolder: reduced,
        binnedFolder: binned,
        workers: 2,
        signal: controller.signal,
      });
    } catch (error) {
      assert.equal((error as Error).name, "AbortedError");
      aborted = true;
    } finally {
      clearInterval(timer);
    }
  }
  assert.ok(aborted, "the batch ended before the abort, five times");
  // Nothing but the journal of no day and the format marker: every share's files were undone.
  assert.deepEqual([...readTree(binned).keys()], [".binned_days", ".binned_format"]);
  const again = await binAllReducedS3LogsByObjectKey({
    reducedFolder: reduced,
    binnedFolder: binned,
    workers: 2,
  });
  assert.equal(again.daysBinned, 3);
});
