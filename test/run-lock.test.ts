import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { acquireRunLock, LockedError } from "../src/io/run-lock.ts";
import { FIXTURES, ROOT, runArgs, runCli, tempFolder, waitUntil } from "./helpers.ts";

/** A process id that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "0"]);
  await once(child, "close");
  return child.pid as number;
}

function staleRecord(pid: number, since = "earlier"): string {
  return `${JSON.stringify({ pid, host: os.hostname(), since })}\n`;
}

/**
 * Two runs take a lock left by a dead run at once, the first held up at `slow` (a call on the lock's
 * folder, as a slow disk or the strace delays would), the second started once the first is
 * held up there. Returns what each said: exactly one may hold the lock.
 */
async function contend(slow: string): Promise<string[]> {
  const dir = tempFolder("contend");
  const lock = path.join(dir, "work", ".run.lock");
  fs.mkdirSync(path.dirname(lock));
  fs.writeFileSync(lock, staleRecord(await deadPid()));
  const script = path.join(ROOT, "test", "support", "lock-contender.ts");
  const start = (mode: string) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, lock, mode, dir], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let said = "";
    child.stdout.on("data", (chunk) => {
      said += chunk;
    });
    return { child, said: () => said };
  };
  const first = start(slow);
  await waitUntil(
    first.child,
    () => first.said() !== "" || fs.readdirSync(dir).some((f) => f.startsWith("waiting-")),
    "the first run is held up",
  );
  const second = start("none");
  const runs = [first, second];
  while (!runs.every((r) => r.said().endsWith("\n"))) await new Promise((r) => setTimeout(r, 5));
  for (const r of runs) r.child.stdin.end();
  await Promise.all(runs.map((r) => (r.child.exitCode === null ? once(r.child, "close") : null)));
  const leftovers = fs.readdirSync(path.dirname(lock));
  assert.deepEqual(leftovers, [], `nothing is left beside the lock after ${slow}`);
  return runs.map((r) => r.said().trim());
}

