import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { AbortedError } from "../src/errors.ts";
import { buildReport } from "../src/report/build-report.ts";
import { readTree, runCli, tempFolder } from "./helpers.ts";
import { changeMappedFolder } from "./report-helpers/change-mapped.ts";
import { writeMappedFolder } from "./report-helpers/mapped-folder.ts";

/** The command's SOURCE_DATE_EPOCH, so that its report can be compared with the library's. */
const EPOCH = 1714979289;
const GENERATED_AT = new Date(EPOCH * 1000);
const OPTIONS = { dandisets: 9, seed: 5, bigDandisetAssets: 60 };

async function reportWith(mapped: string, workers: number, output?: string) {
  const folder = output ?? path.join(tempFolder("report-workers-out"), "report");
  const done: number[] = [];
  const summary = await buildReport({
    mappedFolder: mapped,
    outputFolder: folder,
    generatedAt: GENERATED_AT,
    workers,
    onProgress: (progress) => done.push(progress.done),
  });
  return { folder, summary, done, tree: readTree(folder) };
}

describe("report pages drawn on several threads", () => {
  const mapped = path.join(tempFolder("report-workers"), "mapped");
  writeMappedFolder(mapped, OPTIONS);
  let oneThread = new Map<string, string>();

  test("one thread and three draw the same report, byte for byte", async () => {
    const one = await reportWith(mapped, 1);
    oneThread = one.tree;
    assert.equal(one.tree.size, OPTIONS.dandisets + 3); // the pages, the index, report.json, the state
    const many = await reportWith(mapped, 3);
    assert.deepEqual(many.tree, one.tree);
    assert.deepEqual(many.summary.chartWarnings, []);
    // Every page counted once as it is drawn, whichever thread drew it, then the index.
    assert.deepEqual(
      many.done,
      Array.from({ length: OPTIONS.dandisets + 1 }, (_, i) => i + 1),
    );
  });

  test("a report brought up to date by two threads equals one drawn from scratch by one", async () => {
    const changed = path.join(tempFolder("report-workers-change"), "mapped");
    fs.cpSync(mapped, changed, { recursive: true });
    const { folder } = await reportWith(changed, 2);
    changeMappedFolder(
      changed,
      { changed: ["000002", "000006"], removed: ["000004"], added: ["000010"] },
      OPTIONS,
    );
    const update = await reportWith(changed, 2, folder);
    assert.equal(update.summary.pagesWritten, 4);
    assert.deepEqual(update.tree, (await reportWith(changed, 1)).tree);
  });

  test("aborted while threads draw: rejects, and leaves neither a report nor a side folder", async () => {
    const parent = tempFolder("report-workers-abort");
    const controller = new AbortController();
    await assert.rejects(
      buildReport({
        mappedFolder: mapped,
        outputFolder: path.join(parent, "report"),
        workers: 2,
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.done === 3) controller.abort();
        },
      }),
      AbortedError,
    );
    assert.deepEqual(fs.readdirSync(parent), []);
  });

  test("the command takes --maximum_number_of_workers, and refuses 0 naming the flag", () => {
    const drawn = path.join(tempFolder("report-workers-cli"), "report");
    const args = ["report", "--mapped_s3_logs_folder_path", mapped, "--output_folder", drawn];
    const result = runCli("main", [...args, "--maximum_number_of_workers", "2", "--quiet"], {
      SOURCE_DATE_EPOCH: String(EPOCH),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readTree(drawn), oneThread);
    const output = path.join(tempFolder("report-workers-cli"), "report");
    const bad = runCli("main", [
      "report",
      "--mapped_s3_logs_folder_path",
      mapped,
      "--output_folder",
      output,
      "--maximum_number_of_workers",
      "0",
    ]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--maximum_number_of_workers/);
    const help = runCli("main", ["report", "--help"]);
    assert.match(help.stdout, /--maximum_number_of_workers <n>/);
  });
});
