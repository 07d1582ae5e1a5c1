import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { readTree, runCli, startCli, tempFolder } from "./helpers.ts";
import { changeMappedFolder } from "./report-helpers/change-mapped.ts";
import { writeMappedFolder } from "./report-helpers/mapped-folder.ts";

/** Fixes the time the index says it was generated, so runs can be compared byte for byte. */
const ENV = { SOURCE_DATE_EPOCH: "1714979289" };
const OPTIONS = { dandisets: 12, seed: 21 };

function reportArgs(mapped: string, output: string, workers = 1): string[] {
  return [
    "report",
    "--mapped_s3_logs_folder_path",
    mapped,
    "--output_folder",
    output,
    "--maximum_number_of_workers",
    String(workers),
    "--quiet",
  ];
}

function report(mapped: string, output: string): Map<string, string> {
  const result = runCli("main", reportArgs(mapped, output), ENV);
  assert.equal(result.code, 0, result.stderr);
  return readTree(output);
}

const isTemporary = (name: string) => path.basename(name).startsWith(".");

/** File names below `folder`, temporary ones included; none when it does not exist. */
function names(folder: string): string[] {
  return fs.existsSync(folder) ? fs.readdirSync(folder, { recursive: true }).map(String) : [];
}

/** Starts `report`, waits until `reached` says the run got that far (or it ended), and kills it. */
async function killWhen(mapped: string, output: string, reached: () => boolean, workers = 1): Promise<void> {
  const child = startCli("main", reportArgs(mapped, output, workers), ENV);
  const closed = once(child, "close");
  while (!reached() && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 1));
  child.kill("SIGKILL");
  await closed;
}

/**
 * What a reader could see after the kill: every file under its final name whole, and the one or the
 * other run's, never a mix (temporary files aside). The state may also be the one written before the
 * pages are renamed: the old one without the pages about to change.
 */
function checkWhole(
  tree: Map<string, string>,
  before: Map<string, string>,
  after: Map<string, string>,
): void {
  for (const [file, content] of tree) {
    if (isTemporary(file)) continue;
    if (content === before.get(file) || content === after.get(file)) continue;
    assert.equal(file, "report-state.json", `${file} after the kill is neither the old nor the new report's`);
    const pages = Object.entries(JSON.parse(content).pages);
    const old = JSON.parse(before.get(file)!).pages;
    for (const [id, record] of pages)
      assert.deepEqual(record, old[id], `the state's page ${id} after the kill`);
    assert.ok(pages.length < Object.keys(old).length, "the state after the kill marks no page as changing");
  }
}

