import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import { readChanges } from "../src/bin/change-feed.ts";
import { type Catalog, writeCatalog } from "../src/dandi/catalog.ts";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import { readTree, startCli, tempFolder, waitUntil } from "./helpers.ts";
import { objectKeys, overlappingCatalog } from "./support/overlapping-catalog.ts";
import { type GenerateReducedDaysOptions, generateReducedDays } from "./support/reduced-days.ts";

/** The published part of a mapped folder: what map keeps for itself (dot entries) is left out. */
function published(folder: string): Map<string, string> {
  return new Map([...readTree(folder)].filter(([name]) => !name.startsWith(".")));
}

async function binDays(reducedAll: string, days: string[], reduced: string, binned: string): Promise<void> {
  for (const day of days) {
    fs.mkdirSync(path.dirname(path.join(reduced, day)), { recursive: true });
    fs.copyFileSync(path.join(reducedAll, day), path.join(reduced, day));
  }
  await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
}

/** Object files a bin batch rewrote from before their end (rather than appended to). */
function merges(binned: string, batch: number): number {
  const changes = readChanges(binned, batch) ?? [];
  return changes.filter((c) => c.sizeBefore !== -1 && c.from < c.sizeBefore).length;
}

/** Generated reduced days, a catalog of their objects, and the folders a test bins and maps into. */
function scenario(label: string, days: GenerateReducedDaysOptions, seed: number) {
  const root = tempFolder(label);
  const all = path.join(root, "reduced-all");
  const dayFiles = generateReducedDays(all, days);
  return {
    root,
    all,
    days: dayFiles,
    catalog: overlappingCatalog(objectKeys(all), seed, 6),
    reduced: path.join(root, "reduced"),
    binned: path.join(root, "binned"),
    mapped: path.join(root, "mapped"),
  };
}

