import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { BINNED_STATUS_HEADER } from "../src/io/table-headers.ts";
import { binnedData, isRunning, readTree, runCli, startCli, tempFolder } from "./helpers.ts";
import { generateReducedDays } from "./support/reduced-days.ts";

const SCRIPT = "bin-all-reduced-s3-logs-by-object-key";
const UNDO_LOG = ".bin_undo_log";
const JOURNAL = ".binned_days";

/**
 * When to kill a run, by what it has written (a clock measured on one run misses when the next runs
 * faster or slower): at once, before it has done anything; once its journal lists a number of days
 * binned in this run (between batches); or once its undo log holds records (object files are changing).
 */
type KillPoint = { atStart: true } | { daysCommitted: number } | { undoLogBytes: number };

/** Days the binned folder's journal lists (its seal and header aside); the journal is replaced whole, never half-written. */
function daysInJournal(binned: string): number {
  const text = fs.readFileSync(path.join(binned, JOURNAL), { encoding: "utf8", flag: "r" });
  return Math.max(0, text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length - 1);
}

function reached(binned: string, point: KillPoint, daysBefore: number): boolean {
  if ("atStart" in point) return true;
  if ("daysCommitted" in point) {
    try {
      return daysInJournal(binned) >= daysBefore + point.daysCommitted;
    } catch {
      return false;
    }
  }
  // The first batch of this run whose undo log reaches the size; earlier batches are committed
  // by an uninterrupted run first (see `binnedBefore`), which a busy machine cannot throw off.
  const size = fs.statSync(path.join(binned, UNDO_LOG), { throwIfNoEntry: false })?.size ?? -1;
  return size >= point.undoLogBytes;
}

/**
 * Starts a bin run and kills it with SIGKILL at `point`; resolves when it is gone, with whether the
 * kill landed mid-run (false when the run ended before reaching the point).
 */
function runAndKill(args: string[], binned: string, point: KillPoint): Promise<boolean> {
  let daysBefore = 0;
  try {
    daysBefore = daysInJournal(binned);
  } catch {}
  return new Promise((resolve) => {
    const child = startCli(SCRIPT, args);
    let landed = false;
    const check = () => {
      if (!isRunning(child) || !reached(binned, point, daysBefore)) return;
      clearInterval(timer);
      landed = true;
      child.kill("SIGKILL");
    };
    const timer = setInterval(check, 1);
    check();
    child.on("exit", () => {
      clearInterval(timer);
      resolve(landed && child.signalCode === "SIGKILL");
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
  const expected = binnedData(reference);
  // The folder's format marker is part of the tree every rerun must give.
  assert.equal(expected.get(".binned_format"), BINNED_STATUS_HEADER);

  // A 1 MB buffer makes each day a batch of its own, read in two passes: many commit points.
  // Days binned by an uninterrupted run before the kills (each a batch), then the kills in turn.
  const points: { binnedBefore: number; kills: KillPoint[] }[] = [
    { binnedBefore: 0, kills: [{ atStart: true }] },
    { binnedBefore: 0, kills: [{ daysCommitted: 1 }] },
    { binnedBefore: 0, kills: [{ daysCommitted: 2 }] },
    { binnedBefore: 0, kills: [{ daysCommitted: 4 }] },
    { binnedBefore: 0, kills: [{ undoLogBytes: 100 }] },
    { binnedBefore: 0, kills: [{ undoLogBytes: 20_000 }] },
    { binnedBefore: 2, kills: [{ undoLogBytes: 2_000 }] },
    { binnedBefore: 4, kills: [{ undoLogBytes: 30_000 }] },
    { binnedBefore: 1, kills: [{ undoLogBytes: 5_000 }, { undoLogBytes: 100 }, { daysCommitted: 1 }] },
  ];
  let undone = 0;
  const missed: string[] = [];
  for (const [i, { binnedBefore, kills }] of points.entries()) {
    // A kill aimed at an undo log can land after its batch committed when the machine is busy (the
    // log is watched every millisecond); such a point is tried again, up to three times in all.
    const aimed = kills.some((point) => "undoLogBytes" in point);
    for (let attempt = 0; attempt < (aimed ? 3 : 1); attempt++) {
      const binned = path.join(root, `killed-${i}-${attempt}`);
      const args = [
        "--reduced_s3_logs_folder_path",
        reduced,
        "--binned_s3_logs_folder_path",
        binned,
        "--maximum_buffer_size_in_mb",
        "1",
        "--quiet",
      ];
      if (binnedBefore > 0)
        assert.equal(runCli(SCRIPT, [...args, "--file_limit", String(binnedBefore)]).code, 0);
      for (const point of kills) {
        if (!(await runAndKill(args, binned, point))) missed.push(JSON.stringify(point));
      }
      const rerun = runCli(SCRIPT, args);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.deepEqual(binnedData(binned), expected, `kills ${JSON.stringify(kills)} left a different tree`);
      if (/interrupted batch of an earlier run was undone/.test(rerun.stdout)) {
        undone++;
        break;
      }
    }
  }
  assert.ok(undone >= 3, `only ${undone} reruns found a batch to undo: the kills came too early or too late`);
  // An aimed kill may be tried again (above); a kill that never landed proves nothing.
  assert.ok(missed.length <= 2, `kills that came after the run had ended: ${missed.join(", ")}`);
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