describe("report survives SIGKILL at any moment", () => {
  const mappedBefore = path.join(tempFolder("report-kill"), "mapped");
  writeMappedFolder(mappedBefore, OPTIONS);
  const mappedAfter = path.join(tempFolder("report-kill"), "mapped");
  fs.cpSync(mappedBefore, mappedAfter, { recursive: true });
  changeMappedFolder(
    mappedAfter,
    {
      changed: ["000002", "000005", "000009", "000013", "000017", "000021"],
      removed: ["000004"],
      added: ["000025"],
    },
    OPTIONS,
  );
  const beforeFolder = path.join(tempFolder("report-kill-ref"), "report");
  const before = report(mappedBefore, beforeFolder);
  const after = report(mappedAfter, path.join(tempFolder("report-kill-ref"), "report"));

  test("drawing from scratch: killed at five moments, then run again, equals an uninterrupted run", async (t) => {
    let interrupted = 0;
    const moments: [string, (parent: string) => boolean][] = [
      ["at start-up", () => true],
      [
        "once the staging folder exists",
        (parent) => names(parent).some((name) => name.startsWith(".report.tmp-")),
      ],
      [
        "after the first pages",
        (parent) => names(parent).filter((name) => name.endsWith(".html")).length >= 3,
      ],
      [
        "half-way",
        (parent) => names(parent).filter((name) => name.endsWith(".html")).length >= after.size / 2,
      ],
      ["at the index", (parent) => names(parent).some((name) => name.endsWith("index.html"))],
    ];
    for (const [moment, reached] of moments) {
      const parent = tempFolder("report-kill-scratch");
      const output = path.join(parent, "report");
      await killWhen(mappedAfter, output, () => reached(parent));
      const left = readTree(output);
      // Drawn aside and swapped in whole: the report is there entirely or not at all.
      assert.ok(
        left.size === 0 || [...left.keys()].every((file) => left.get(file) === after.get(file)),
        moment,
      );
      if (left.size === 0) interrupted++;
      t.diagnostic(`killed ${moment}: ${left.size === 0 ? "mid-run" : "after the end"}`);
      assert.deepEqual(report(mappedAfter, output), after, `killed ${moment}`);
      assert.deepEqual(fs.readdirSync(parent), ["report"], `killed ${moment}: a side folder is left`);
    }
    assert.ok(interrupted >= 3, `only ${interrupted} of the kills landed mid-run`);
  });

  test("drawn by two threads: killed at three moments, then run again, equals an uninterrupted run", async (t) => {
    const pagesIn = (parent: string) => names(parent).filter((name) => name.endsWith(".html")).length;
    const moments: [string, (parent: string) => boolean][] = [
      ["at start-up", () => true],
      ["after the first pages", (parent) => pagesIn(parent) >= 3],
      ["half-way", (parent) => pagesIn(parent) >= after.size / 2],
    ];
    for (const [moment, reached] of moments) {
      const parent = tempFolder("report-kill-threads");
      const output = path.join(parent, "report");
      await killWhen(mappedAfter, output, () => reached(parent), 2);
      const left = readTree(output);
      assert.ok(
        left.size === 0 || [...left.keys()].every((file) => left.get(file) === after.get(file)),
        moment,
      );
      t.diagnostic(`killed ${moment}: ${left.size === 0 ? "mid-run" : "after the end"}`);
      assert.deepEqual(report(mappedAfter, output), after, `killed ${moment}`);
      assert.deepEqual(fs.readdirSync(parent), ["report"], `killed ${moment}: a side folder is left`);
    }
  });

  test("bringing a report up to date: killed at five moments, then run again, equals an uninterrupted run", async (t) => {
    let interrupted = 0;
    const pagesAside = (output: string) =>
      names(output).filter((name) => isTemporary(name) && name.includes(".html.tmp-")).length;
    const firstChanged = "dandisets/000002.html";
    const moments: [string, (output: string) => boolean][] = [
      ["at start-up", () => true],
      ["once the first page is written aside", (output) => pagesAside(output) >= 1],
      ["with half the pages aside", (output) => pagesAside(output) >= 3],
      [
        "once the state marks the pages as changing",
        (output) =>
          fs.readFileSync(path.join(output, "report-state.json"), "latin1") !==
          before.get("report-state.json"),
      ],
      [
        "once the first new page is in place",
        (output) => fs.readFileSync(path.join(output, firstChanged), "latin1") !== before.get(firstChanged),
      ],
    ];
    for (const [moment, reached] of moments) {
      const output = path.join(tempFolder("report-kill-update"), "report");
      fs.cpSync(beforeFolder, output, { recursive: true });
      await killWhen(mappedAfter, output, () => reached(output));
      const left = readTree(output);
      checkWhole(left, before, after);
      if (!sameTree(left, after)) interrupted++;
      t.diagnostic(
        `killed ${moment}: left ${sameTree(left, after) ? "the new report" : sameTree(withoutTemporary(left), before) ? "the old report" : "a report partly updated"}`,
      );
      assert.deepEqual(report(mappedAfter, output), after, `killed ${moment}`);
      assert.deepEqual(names(output).filter(isTemporary), [], `killed ${moment}: temporary files are left`);
    }
    assert.ok(interrupted >= 3, `only ${interrupted} of the kills landed mid-run`);
  });
});

function withoutTemporary(tree: Map<string, string>): Map<string, string> {
  return new Map([...tree].filter(([file]) => !isTemporary(file)));
}

function sameTree(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([file, content]) => b.get(file) === content);
}
