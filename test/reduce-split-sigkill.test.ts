import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { generateRawLogs } from "../src/index.ts";
import { readTree, runCli, startCli, tempFolder } from "./helpers.ts";

/**
 * A day large enough to be cut into ranges (16 MiB or more) by two workers, killed while its parts
 * are being written and assembled: what is there under a final name is complete, and a second run
 * gives the output of an uninterrupted one.
 */
describe("reduce of one day in ranges survives SIGKILL", () => {
  const raw = tempFolder("raw");
  const expected = tempFolder("expected");
  generateRawLogs(raw, {
    seed: 51,
    days: 2,
    bytesPerDay: 20_000_000,
    damageRate: 0.02,
    expectedReducedFolder: expected,
  });
  const expectedTree = readTree(expected);
  const args = (reduced: string) => [
    "reduce",
    "--raw_s3_logs_folder_path",
    raw,
    "--reduced_s3_logs_folder_path",
    reduced,
    "--maximum_number_of_workers",
    "2",
    "--quiet",
  ];
  const names = (folder: string) =>
    fs.existsSync(folder)
      ? fs.readdirSync(folder, { recursive: true }).map((name) => path.basename(String(name)))
      : [];
  const temporaryFiles = (folder: string) => names(folder).filter((name) => name.includes(".tmp-")).length;
  const finishedDays = (folder: string) => names(folder).filter((name) => /^\d\d\.tsv$/.test(name)).length;
  const moments: [string, (folder: string) => boolean][] = [
    ["at start-up", () => true],
    ["while the first parts are written", (folder) => temporaryFiles(folder) >= 2],
    ["while parts are assembled", (folder) => temporaryFiles(folder) >= 3],
    ["after the first day", (folder) => finishedDays(folder) >= 1],
  ];

  test("killed at four moments, then run again: identical to an uninterrupted run", async () => {
    let interrupted = 0;
    for (const [moment, reached] of moments) {
      const reduced = tempFolder("killed");
      const child = startCli("main", args(reduced));
      const closed = once(child, "close");
      while (!reached(reduced) && child.exitCode === null)
        await new Promise((resolve) => setTimeout(resolve, 1));
      child.kill("SIGKILL");
      await closed;
      const afterKill = readTree(reduced);
      if (
        [...afterKill.keys()].filter((file) => !path.basename(file).startsWith(".")).length <
        expectedTree.size
      )
        interrupted++;
      for (const [file, content] of afterKill) {
        if (!path.basename(file).startsWith("."))
          assert.equal(content, expectedTree.get(file), `${file} after the kill ${moment}`);
      }
      const rerun = runCli("main", args(reduced));
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.deepEqual(readTree(reduced), expectedTree, `killed ${moment}`);
    }
    assert.ok(interrupted >= 3, `only ${interrupted} of the kills landed mid-run`);
  });
});