describe("the run lock", () => {
  test("a second taker is refused while the first holds it, and gets it once released", () => {
    const lock = path.join(tempFolder("lock"), ".run.lock");
    const release = acquireRunLock(lock);
    assert.throws(() => acquireRunLock(lock), LockedError);
    release();
    acquireRunLock(lock)();
    assert.ok(!fs.existsSync(lock));
  });

  test("a lock left by a process that died is taken over", async () => {
    const lock = path.join(tempFolder("lock"), ".run.lock");
    const child = spawn(process.execPath, ["-e", "0"]);
    await once(child, "close");
    fs.writeFileSync(
      lock,
      JSON.stringify({ pid: child.pid, host: (await import("node:os")).hostname(), since: "earlier" }),
    );
    const release = acquireRunLock(lock);
    assert.equal(JSON.parse(fs.readFileSync(lock, "utf8")).pid, process.pid);
    release();
  });

  test("an empty owner record left by a run killed between making and writing it is removed by the next taker", async () => {
    const lock = path.join(tempFolder("lock"), ".map_lock");
    const dead = await deadPid();
    fs.writeFileSync(`${lock}.${dead}`, "");
    acquireRunLock(lock)();
    assert.deepEqual(fs.readdirSync(path.dirname(lock)), []);
  });

  // The strace recipe, without strace: one taker is held up at each step of a takeover while
  // another takes the lock; renaming the stale lock aside let both hold it.
  for (const slow of [
    "readFileSync:1",
    "renameSync:1",
    "linkSync:2",
    "readFileSync:2",
    "rmSync:1",
    "linkSync:3",
  ]) {
    test(`two runs taking over a dead run's lock never both hold it (first held up at ${slow})`, async () => {
      const said = await contend(slow);
      assert.equal(said.filter((s) => s === "held").length, 1, said.join("\n"));
      assert.ok(
        said.every((s) => s === "held" || s.startsWith("locked: ")),
        said.join("\n"),
      );
    });
  }

  test("a run killed while taking over a dead run's lock leaves nothing that stops the next", async () => {
    const dir = tempFolder("contend");
    const lock = path.join(dir, "work", ".run.lock");
    fs.mkdirSync(path.dirname(lock));
    fs.writeFileSync(lock, staleRecord(await deadPid()));
    // Held up after claiming the takeover, then killed: its claim and its owner record stay.
    const script = path.join(ROOT, "test", "support", "lock-contender.ts");
    const taker = spawn(process.execPath, ["--import", "tsx", script, lock, "readFileSync:2", dir]);
    let said = "";
    taker.stdout.on("data", (chunk) => {
      said += chunk;
    });
    const claimed = () => fs.readdirSync(dir).some((f) => f.startsWith("waiting-"));
    await waitUntil(taker, () => claimed() || said !== "", "the claim");
    taker.kill("SIGKILL");
    assert.ok(claimed(), `the taker took the lock without a claim: ${said}`);
    await once(taker, "close");
    assert.equal(fs.readdirSync(path.dirname(lock)).length, 3, "the lock, the taker's record and its claim");
    const release = acquireRunLock(lock);
    assert.equal(JSON.parse(fs.readFileSync(lock, "utf8")).pid, process.pid);
    release();
    assert.deepEqual(fs.readdirSync(path.dirname(lock)), []);
  });

  test("run exits with 75 and says who holds the folder when another run is working in it", async () => {
    const work = tempFolder("work");
    const release = acquireRunLock(path.join(work, ".run.lock"));
    try {
      const raw = path.join(FIXTURES, "reduction", "reduction_example_1", "raw_logs");
      const result = runCli("main", [
        ...runArgs(raw, work),
        "--catalog",
        path.join(ROOT, "samples", "catalog.json"),
        "--quiet",
      ]);
      assert.equal(result.code, 75, result.stderr);
      assert.match(result.stderr, new RegExp(`run ${process.pid} on .* is working in`));
    } finally {
      release();
    }
  });

  test("a lock a live run has held longer than --stuck_after_hours is reported as stuck, with its age", () => {
    const work = tempFolder("work");
    // This test's own process is alive: the lock is held, by a run that started 30 hours ago.
    const since = new Date(Date.now() - 30 * 3600_000 - 5 * 60_000).toISOString();
    fs.writeFileSync(
      path.join(work, ".run.lock"),
      `${JSON.stringify({ pid: process.pid, host: os.hostname(), since })}\n`,
    );
    const run = (...more: string[]) =>
      runCli("main", [
        ...runArgs(path.join(FIXTURES, "reduction", "reduction_example_1", "raw_logs"), work),
        "--catalog",
        path.join(ROOT, "samples", "catalog.json"),
        "--quiet",
        "--no-ip_key_warning",
        ...more,
      ]);
    const busy = run();
    assert.equal(busy.code, 75, busy.stderr);
    assert.match(busy.stderr, new RegExp(`started ${since} \\(30 h 5 min ago\\), is working in`));
    const notYet = run("--stuck_after_hours", "48");
    assert.equal(notYet.code, 75, notYet.stderr);
    const stuck = run("--stuck_after_hours", "24");
    assert.equal(stuck.code, 1, stuck.stderr);
    assert.equal(stuck.stderr.trim().split("\n").length, 1, stuck.stderr);
    assert.match(
      stuck.stderr,
      new RegExp(
        `^error: run ${process.pid} on .* has held .*\\.run\\.lock for 30 h 5 min, longer than --stuck_after_hours 24: it may be stuck`,
      ),
    );
    // The lock is the live run's: left as it was.
    assert.match(fs.readFileSync(path.join(work, ".run.lock"), "utf8"), new RegExp(since));
  });

  test("bin exits with 75 while another bin run holds its binned folder", () => {
    const binned = tempFolder("binned");
    const release = acquireRunLock(path.join(binned, ".bin_lock"));
    try {
      const reduced = path.join(FIXTURES, "binning", "binning_example_0", "reduced_logs");
      const result = runCli("main", [
        "bin",
        "--reduced_s3_logs_folder_path",
        reduced,
        "--binned_s3_logs_folder_path",
        binned,
        "--quiet",
      ]);
      assert.equal(result.code, 75, result.stderr);
      assert.match(result.stderr, /is working in/);
    } finally {
      release();
    }
  });
});
