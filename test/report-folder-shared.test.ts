import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { buildReport } from "../src/report/build-report.ts";
import { ROOT, readTree, runArgs, runCli, tempFolder } from "./helpers.ts";
import { writeMappedFolder } from "./report-helpers/mapped-folder.ts";

/**
 * The report folder is the report's to write but not exclusively: a site published from it holds a
 * CNAME, a .nojekyll, a logo, notes beside the pages. A rerun, one that redraws every page (after an
 * upgrade), one that removes the page of a Dandiset gone, and `run` itself remove only files the
 * report wrote, also when the report folder is a link to a folder elsewhere.
 */
const USER_FILES: Record<string, string> = {
  CNAME: "usage.example.org\n",
  ".nojekyll": "",
  "assets/logo.png": "\x89PNG not really",
  "dandisets/notes.txt": "what these pages are\n",
};

function addUserFiles(folder: string): void {
  for (const [file, text] of Object.entries(USER_FILES)) {
    fs.mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
    fs.writeFileSync(path.join(folder, file), text);
  }
}

function assertUserFiles(folder: string, when: string): void {
  for (const [file, text] of Object.entries(USER_FILES))
    assert.equal(fs.readFileSync(path.join(folder, file), "utf8"), text, `${file} ${when}`);
}

/** The report's own files: everything but the user's. */
function reportFiles(folder: string): Map<string, string> {
  return new Map(
    [...readTree(folder)].filter(([file]) => !(file in USER_FILES) && file !== "report-state.json"),
  );
}

describe("a report folder that holds other files too", () => {
  const at = new Date("2024-03-01T00:00:00Z");

  test("reruns, a redraw of every page, and a Dandiset gone remove only the report's own files", async () => {
    const root = tempFolder("report-shared");
    const mapped = path.join(root, "mapped");
    writeMappedFolder(mapped, { dandisets: 5, seed: 4 });
    const output = path.join(root, "report");
    await buildReport({ mappedFolder: mapped, outputFolder: output, generatedAt: at });
    addUserFiles(output);

    // Nothing new.
    const again = await buildReport({ mappedFolder: mapped, outputFolder: output, generatedAt: at });
    assert.equal(again.pagesRemoved, 0);
    assertUserFiles(output, "after a rerun with nothing new");

    // A state from another version (or a lost one): every page drawn again, in place.
    const stateFile = path.join(output, "report-state.json");
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as { setting: string };
    fs.writeFileSync(stateFile, JSON.stringify({ ...state, setting: "an earlier version" }));
    const redrawn = await buildReport({ mappedFolder: mapped, outputFolder: output, generatedAt: at });
    assert.equal(redrawn.drawnFromScratch, true);
    assertUserFiles(output, "after every page was drawn again");
    fs.rmSync(stateFile);
    await buildReport({ mappedFolder: mapped, outputFolder: output, generatedAt: at });
    assertUserFiles(output, "after a report without a state");

    // A Dandiset gone: its page goes, nothing else.
    fs.rmSync(path.join(mapped, "000003"), { recursive: true });
    const gone = await buildReport({ mappedFolder: mapped, outputFolder: output, generatedAt: at });
    assert.equal(gone.pagesRemoved, 1);
    assert.ok(!fs.existsSync(path.join(output, "dandisets", "000003.html")));
    assertUserFiles(output, "after a Dandiset's page was removed");

    // The report's files are those of a report drawn from scratch into an empty folder.
    const fresh = path.join(root, "fresh");
    await buildReport({ mappedFolder: mapped, outputFolder: fresh, generatedAt: at });
    assert.deepEqual(reportFiles(output), reportFiles(fresh));
  });

  test("a report folder that is a link to a folder elsewhere stays a link, and keeps that folder's files", async () => {
    const root = tempFolder("report-link");
    const mapped = path.join(root, "mapped");
    writeMappedFolder(mapped, { dandisets: 4, seed: 9 });
    const site = path.join(root, "site");
    await buildReport({ mappedFolder: mapped, outputFolder: site, generatedAt: at });
    addUserFiles(site);
    const link = path.join(root, "report");
    fs.symlinkSync(site, link);
    for (const when of ["a rerun through the link", "a redraw of every page through the link"]) {
      if (when.includes("redraw")) fs.rmSync(path.join(site, "report-state.json"));
      await buildReport({ mappedFolder: mapped, outputFolder: link, generatedAt: at });
      assert.ok(fs.lstatSync(link).isSymbolicLink(), `still a link after ${when}`);
      assertUserFiles(site, `after ${when}`);
    }
  });

  test("run, twice, leaves a site's files in its report folder", () => {
    const work = path.join(tempFolder("report-run"), "work");
    const args = [
      ...runArgs(path.join(ROOT, "samples", "raw"), work),
      "--catalog",
      path.join(ROOT, "samples", "catalog.json"),
      "--quiet",
      "--no-ip_key_warning",
    ];
    const first = runCli("main", args);
    assert.equal(first.code, 0, first.stderr);
    addUserFiles(path.join(work, "report"));
    const second = runCli("main", args);
    assert.equal(second.code, 0, second.stderr);
    assertUserFiles(path.join(work, "report"), "after a run with nothing new");
  });
});
