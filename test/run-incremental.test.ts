import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { generateCatalog } from "../src/generate/catalog.ts";
import { generateRawLogs } from "../src/index.ts";
import { binnedData, isRunning, readTree, runArgs, runCli, startCli, tempFolder } from "./helpers.ts";

/**
 * The tables of a work folder, the access summaries included: everything but the report, whose pages say when they were made, and
 * the steps' bookkeeping of how the days came (bin's batches, map's own state).
 */
function tables(work: string): Map<string, string> {
  const all = new Map<string, string>();
  for (const [file, text] of readTree(path.join(work, "reduced"))) all.set(`reduced/${file}`, text);
  for (const [file, text] of binnedData(path.join(work, "binned"))) all.set(`binned/${file}`, text);
  for (const [file, text] of readTree(path.join(work, "mapped")))
    if (!file.startsWith(".map_state/")) all.set(`mapped/${file}`, text);
  for (const [file, text] of readTree(path.join(work, "summaries"))) all.set(`summaries/${file}`, text);
  return all;
}

// Bin and map share out from the smallest batches and maps on, so that two threads go through
// their workers here (see bin-workers.test.ts, map-workers.test.ts).
process.env.DANDI_S3_LOG_PARSER_BIN_SHARE_BYTES = "1024";
process.env.DANDI_S3_LOG_PARSER_MAP_SHARE_ROWS = "100";

describe("run, day after day", () => {
  const raw = tempFolder("raw");
  const generated = generateRawLogs(raw, {
    seed: 51,
    days: 6,
    startDate: "2024-06-01",
    bytesPerDay: 400_000,
    damageRate: 0.03,
    blobCount: 120,
    zarrCount: 12,
  });
  const catalog = path.join(tempFolder("catalog"), "catalog.json");
  fs.writeFileSync(catalog, JSON.stringify(generateCatalog(generated.assets, { seed: 51, dandisets: 5 })));
  const argsOf = (rawFolder: string, work: string, workers = 1) => [
    ...runArgs(rawFolder, work),
    "--catalog",
    catalog,
    // Every change published, so that the summaries too are those of one run (see region-disclosure.ts).
    "--region_disclosure_threshold",
    "0",
    "--maximum_number_of_workers",
    String(workers),
    "--quiet",
  ];
  const run = (rawFolder: string, work: string, workers = 1) =>
    runCli("main", argsOf(rawFolder, work, workers));

  const reference = path.join(tempFolder("reference"), "work");
  const first = run(raw, reference);
  const expected = tables(reference);

  test("one run on all days writes every step's tables and the report", () => {
    assert.equal(first.code, 0, first.stderr);
    assert.ok(
      [...expected.keys()].some((file) => file.startsWith("mapped/") && file.endsWith("totals.json")),
    );
    assert.ok(fs.existsSync(path.join(reference, "report", "index.html")));
  });

  test("one run on two threads writes the tables of one thread", () => {
    const work = path.join(tempFolder("two-threads"), "work");
    const result = run(raw, work, 2);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /on 2 threads/);
    assert.deepEqual(tables(work), expected);
  });

  for (const workers of [1, 2])
    test(`days arriving over three runs give exactly the tables of one run on all of them (${workers === 1 ? "one thread" : "two threads"})`, () => {
      const partial = tempFolder("partial");
      const work = path.join(tempFolder("incremental"), "work");
      for (const days of [2, 5, 6]) {
        for (const day of generated.days.slice(0, days)) {
          const target = path.join(partial, day.relativePath);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          if (!fs.existsSync(target)) fs.copyFileSync(path.join(raw, day.relativePath), target);
        }
        const result = run(partial, work, workers);
        assert.equal(result.code, 0, result.stderr);
      }
      assert.deepEqual(tables(work), expected);
    });

  for (const workers of [1, 2])
    test(`killed with SIGKILL at several moments, then run again: the same tables (${workers === 1 ? "one thread" : "two threads"})`, async () => {
      // Kills aimed at each step by what the run has written, not by the clock.
      // A folder the run removes while it is walked (an undo log's saved files) reads as empty this time.
      const entries = (folder: string) => {
        try {
          return fs.readdirSync(folder, { recursive: true }).map(String);
        } catch {
          return [];
        }
      };
      const moments: [string, (work: string) => boolean][] = [
        [
          "after reduce's first day",
          (work) => entries(path.join(work, "reduced")).some((f) => /\d\d\.tsv$/.test(f)),
        ],
        ["while binning", (work) => fs.existsSync(path.join(work, "binned", ".binned_days"))],
        ["while mapping", (work) => entries(path.join(work, "mapped")).length > 0],
        ["while building the report", (work) => entries(work).some((f) => f.startsWith(".report.tmp-"))],
      ];
      const missed: string[] = [];
      for (const [moment, reached] of moments) {
        const work = path.join(tempFolder("killed"), "work");
        const child = startCli("main", argsOf(raw, work, workers));
        const closed = once(child, "close");
        while (isRunning(child) && !reached(work)) await new Promise((resolve) => setTimeout(resolve, 1));
        const landed = isRunning(child);
        child.kill("SIGKILL");
        await closed;
        if (landed) {
          assert.equal(child.signalCode, "SIGKILL", `killed ${moment}`);
          assert.ok(
            !fs.existsSync(path.join(work, "report", "index.html")),
            `the run was over when killed ${moment}`,
          );
        } else {
          missed.push(moment);
        }
        const rerun = run(raw, work, workers);
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.deepEqual(tables(work), expected, `killed ${moment}`);
      }
      assert.ok(missed.length <= 1, `the run ended before these kills: ${missed.join(", ")}`);
    });
});
