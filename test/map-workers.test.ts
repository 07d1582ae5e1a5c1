import "./helpers.ts";
import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import { writeCatalog } from "../src/dandi/catalog.ts";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import type { MapSummary } from "../src/map/map-options.ts";
import { readTree, startCli, tempFolder, waitUntil } from "./helpers.ts";
import { objectKeys, overlappingCatalog } from "./support/overlapping-catalog.ts";
import { generateReducedDays } from "./support/reduced-days.ts";

/**
 * Map on several threads (a rebuild or a first map, shared out object by object, then Dandiset by
 * Dandiset) writes byte for byte what one thread writes: the mapped folder with all it keeps under
 * .map_state, and the published summaries. Every folder gets the same requester key, so that the
 * requester sets hashed under it are compared too. Work is shared out from 100 rows on here.
 */
process.env.DANDI_S3_LOG_PARSER_MAP_SHARE_ROWS = "100";

const KEY = "4f1c2d3e5a6b7c8d9e0f11223344556677889900aabbccddeeff001122334455";

/** A mapped folder that holds only its requester key: a first map into it uses that key. */
function keyedFolder(folder: string): string {
  fs.mkdirSync(path.join(folder, ".map_state"), { recursive: true });
  fs.writeFileSync(path.join(folder, ".map_state", "requester_key"), KEY, { mode: 0o600 });
  return folder;
}

/** A folder's files, with the paths of `root` (named in map's journal) replaced by a stand-in. */
function treeOf(folder: string, root: string): Map<string, string> {
  return new Map([...readTree(folder)].map(([file, text]) => [file, text.replaceAll(root, "<root>")]));
}

/** What a summary says, less its time and the files and folders it names. */
function countsOf(summary: MapSummary): Partial<MapSummary> {
  const { seconds: _s, summariesFolder: _f, errorLogPath: _e, ...rest } = summary;
  return rest;
}

describe("map on two threads", () => {
  let root = "";
  let binned = "";
  let catalogFile = "";
  let reducedAll = "";
  let days: string[] = [];

  before(async () => {
    root = tempFolder("map-workers");
    reducedAll = path.join(root, "reduced-all");
    days = generateReducedDays(reducedAll, {
      seed: 12,
      days: 5,
      rowsPerDay: 6000,
      blobCount: 800,
      zarrCount: 30,
    });
    catalogFile = path.join(root, "catalog.json");
    writeCatalog(catalogFile, overlappingCatalog(objectKeys(reducedAll), 4, 8));
    const reduced = path.join(root, "reduced");
    for (const day of days.slice(0, 4)) {
      fs.mkdirSync(path.dirname(path.join(reduced, day)), { recursive: true });
      fs.copyFileSync(path.join(reducedAll, day), path.join(reduced, day));
    }
    binned = path.join(root, "binned");
    await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
    // A damaged row: reported with its file and line by either, in the same order.
    const file = path.join(binned, "zarr", fs.readdirSync(path.join(binned, "zarr"))[0]);
    const lines = fs.readFileSync(file, "utf8").split("\n");
    lines.splice(3, 0, "2024-01-01T00:00:00\tnot-a-number\t192.0.2.1\t200");
    fs.writeFileSync(file, lines.join("\n"));
  });

  const mapInto = (folder: string, workers: number, extra: { rebuild?: boolean } = {}) =>
    mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: path.join(folder, "mapped"),
      summariesFolder: path.join(folder, "summaries"),
      catalog: catalogFile,
      regionDisclosureThreshold: 0,
      workers,
      ...extra,
    });

  test("a first map and a rebuild equal one thread's, byte for byte; a run with nothing new stays on one thread", async () => {
    const summaries: Partial<MapSummary>[][] = [[], []];
    const trees: Map<string, string>[][] = [[], []];
    for (const workers of [1, 2]) {
      const folder = path.join(root, `first-${workers}`);
      keyedFolder(path.join(folder, "mapped"));
      const first = await mapInto(folder, workers);
      assert.equal(first.rebuilt, true);
      assert.equal(first.threads, workers);
      assert.equal(first.malformedRows, 1);
      summaries[workers - 1].push(countsOf(first));
      trees[workers - 1].push(treeOf(folder, folder));
      // A rebuild of a folder that holds tables: objects shared out, Dandisets on the main thread.
      const again = await mapInto(folder, workers, { rebuild: true });
      summaries[workers - 1].push(countsOf(again));
      trees[workers - 1].push(treeOf(folder, folder));
      const nothingNew = await mapInto(folder, workers);
      assert.equal(nothingNew.threads, 1);
      assert.equal(nothingNew.filesWritten, 0);
    }
    assert.deepEqual(
      summaries[1].map((s) => ({ ...s, threads: 0 })),
      summaries[0].map((s) => ({ ...s, threads: 0 })),
    );
    for (let i = 0; i < trees[0].length; i++) assert.deepEqual(trees[1][i], trees[0][i], `map ${i + 1}`);
    assert.ok([...trees[0][0].keys()].some((name) => name.startsWith("mapped/.map_state/requesters/")));
  });

  test("killed while its threads write, then run again on two threads or one, gives the uninterrupted result", async () => {
    const expected = path.join(root, "expected");
    keyedFolder(path.join(expected, "mapped"));
    await mapInto(expected, 1);
    const reference = treeOf(expected, expected);
    const args = (folder: string, workers: number) => [
      "map",
      "--binned_s3_logs_folder_path",
      binned,
      "--mapped_s3_logs_folder_path",
      path.join(folder, "mapped"),
      "--summaries_folder_path",
      path.join(folder, "summaries"),
      "--catalog",
      catalogFile,
      "--region_disclosure_threshold",
      "0",
      "--maximum_number_of_workers",
      String(workers),
      "--quiet",
    ];
    const state = (folder: string) => path.join(folder, "mapped", ".map_state");
    const count = (folder: string) => {
      try {
        return fs.readdirSync(folder, { recursive: true }).length;
      } catch {
        return 0;
      }
    };
    // Aimed by what the run has written: objects mapped by the threads, Dandisets made, summaries.
    const points: [string, (folder: string) => boolean, number][] = [
      ["objects being mapped", (f) => count(path.join(state(f), "objects")) >= 40, 2],
      ["objects nearly all mapped", (f) => count(path.join(state(f), "objects")) >= 1200, 1],
      ["Dandisets being made", (f) => count(path.join(f, "mapped", "000001")) >= 1, 2],
      [
        "summaries being published",
        (f) => fs.existsSync(path.join(state(f), "summaries_undo", "undo_log")),
        2,
      ],
    ];
    let landed = 0;
    for (const [moment, reached, rerunWorkers] of points) {
      const out = path.join(root, `killed-${landed}-${moment.replaceAll(" ", "-")}`);
      keyedFolder(path.join(out, "mapped"));
      const child = startCli("main", args(out, 2));
      const exit = once(child, "exit");
      try {
        await waitUntil(child, () => reached(out), moment);
        child.kill("SIGKILL");
        landed++;
      } catch {
        // The run ended first: a kill that never landed proves nothing, but the output must still be right.
      }
      await exit;
      const rerun = startCli("main", args(out, rerunWorkers));
      const [code] = await once(rerun, "exit");
      assert.equal(code, 0);
      assert.deepEqual(treeOf(out, out), reference, `killed when ${moment}`);
    }
    assert.ok(landed >= 3, `only ${landed} kills landed mid-run`);
  });
});
