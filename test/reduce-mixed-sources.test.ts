import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { generateRawLogs, reduceAllDandiRawS3Logs, UsageError } from "../src/index.ts";
import { readTree, reduceArgs, runArgs, runCli, tempFolder } from "./helpers.ts";
import { cutIntoLogObjects, writeLogObjects } from "./support/log-objects.ts";

/**
 * A reduced folder is made from day files or from log objects, never both: each kind keeps its own
 * record of what it read, so a day's late lines reduced from objects would be reduced again from a
 * day file that holds them, and binned twice. Refused both ways, with exit code 2 and one line,
 * before anything is written; folders made before the kind was recorded are told by their records.
 */
describe("a reduced folder takes one kind of raw logs", () => {
  const days = tempFolder("mixed-days");
  generateRawLogs(days, { seed: 21, days: 2, startDate: "2024-05-01", bytesPerDay: 30_000, blobCount: 20 });
  const objects = tempFolder("mixed-objects");
  writeLogObjects(objects, cutIntoLogObjects(days, "simple"));
  const reduce = (raw: string, reduced: string) => runCli("main", reduceArgs(raw, reduced));

  function assertRefused(raw: string, reduced: string, from: string, given: string): void {
    const before = readTree(reduced);
    const result = reduce(raw, reduced);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0],
      new RegExp(
        `^error: --reduced_s3_logs_folder_path .* holds days reduced from ${from}, and --raw_s3_logs_folder_path .* holds ${given}: .*reduce ${given} into a new folder$`,
      ),
    );
    assert.deepEqual(readTree(reduced), before, "nothing was written");
  }

  test("day files into a folder reduced from log objects are refused (they would count late rows twice)", () => {
    const reduced = tempFolder("mixed-from-objects");
    assert.equal(reduce(objects, reduced).code, 0);
    assertRefused(days, reduced, "log objects", "day files");
    assert.equal(fs.readFileSync(path.join(reduced, ".reduced_source"), "utf8"), "log objects\n");
    // A folder of log objects reduced before the kind was recorded: told by its journal.
    fs.rmSync(path.join(reduced, ".reduced_source"));
    assertRefused(days, reduced, "log objects", "day files");
  });

  test("log objects into a folder reduced from day files are refused, from a folder or a bucket", async () => {
    const reduced = tempFolder("mixed-from-days");
    assert.equal(reduce(days, reduced).code, 0);
    assertRefused(objects, reduced, "day files", "log objects");
    assert.equal(fs.readFileSync(path.join(reduced, ".reduced_source"), "utf8"), "day files\n");
    // Refused before any request: no S3 is reached.
    await assert.rejects(
      reduceAllDandiRawS3Logs({ rawFolder: "s3://logging/logs/", reducedFolder: reduced }),
      (error: UsageError) => error instanceof UsageError && error.code === "ERR_REDUCED_SOURCE_MIX",
    );
    // A folder of day files reduced before any record existed: told by its days.
    fs.rmSync(path.join(reduced, ".reduced_source"));
    fs.rmSync(path.join(reduced, ".reduced_days"));
    assertRefused(objects, reduced, "day files", "log objects");
  });

  test("run refuses day files for a work folder made from log objects", () => {
    const work = tempFolder("mixed-run");
    assert.equal(reduce(objects, path.join(work, "reduced")).code, 0);
    const result = runCli("main", [...runArgs(days, work), "--no-report", "--quiet", "--no-ip_key_warning"]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /holds days reduced from log objects/);
    assert.ok(!fs.existsSync(path.join(work, "binned")), "nothing was binned");
  });

  test("the same kind again is reduced as before", () => {
    const reduced = tempFolder("mixed-same");
    assert.equal(reduce(days, reduced).code, 0);
    const again = reduce(days, reduced);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 day files reduced, 2 already reduced/);
  });
});