describe("incremental map", () => {
  for (const timing of ["spread", "ties"] as const) {
    test(`equals one map from scratch, run after run, backfills included (${timing})`, async () => {
      const root = tempFolder(`map-incremental-${timing}`);
      const all = path.join(root, "reduced-all");
      const days = generateReducedDays(all, {
        days: 6,
        rowsPerDay: 400,
        blobCount: 120,
        zarrCount: 12,
        timing,
      });
      const catalog = overlappingCatalog(objectKeys(all), 3, 6);
      const reduced = path.join(root, "reduced");
      const binned = path.join(root, "binned");
      const mapped = path.join(root, "mapped");
      // Days 1-2, then 3, then 5, then the backfill of 4 (merged into place), then 6.
      for (const step of [[0, 1], [2], [4], [3], [5]]) {
        await binDays(
          all,
          step.map((i) => days[i]),
          reduced,
          binned,
        );
        if (step[0] === 3) assert.ok(merges(binned, 4) > 0, "the late day 4 was merged into place");
        const summary = await mapBinnedS3LogsToDandisets({
          binnedFolder: binned,
          mappedFolder: mapped,
          catalog,
        });
        assert.equal(summary.rebuilt, step[0] === 0, `step ${step}: rebuilt ${summary.rebuildReason}`);
        const scratch = path.join(root, `scratch-${step.join("-")}`);
        await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: scratch, catalog });
        assert.deepEqual(published(mapped), published(scratch), `after days ${step}`);
      }
      const tables = [...published(mapped).keys()].filter((f) => /^\d{6}\/[^/]+\/file-/.test(f));
      assert.ok(tables.length > 40, `only ${tables.length} asset tables`);

      const again = await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: mapped, catalog });
      assert.equal(again.rows, 0, "a rerun with nothing new reads no rows");
      assert.equal(again.filesWritten, 0);
      assert.equal(again.objectsMapped, 0);
    });
  }

  test("catalog changes redo only the Dandisets they touch, and equal a map from scratch", async () => {
    const { root, all, days, catalog, reduced, binned, mapped } = scenario(
      "map-incremental-catalog",
      { days: 3, rowsPerDay: 300, blobCount: 80, zarrCount: 8 },
      5,
    );
    await binDays(all, days.slice(0, 2), reduced, binned);
    await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: mapped, catalog });

    // A new version of 000001, an asset of 000002 moved, one of 000003 removed, 000006 gone, a new 000007.
    const changed: Catalog = structuredClone(catalog);
    const [d1, d2, d3] = changed.dandisets;
    d1.versions.push({ version: "0.240301.0900", assets: d1.versions[0].assets.slice(0, 3) });
    d2.versions[0].assets[0] = { ...d2.versions[0].assets[0], path: "moved/elsewhere.nwb" };
    d3.versions[0].assets.splice(0, 1);
    changed.dandisets.pop();
    changed.dandisets.push({
      identifier: "000007",
      versions: [{ version: "draft", assets: d1.versions[0].assets }],
    });
    await binDays(all, days.slice(2), reduced, binned);
    const summary = await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: mapped,
      catalog: changed,
    });
    assert.equal(summary.rebuilt, false);
    assert.equal(summary.dandisetsRedone, 4);
    assert.deepEqual(summary.dandisetsRemoved, ["000006"]);
    assert.ok(!fs.existsSync(path.join(mapped, "000006")));

    const scratch = path.join(root, "scratch");
    await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: scratch, catalog: changed });
    assert.deepEqual(published(mapped), published(scratch));
  });

  test("a run over part of the catalog keeps the other Dandisets up to date; a selection that matches none is refused", async () => {
    const { root, all, days, catalog, reduced, binned, mapped } = scenario(
      "map-incremental-selection",
      { days: 2, rowsPerDay: 300, blobCount: 60, zarrCount: 6 },
      7,
    );
    await binDays(all, days.slice(0, 1), reduced, binned);
    await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: mapped, catalog });
    await binDays(all, days.slice(1), reduced, binned);
    const partial = { dandisets: catalog.dandisets.filter((d) => d.identifier === "000002") };
    await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: mapped,
      catalog: partial,
      restrictTo: ["000002"],
    });
    const scratch = path.join(root, "scratch");
    await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: scratch, catalog });
    assert.deepEqual(published(mapped), published(scratch));
    await assert.rejects(
      mapBinnedS3LogsToDandisets({
        binnedFolder: binned,
        mappedFolder: mapped,
        catalog,
        restrictTo: ["999999"],
      }),
      {
        code: "ERR_NO_SELECTED_DANDISET",
        message: /`restrictTo` names 999999, none of which is in the catalog/,
      },
    );
    await assert.rejects(
      mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: mapped, catalog: { dandisets: [] } }),
      { code: "ERR_EMPTY_CATALOG" },
    );
    assert.deepEqual(published(mapped), published(scratch), "a refused run changes nothing");
  });

  test("killed at several moments of an incremental run, then run again, gives the uninterrupted result", async () => {
    const root = tempFolder("map-incremental-kill");
    const all = path.join(root, "reduced-all");
    const days = generateReducedDays(all, { days: 4, rowsPerDay: 3000, blobCount: 600, zarrCount: 20 });
    const catalogFile = path.join(root, "catalog.json");
    writeCatalog(catalogFile, overlappingCatalog(objectKeys(all), 11, 6));
    const reduced = path.join(root, "reduced");
    const binned = path.join(root, "binned");
    await binDays(all, [days[0], days[1], days[3]], reduced, binned);
    const base = path.join(root, "base");
    await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: base, catalog: catalogFile });
    // Day 3 arrives late: most objects are merged into, not appended to.
    await binDays(all, [days[2]], reduced, binned);
    const expected = path.join(root, "expected");
    fs.cpSync(base, expected, { recursive: true });
    await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: expected, catalog: catalogFile });
    const undoLog = (folder: string) => path.join(folder, ".map_state", "undo_log");

    for (const killAt of [1, 20_000, 200_000]) {
      const out = path.join(root, `killed-${killAt}`);
      fs.cpSync(base, out, { recursive: true });
      const args = ["map", "--binned_s3_logs_folder_path", binned, "--mapped_s3_logs_folder_path", out];
      const child = startCli("main", [...args, "--catalog", catalogFile, "--quiet"]);
      const exit = once(child, "exit");
      // Aim by what the run has written: the undo log grows with every change it makes.
      await waitUntil(
        child,
        () => (fs.statSync(undoLog(out), { throwIfNoEntry: false })?.size ?? 0) >= killAt,
        `${killAt} bytes of undo log`,
      );
      child.kill("SIGKILL");
      await exit;
      assert.ok(fs.existsSync(undoLog(out)), `killed at ${killAt} bytes of undo log: the run had finished`);
      const rerun = startCli("main", [...args, "--catalog", catalogFile, "--quiet"]);
      const code = await new Promise<number | null>((resolve) => rerun.on("exit", (c) => resolve(c)));
      assert.equal(code, 0);
      assert.deepEqual(readTree(out), readTree(expected), `killed at ${killAt} bytes of undo log`);
    }
  });
});
