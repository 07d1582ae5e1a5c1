import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { AbortedError, UsageError } from "../src/errors.ts";
import { LockedError } from "../src/io/run-lock.ts";
import { buildReport } from "../src/report/build-report.ts";
import { tempFolder } from "./helpers.ts";
import { type ExpectedFigures, writeMappedFolder } from "./report-helpers/mapped-folder.ts";
import {
  findIpAddresses,
  readReport,
  rowValues,
  statValue,
  svgCharts,
} from "./report-helpers/read-report.ts";

const OPTIONS = { dandisets: 12, seed: 7, bigDandisetAssets: 300 };

function checkFigures(report: Map<string, string>, expected: ExpectedFigures): void {
  const index = report.get("index.html")!;
  assert.equal(statValue(index, "Bytes sent"), expected.bytes);
  assert.equal(statValue(index, "Requests"), expected.requests);
  assert.equal(statValue(index, "Dandisets"), expected.dandisets.length);
  const known = expected.regions.filter((region) => region !== "unknown");
  assert.equal(statValue(index, "Regions"), known.length);
  assert.equal(
    statValue(index, "Countries"),
    new Set(known.filter((r) => /^[A-Z]{2}(\/|$)/.test(r)).map((r) => r.slice(0, 2))).size,
  );
  for (const dandiset of expected.dandisets) {
    assert.deepEqual(rowValues(index, dandiset.id), [dandiset.bytes, dandiset.requests], dandiset.id);
    const page = report.get(`dandisets/${dandiset.id}.html`)!;
    assert.equal(statValue(page, "Bytes sent"), dandiset.bytes, dandiset.id);
    assert.equal(statValue(page, "Requests"), dandiset.requests, dandiset.id);
    assert.equal(statValue(page, "Versions"), dandiset.versions, dandiset.id);
    assert.equal(statValue(page, "Assets downloaded"), dandiset.assets, dandiset.id);
    assert.deepEqual(rowValues(page, "draft").slice(0, 3), [
      dandiset.bytes,
      dandiset.requests,
      dandiset.assets,
    ]);
  }
}

