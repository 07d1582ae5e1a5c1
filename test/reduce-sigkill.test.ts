import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { REDUCED_FORMAT_FILE, reducedFolderFormat } from "../src/formats/work-formats.ts";
import { generateRawLogs } from "../src/index.ts";
import { readTree, runCli, startCli, tempFolder } from "./helpers.ts";

function reduceArgs(raw: string, reduced: string, workers: number): string[] {
  return [
    "--raw_s3_logs_folder_path",
    raw,
    "--reduced_s3_logs_folder_path",
    reduced,
    "--maximum_number_of_workers",
    String(workers),
    "--quiet",
  ];
}

describe("reduce survives SIGKILL at any moment", () => {
  const raw = tempFolder("raw");
  const expected = tempFolder("expected");
  generateRawLogs(raw, {
    seed: 31,
    days: 8,
    bytesPerDay: 4_000_000,
    damageRate: 0.05,
    expectedReducedFolder: expected,
  });
  const expectedTree = readTree(expected);

  // Kills aimed at moments of the run by what it has written, not by the clock: a clock measured on
  // one run misses when the next runs faster (it did, with the browser test beside it).
  const names = (folder: string) =>
    fs.existsSync(folder)
      ? fs.readdirSync(folder, { recursive: true }).map((name) => path.basename(String(name)))
      : [];
  const finishedDays = (folder: string) => names(folder).filter((name) => /^\d\d\.tsv$/.test(name)).length;
  const hasTemporaryFile = (folder: string) => names(folder).some((name) => name.includes(".tmp-"));
  const days = [...expectedTree.keys()].filter((f) => /\d\d\.tsv$/.test(f)).length;
  const moments: [string, (folder: string) => boolean][] = [
    ["at start-up", () => true],
    ["while the first day is written", hasTemporaryFile],
    ["after the first day", (folder) => finishedDays(folder) >= 1],
    ["half-way", (folder) => finishedDays(folder) >= days / 2],
    ["before the last day", (folder) => finishedDays(folder) >= days - 1],
  ];

  for (const workers of [1, 2]) {
    test(`killed at five moments with ${workers} worker(s), then run again: identical to an uninterrupted run`, async () => {
      let interrupted = 0;
      for (const [moment, reached] of moments) {
        const reduced = tempFolder("killed");
        const child = startCli("main", ["reduce", ...reduceArgs(raw, reduced, workers)]);
        const closed = once(child, "close");
        while (!reached(reduced) && child.exitCode === null)
          await new Promise((resolve) => setTimeout(resolve, 1));
        child.kill("SIGKILL");
        await closed;
        const afterKill = readTree(reduced);
        if (
          afterKill.size !== expectedTree.size ||
          [...afterKill.keys()].some((file) => !expectedTree.has(file))
        )
          interrupted++;
        // Whatever is there under its final name is complete.
        for (const [file, content] of afterKill) {
          if (!path.basename(file).startsWith("."))
            assert.equal(content, expectedTree.get(file), `${file} after the kill`);
        }
        // The format marker comes before the first day, so a kill never leaves days without it:
        // the rerun would take them for an earlier version's.
        if (finishedDays(reduced) > 0)
          assert.ok(fs.existsSync(path.join(reduced, REDUCED_FORMAT_FILE)), `marker after a kill ${moment}`);
        const rerun = runCli("main", ["reduce", ...reduceArgs(raw, reduced, workers)]);
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.deepEqual(readTree(reduced), expectedTree, `killed ${moment}`);
        assert.equal(reducedFolderFormat(reduced), "status");
      }
      assert.ok(interrupted >= 3, `only ${interrupted} of the kills landed mid-run`);
    });
  }

  test("Ctrl-C in the middle of a day removes its unfinished output and exits with 130", async () => {
    const reduced = tempFolder("interrupted");
    const child = startCli("main", ["reduce", ...reduceArgs(raw, reduced, 1)]);
    const closed = once(child, "close");
    const temporaryFiles = () =>
      fs.existsSync(reduced)
        ? fs
            .readdirSync(reduced, { recursive: true })
            .map(String)
            .map((name) => path.basename(name))
            .filter((name) => name.startsWith(".") && !name.startsWith(".reduced_"))
        : [];
    // A temporary file exists only while a day is being reduced: interrupt right then.
    while (temporaryFiles().length === 0 && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 2));
    child.kill("SIGINT");
    const [code] = await closed;
    assert.equal(code, 130);
    assert.deepEqual(temporaryFiles(), [], "no temporary files left");
    for (const [file, content] of readTree(reduced)) assert.equal(content, expectedTree.get(file), file);
  });
});
