import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { buildReport } from "../src/report/build-report.ts";
import { tempFolder } from "./helpers.ts";
import { changeMappedFolder, type MappedFolderChange } from "./report-helpers/change-mapped.ts";
import { writeMappedFolder } from "./report-helpers/mapped-folder.ts";
import { readReport } from "./report-helpers/read-report.ts";

const GENERATED_AT = new Date("2024-03-04T05:06:07Z");
const OPTIONS = { dandisets: 10, seed: 11 };
/** 000003 gets other tables, 000007 goes, 000011 comes. */
const CHANGE: MappedFolderChange = { changed: ["000003"], removed: ["000007"], added: ["000011"] };

/** Inode and modification time of every page: a page rewritten, even with the same bytes, gets new ones. */
function pageIdentities(output: string): Map<string, string> {
  const pages = new Map<string, string>();
  for (const name of fs.readdirSync(path.join(output, "dandisets"))) {
    const stat = fs.statSync(path.join(output, "dandisets", name), { bigint: true });
    pages.set(name, `${stat.ino}:${stat.mtimeNs}`);
  }
  return pages;
}

async function reportFromScratch(mapped: string): Promise<Map<string, string>> {
  const output = path.join(tempFolder("report-inc-scratch"), "report");
  const summary = await buildReport({
    mappedFolder: mapped,
    outputFolder: output,
    generatedAt: GENERATED_AT,
  });
  assert.equal(summary.drawnFromScratch, true);
  return readReport(output);
}

for (const originalOnly of [false, true]) {
  describe(`incremental report, ${originalOnly ? "original tables only" : "with request and archive tables"}`, () => {
    test("a rerun redraws only the changed and new pages and equals a report drawn from scratch", async () => {
      const mapped = path.join(tempFolder("report-inc"), "mapped");
      writeMappedFolder(mapped, { ...OPTIONS, originalOnly });
      const output = path.join(tempFolder("report-inc-out"), "report");
      const first = await buildReport({
        mappedFolder: mapped,
        outputFolder: output,
        generatedAt: GENERATED_AT,
      });
      assert.deepEqual(
        [first.pagesWritten, first.pagesUnchanged, first.pagesRemoved, first.drawnFromScratch],
        [OPTIONS.dandisets + 1, 0, 0, true],
      );
      const before = pageIdentities(output);

      changeMappedFolder(mapped, CHANGE, { ...OPTIONS, originalOnly });
      const second = await buildReport({
        mappedFolder: mapped,
        outputFolder: output,
        generatedAt: GENERATED_AT,
      });
      assert.deepEqual(
        [second.pagesWritten, second.pagesUnchanged, second.pagesRemoved, second.drawnFromScratch],
        [3, OPTIONS.dandisets - 2, 1, false],
      );
      assert.equal(second.dandisets, OPTIONS.dandisets);
      const after = pageIdentities(output);
      const rewritten = [...after.keys()].filter((name) => before.get(name) !== after.get(name)).sort();
      assert.deepEqual(rewritten, ["000003.html", "000011.html"]);
      assert.ok(!after.has("000007.html"));

      const scratch = await reportFromScratch(mapped);
      assert.deepEqual(readReport(output), scratch);
      assert.deepEqual(second.requestSources, {
        tables: originalOnly ? 0 : OPTIONS.dandisets,
        "asset files": originalOnly ? OPTIONS.dandisets : 0,
        none: 0,
      });
    });
  });
}