describe("report from generated mapped folders", () => {
  const withTables = path.join(tempFolder("report-gen"), "mapped");
  const expected = writeMappedFolder(withTables, OPTIONS);

  test("figures match the tables, charts have marks, big Dandisets are capped and bucketed", async () => {
    const output = path.join(tempFolder("report-gen-out"), "report");
    const summary = await buildReport({ mappedFolder: withTables, outputFolder: output });
    assert.equal(summary.dandisets, OPTIONS.dandisets);
    assert.deepEqual(summary.requestSources, { tables: OPTIONS.dandisets, "asset files": 0, none: 0 });
    assert.deepEqual(summary.chartWarnings, []);
    const report = readReport(output);
    checkFigures(report, expected);

    const big = report.get("dandisets/000001.html")!;
    assert.match(big, /bytes sent per month/);
    assert.match(big, /each bar sums a calendar month/);
    assert.match(big, /The 50 assets that sent most, of 300 downloaded/);
    assert.match(big, /The 20 assets that sent most, of 300, by file name/);
    assert.equal((big.match(/<th scope="row" class="path">/g) ?? []).length, 50);
    for (const [name, html] of report) {
      if (!name.endsWith(".html")) continue;
      for (const svg of svgCharts(html)) {
        assert.ok(
          (svg.match(/<path [^>]*aria-roledescription="bar"/g) ?? []).length > 0,
          `${name}: a chart without bars`,
        );
      }
    }
    assert.ok(Buffer.byteLength(big) < 400_000, `the biggest page weighs ${Buffer.byteLength(big)} bytes`);
  });

  test("no IP address appears anywhere in the report", async () => {
    // The detector must find what it is looking for, or its silence means nothing.
    const found = findIpAddresses("a 10.0.0.1 b 2001:db8::1 c ::ffff:192.0.2.1 d");
    for (const address of ["10.0.0.1", "2001:db8::1", "::ffff:192.0.2.1"])
      assert.ok(found.includes(address), address);
    assert.deepEqual(findIpAddresses("0.210812.1448 12:03:05 2021-04-24T12:03:05 v1.2.3"), []);
    const output = path.join(tempFolder("report-gen-ip"), "report");
    await buildReport({ mappedFolder: withTables, outputFolder: output });
    for (const [name, text] of readReport(output)) assert.deepEqual(findIpAddresses(text), [], name);
  });

  test("a folder with only the original tables gives the same figures, counted from the asset files", async () => {
    const original = path.join(tempFolder("report-gen-orig"), "mapped");
    assert.deepEqual(writeMappedFolder(original, { ...OPTIONS, originalOnly: true }), expected);
    assert.ok(!fs.existsSync(path.join(original, "totals.json")));
    const output = path.join(tempFolder("report-gen-orig-out"), "report");
    const summary = await buildReport({ mappedFolder: original, outputFolder: output });
    assert.deepEqual(summary.requestSources, { tables: 0, "asset files": OPTIONS.dandisets, none: 0 });
    checkFigures(readReport(output), expected);
  });

  test("a rerun cleans up after killed runs, and leaves alone what the report did not write", async () => {
    const parent = tempFolder("report-gen-rerun");
    const output = path.join(parent, "report");
    await buildReport({
      mappedFolder: withTables,
      outputFolder: output,
      generatedAt: new Date("2024-01-01T00:00:00Z"),
    });
    // Named like a page, but no state of the report lists it: not the report's to remove.
    fs.writeFileSync(path.join(output, "dandisets", "999999.html"), "not written by the report");
    // What killed runs leave behind (their process id is long gone): a staging folder, a page written aside.
    fs.mkdirSync(path.join(parent, ".report.tmp-2147483646-0badcafe", "dandisets"), { recursive: true });
    fs.writeFileSync(path.join(output, "dandisets", ".000001.html.tmp-2147483646-0badcafe"), "half a page");
    const summary = await buildReport({
      mappedFolder: withTables,
      outputFolder: output,
      generatedAt: new Date("2024-02-02T00:00:00Z"),
    });
    assert.deepEqual(
      [summary.pagesWritten, summary.pagesUnchanged, summary.pagesRemoved, summary.drawnFromScratch],
      [1, OPTIONS.dandisets, 0, false],
    );
    assert.deepEqual(fs.readdirSync(parent), ["report"]);
    assert.equal(fs.readdirSync(path.join(output, "dandisets")).length, OPTIONS.dandisets + 1);
    fs.rmSync(path.join(output, "dandisets", "999999.html"));
    assert.match(fs.readFileSync(path.join(output, "index.html"), "utf8"), /2024-02-02 00:00:00 UTC/);

    // A run killed between the two renames of a report drawn from scratch leaves the previous report
    // aside; the next run puts it back first, so even if that run is interrupted too, it is in place.
    const before = readReport(output);
    fs.renameSync(output, path.join(parent, ".report.old-2147483646-0badcafe"));
    const controller = new AbortController();
    await assert.rejects(
      buildReport({
        mappedFolder: withTables,
        outputFolder: output,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done === p.total) controller.abort();
        },
      }),
      AbortedError,
    );
    assert.deepEqual(fs.readdirSync(parent), ["report"]);
    assert.deepEqual(readReport(output), before);
  });

  test("an interrupted run leaves the previous report as it was", async () => {
    const parent = tempFolder("report-gen-abort");
    const output = path.join(parent, "report");
    await buildReport({
      mappedFolder: withTables,
      outputFolder: output,
      generatedAt: new Date("2024-01-01T00:00:00Z"),
    });
    const before = readReport(output);
    // Other tables under the same name: every page is to be redrawn in place, and the run stops at the third.
    const other = path.join(tempFolder("report-gen-abort-other"), "mapped");
    writeMappedFolder(other, { ...OPTIONS, seed: 8 });
    const controller = new AbortController();
    await assert.rejects(
      buildReport({
        mappedFolder: other,
        outputFolder: output,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done === 3) controller.abort();
        },
      }),
      AbortedError,
    );
    assert.deepEqual(readReport(output), before);
    assert.deepEqual(fs.readdirSync(parent), ["report"]);
    const leftAside = fs
      .readdirSync(output, { recursive: true })
      .filter((name) => String(name).includes(".tmp-"));
    assert.deepEqual(leftAside, []);
  });

  test("refuses to work on a report another live run is updating", async () => {
    const parent = tempFolder("report-gen-locked");
    const lock = path.join(parent, ".report.lock");
    const owner = { pid: process.pid, host: os.hostname(), since: "2024-01-01T00:00:00.000Z" };
    fs.writeFileSync(lock, `${JSON.stringify(owner)}\n`);
    await assert.rejects(
      buildReport({ mappedFolder: withTables, outputFolder: path.join(parent, "report") }),
      LockedError,
    );
    assert.deepEqual(fs.readdirSync(parent), [".report.lock"]);
  });

  test("refuses to replace a folder that holds something other than a report", async () => {
    const output = tempFolder("report-gen-busy");
    fs.writeFileSync(path.join(output, "thesis.tex"), "precious");
    await assert.rejects(
      buildReport({ mappedFolder: withTables, outputFolder: output }),
      (e: UsageError) => e instanceof UsageError && e.code === "ERR_OUTPUT_NOT_A_REPORT",
    );
    assert.deepEqual(fs.readdirSync(output), ["thesis.tex"]);
    await assert.rejects(
      buildReport({ mappedFolder: withTables, outputFolder: path.join(withTables, "report") }),
      { code: "ERR_OUTPUT_INSIDE_INPUT", message: /inside `mappedFolder`/ },
    );
    await assert.rejects(buildReport({ mappedFolder: withTables, outputFolder: path.dirname(withTables) }), {
      code: "ERR_OUTPUT_HOLDS_INPUT",
      message: /would replace it/,
    });
  });
});
