import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { acquireRunLock, LockedError } from "../src/io/run-lock.ts";
import { FIXTURES, ROOT, runCli, tempFolder } from "./helpers.ts";

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

  test("run exits with 75 and says who holds the folder when another run is working in it", async () => {
    const work = tempFolder("work");
    const release = acquireRunLock(path.join(work, ".run.lock"));
    try {
      const raw = path.join(FIXTURES, "reduction", "reduction_example_1", "raw_logs");
      const result = runCli("main", [
        "run",
        "--raw_s3_logs_folder_path",
        raw,
        "--work_folder",
        work,
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
