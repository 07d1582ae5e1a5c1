import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { generateReducedDays } from "../src/generate/reduced-days.ts";
import { readTree, runCli, startCli, tempFolder } from "./helpers.ts";

const SCRIPT = "bin-all-reduced-s3-logs-by-object-key";
const UNDO_LOG = ".bin_undo_log";

/** When to kill a run: after a delay, or once its undo log holds records (object files are changing). */
type KillPoint = { afterMs: number } | { undoLogBytes: number; nth: number };

/** Starts a bin run and kills it with SIGKILL at `point`; resolves when it is gone. */
function runAndKill(args: string[], binned: string, point: KillPoint): Promise<void> {
  return new Promise((resolve) => {
    const child = startCli(SCRIPT, args);
    let timer: NodeJS.Timeout;
    const kill = () => {
      clearInterval(timer);
      child.kill("SIGKILL");
    };
    if ("afterMs" in point) {
      timer = setTimeout(kill, point.afterMs);
    } else {
      // The nth undo log of the run: each batch starts a new one.
      let seen = 0;
      let present = false;
      timer = setInterval(() => {
        const size = fs.statSync(path.join(binned, UNDO_LOG), { throwIfNoEntry: false })?.size ?? -1;
        if (size === -1) present = false;
        else if (!present) {
          present = true;
          seen++;
        }
        if (seen >= point.nth && size >= point.undoLogBytes) kill();
      }, 1);
    }
    child.on("exit", () => {
      clearInterval(timer);
      clearTimeout(timer);
      resolve();
    });
  });
}

test("SIGKILL at any point, then a rerun, gives the tree an uninterrupted run gives", async () => {
  const root = tempFolder("bin-sigkill");
  const reduced = path.join(root, "reduced");
  generateReducedDays(reduced, { seed: 21, days: 5, rowsPerDay: 13_000, blobCount: 500, zarrCount: 40 });

  const reference = path.join(root, "reference");
  const uninterrupted = runCli(SCRIPT, [
    "--reduced_s3_logs_folder_path",
    reduced,
    "--binned_s3_logs_folder_path",
    reference,
    "--quiet",
  ]);
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
  const expected = readTree(reference);

  // A 1 MB buffer makes each day a batch of its own, read in two passes: many commit points.
  const points: KillPoint[][] = [
    [{ afterMs: 60 }],
    [{ afterMs: 200 }],
    [{ afterMs: 400 }],
    [{ afterMs: 700 }],
    [{ undoLogBytes: 100, nth: 1 }],
    [{ undoLogBytes: 20_000, nth: 1 }],
    [{ undoLogBytes: 2_000, nth: 3 }],
    [{ undoLogBytes: 30_000, nth: 5 }],
    [{ undoLogBytes: 5_000, nth: 2 }, { undoLogBytes: 100, nth: 1 }, { afterMs: 300 }],
  ];
  let undone = 0;
  for (const [i, kills] of points.entries()) {
    const binned = path.join(root, `killed-${i}`);
    const args = [
      "--reduced_s3_logs_folder_path",
      reduced,
      "--binned_s3_logs_folder_path",
      binned,
      "--maximum_buffer_size_in_mb",
      "1",
      "--quiet",
    ];
    for (const point of kills) await runAndKill(args, binned, point);
    const rerun = runCli(SCRIPT, args);
    assert.equal(rerun.code, 0, rerun.stderr);
    if (/interrupted batch of an earlier run was undone/.test(rerun.stdout)) undone++;
    assert.deepEqual(readTree(binned), expected, `kills ${JSON.stringify(kills)} left a different tree`);
  }
  assert.ok(undone >= 3, `only ${undone} reruns found a batch to undo: the kills came too early or too late`);
});

test("a journal copy left by a run killed while replacing the journal is removed by the next run", async () => {
  const root = tempFolder("bin-stale-journal");
  const reduced = path.join(root, "reduced");
  generateReducedDays(reduced, { seed: 17, days: 1, rowsPerDay: 200 });
  const binned = path.join(root, "binned");
  const args = ["--reduced_s3_logs_folder_path", reduced, "--binned_s3_logs_folder_path", binned, "--quiet"];
  assert.equal(runCli(SCRIPT, args).code, 0);
  const expected = readTree(binned);
  // A process that has exited: its id is free, as a killed run's is.
  const gone = startCli(SCRIPT, ["--help"]);
  await new Promise((resolve) => gone.on("close", resolve));
  const stale = path.join(binned, `..binned_days.tmp-${gone.pid}-0badc0de`);
  fs.writeFileSync(stale, "day\trows\tfirst_timestamp\tlast_timestamp\n");
  assert.equal(runCli(SCRIPT, args).code, 0);
  assert.deepEqual(readTree(binned), expected);
});
