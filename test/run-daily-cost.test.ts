import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { generateCatalog } from "../src/generate/catalog.ts";
import { generateRawLogs, runAll } from "../src/index.ts";
import { readTree, tempFolder } from "./helpers.ts";

const POOL = { seed: 17, blobCount: 150, zarrCount: 10 };

/**
 * The daily run's work follows the new day, not the history: after ten busy days, a quiet eleventh
 * day is reduced, binned, mapped (its rows only) and reported (the pages it changed only), and the
 * tables equal those of one run over all eleven days. Counting the work rather than timing it keeps
 * the test exact on a busy machine; `npm run bench` (archive) measures the times.
 */
test("a quiet day after ten busy days costs what the quiet day costs, and equals one run over all days", async () => {
  const history = tempFolder("daily-history");
  const busy = generateRawLogs(history, { ...POOL, days: 10, startDate: "2024-05-01", bytesPerDay: 300_000 });
  const quietFolder = tempFolder("daily-quiet");
  const quiet = generateRawLogs(quietFolder, {
    ...POOL,
    days: 1,
    startDate: "2024-05-11",
    bytesPerDay: 6_000,
  });
  const catalogFile = path.join(tempFolder("daily-catalog"), "catalog.json");
  fs.writeFileSync(catalogFile, JSON.stringify(generateCatalog(busy.assets, { seed: 17, dandisets: 12 })));

  const work = path.join(tempFolder("daily-work"), "work");
  const generatedAt = new Date("2024-06-01T00:00:00Z");
  const first = await runAll({ rawFolder: history, workFolder: work, catalog: catalogFile, generatedAt });
  assert.equal(first.report?.dandisets, 12);

  const day = quiet.days[0].relativePath;
  fs.mkdirSync(path.dirname(path.join(history, day)), { recursive: true });
  fs.copyFileSync(path.join(quietFolder, day), path.join(history, day));
  const daily = await runAll({ rawFolder: history, workFolder: work, catalog: catalogFile, generatedAt });

  const reducedRows =
    fs.readFileSync(path.join(work, "reduced", day.replace(/\.log$/, ".tsv")), "utf8").split("\n").length - 2;
  assert.ok(reducedRows > 0 && reducedRows < 20, `the quiet day has ${reducedRows} downloads`);
  assert.equal(daily.reduce.filesReduced, 1);
  assert.equal(daily.bin.daysBinned, 1);
  assert.equal(daily.map.rebuilt, false);
  assert.equal(daily.map.rows, reducedRows, "map read the new day's rows and no other");
  assert.ok(daily.map.objectsMapped <= reducedRows);
  const touched = daily.report!.pagesWritten - 1; // the index is always drawn
  assert.ok(
    touched <= reducedRows && touched < 12,
    `${touched} Dandiset pages redrawn for ${reducedRows} rows`,
  );
  assert.ok(daily.report!.pagesUnchanged >= 12 - touched);

  const once = path.join(tempFolder("daily-once"), "work");
  await runAll({ rawFolder: history, workFolder: once, catalog: catalogFile, generatedAt });
  const published = (folder: string) =>
    new Map([...readTree(path.join(folder, "mapped"))].filter(([name]) => !name.startsWith(".")));
  assert.deepEqual(published(work), published(once));
  assert.deepEqual(readTree(path.join(work, "report")), readTree(path.join(once, "report")));
});