describe("incremental report, what counts as a change", () => {
  test("tables rewritten with the same content, and dot-entries in the mapped folder, redraw nothing", async () => {
    const mapped = path.join(tempFolder("report-inc-same"), "mapped");
    writeMappedFolder(mapped, OPTIONS);
    const output = path.join(tempFolder("report-inc-same-out"), "report");
    await buildReport({ mappedFolder: mapped, outputFolder: output, generatedAt: GENERATED_AT });
    const before = readReport(output);
    const pagesBefore = pageIdentities(output);

    // As a map step that writes every table again, unchanged, and keeps a private folder of its own.
    const later = new Date(Date.now() + 60_000);
    for (const entry of fs.readdirSync(mapped, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      fs.writeFileSync(file, fs.readFileSync(file));
      fs.utimesSync(file, later, later);
    }
    fs.mkdirSync(path.join(mapped, ".map_state", "000001"), { recursive: true });
    fs.writeFileSync(path.join(mapped, ".map_state", "000001", "done.json"), "{}\n");
    fs.writeFileSync(path.join(mapped, "000002", ".notes.tsv"), "anything\n");
    fs.mkdirSync(path.join(mapped, "000002", "draft", ".partial"));

    const summary = await buildReport({
      mappedFolder: mapped,
      outputFolder: output,
      generatedAt: GENERATED_AT,
    });
    assert.deepEqual(
      [summary.pagesWritten, summary.pagesUnchanged, summary.pagesRemoved],
      [1, OPTIONS.dandisets, 0],
    );
    assert.deepEqual(pageIdentities(output), pagesBefore);
    assert.deepEqual(readReport(output), before);
  });

  test("a damaged or missing state, or a missing page, is redrawn rather than trusted", async () => {
    const mapped = path.join(tempFolder("report-inc-damaged"), "mapped");
    writeMappedFolder(mapped, OPTIONS);
    const output = path.join(tempFolder("report-inc-damaged-out"), "report");
    await buildReport({ mappedFolder: mapped, outputFolder: output, generatedAt: GENERATED_AT });
    const expected = readReport(output);

    fs.rmSync(path.join(output, "dandisets", "000004.html"));
    const missing = await buildReport({
      mappedFolder: mapped,
      outputFolder: output,
      generatedAt: GENERATED_AT,
    });
    assert.equal(missing.pagesWritten, 2);
    assert.deepEqual(readReport(output), expected);

    fs.writeFileSync(path.join(output, "report-state.json"), '{"format": 1, "pages": ');
    const damaged = await buildReport({
      mappedFolder: mapped,
      outputFolder: output,
      generatedAt: GENERATED_AT,
    });
    assert.equal(damaged.drawnFromScratch, true);
    assert.deepEqual(readReport(output), expected);
  });

  test("a run killed after renaming pages but before its last state is repaired, even if the tables change back", async () => {
    const mapped = path.join(tempFolder("report-inc-revert"), "mapped");
    writeMappedFolder(mapped, OPTIONS);
    const output = path.join(tempFolder("report-inc-revert-out"), "report");
    await buildReport({ mappedFolder: mapped, outputFolder: output, generatedAt: GENERATED_AT });
    const before = readReport(output);
    const newer = path.join(tempFolder("report-inc-revert-newer"), "mapped");
    fs.cpSync(mapped, newer, { recursive: true });
    changeMappedFolder(newer, CHANGE, OPTIONS);
    const after = await reportFromScratch(newer);

    // What a kill leaves after the state that drops the changing pages (listing them, and the pages
    // to come, as the report's without a record), and the first page renamed.
    const killedMidCommit = () => {
      const state = JSON.parse(before.get("report-state.json")!);
      for (const id of [...CHANGE.changed, ...CHANGE.removed]) delete state.pages[id];
      state.otherPages = [...CHANGE.changed, ...CHANGE.removed, ...CHANGE.added].map(
        (id) => `dandisets/${id}.html`,
      );
      fs.writeFileSync(path.join(output, "report-state.json"), `${JSON.stringify(state)}\n`);
      const page = "dandisets/000003.html";
      fs.writeFileSync(path.join(output, page), after.get(page)!);
    };
    killedMidCommit();
    // The tables went back as they were: the page drawn from the newer ones must not be kept.
    await buildReport({ mappedFolder: mapped, outputFolder: output, generatedAt: GENERATED_AT });
    assert.deepEqual(readReport(output), before);
    killedMidCommit();
    await buildReport({ mappedFolder: newer, outputFolder: output, generatedAt: GENERATED_AT });
    assert.deepEqual(readReport(output), after);
  });
});
