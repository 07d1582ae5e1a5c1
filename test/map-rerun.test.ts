import "./helpers.ts";
import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import type { Catalog, CatalogAsset } from "../src/dandi/catalog.ts";
import { writeCatalog } from "../src/dandi/catalog.ts";
import { assetFileNames } from "../src/map/asset-file-names.ts";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import { readTree, startCli, tempFolder, waitUntil } from "./helpers.ts";
import { generateArchiveCatalog, generateBinned } from "./support/archive.ts";
import { mapTree } from "./support/map-tree.ts";

const BLOB_A = "aaaaaaaa-0000-4000-8000-000000000001";
const BLOB_B = "bbbbbbbb-0000-4000-8000-000000000002";
const BLOB_C = "cccccccc-0000-4000-8000-000000000003";

function asset(assetPath: string, blob: string): CatalogAsset {
  return { asset_id: `id-${assetPath}`, path: assetPath, blob, zarr: null, size: 10 };
}

function writeBinned(folder: string, blob: string, rows: string[]): void {
  const file = path.join(folder, "blobs", blob.slice(0, 3), blob.slice(3, 6), `${blob}.tsv`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `timestamp\tbytes_sent\tip_address\n${rows.join("\n")}\n`);
}

describe("asset table names", () => {
  test("assets of one version sharing a file name all survive, numbered in path order", () => {
    const names = assetFileNames([
      "c/X.nwb",
      "b/x.nwb",
      "a/x.nwb",
      "d/x_nwb_2",
      "e/version_summary_by_day",
      "f/y.nwb",
    ]);
    assert.deepEqual(Object.fromEntries(names), {
      "a/x.nwb": "x_nwb.tsv",
      "b/x.nwb": "x_nwb_3.tsv",
      "c/X.nwb": "X_nwb_4.tsv",
      "d/x_nwb_2": "x_nwb_2.tsv",
      "e/version_summary_by_day": "version_summary_by_day_2.tsv",
      "f/y.nwb": "y_nwb.tsv",
    });
  });

  test("mapping writes both same-name tables, whichever was downloaded", async () => {
    const root = tempFolder("same-name");
    const binned = path.join(root, "binned");
    writeBinned(binned, BLOB_A, ["2023-01-01T00:00:00\t100\t192.0.2.1"]);
    writeBinned(binned, BLOB_B, ["2023-01-02T00:00:00\t200\t192.0.2.1", "2023-01-01T00:00:00\t7\t192.0.2.2"]);
    const catalog: Catalog = {
      dandisets: [
        {
          identifier: "000001",
          versions: [
            {
              version: "draft",
              assets: [
                asset("sub-2/a.nwb", BLOB_B),
                asset("sub-1/a.nwb", BLOB_A),
                asset("sub-3/a.nwb", BLOB_C),
              ],
            },
          ],
        },
      ],
    };
    const out = path.join(root, "mapped");
    await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: out, catalog });
    const tree = readTree(out);
    assert.equal(
      tree.get("000001/draft/a_nwb.tsv"),
      "\ttimestamp\tbytes_sent\tregion\n0\t2023-01-01T00:00:00\t100\tbogon\n",
    );
    assert.equal(
      tree.get("000001/draft/a_nwb_2.tsv"),
      "\ttimestamp\tbytes_sent\tregion\n0\t2023-01-01T00:00:00\t7\tbogon\n1\t2023-01-02T00:00:00\t200\tbogon\n",
    );
    assert.equal(tree.get("000001/draft/a_nwb_3.tsv"), undefined);
    assert.equal(
      tree.get("000001/draft/version_summary_by_asset.tsv"),
      "asset_path\tbytes_sent\nsub-2/a.nwb\t207\nsub-1/a.nwb\t100\n",
    );
  });
});

describe("duplicate asset paths", () => {
  test("two assets under one path get a table each; an asset listed twice counts once", async () => {
    const root = tempFolder("same-path");
    const binned = path.join(root, "binned");
    writeBinned(binned, BLOB_A, ["2023-01-01T00:00:00\t100\t192.0.2.1"]);
    writeBinned(binned, BLOB_B, ["2023-01-02T00:00:00\t200\t192.0.2.1"]);
    const catalog: Catalog = {
      dandisets: [
        {
          identifier: "000001",
          versions: [
            {
              version: "draft",
              assets: [
                asset("sub-1/a.nwb", BLOB_B),
                asset("sub-1/a.nwb", BLOB_A),
                asset("sub-1/a.nwb", BLOB_A),
              ],
            },
          ],
        },
      ],
    };
    const out = path.join(root, "mapped");
    await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: out, catalog });
    const tree = readTree(out);
    // Told apart by object id: BLOB_A sorts first and keeps the plain name.
    assert.equal(
      tree.get("000001/draft/a_nwb.tsv"),
      "\ttimestamp\tbytes_sent\tregion\n0\t2023-01-01T00:00:00\t100\tbogon\n",
    );
    assert.equal(
      tree.get("000001/draft/a_nwb_2.tsv"),
      "\ttimestamp\tbytes_sent\tregion\n0\t2023-01-02T00:00:00\t200\tbogon\n",
    );
    assert.equal(
      tree.get("000001/draft/version_summary_by_day.tsv"),
      "date\tbytes_sent\n2023-01-01\t100\n2023-01-02\t200\n",
    );
    assert.equal(
      tree.get("000001/dandiset_summary_by_day.tsv"),
      "date\tbytes_sent\n2023-01-01\t100\n2023-01-02\t200\n",
    );
  });
});

describe("reruns", () => {
  test("new binned rows rewrite what changed; unchanged files are left untouched; leftovers go", async () => {
    const root = tempFolder("rerun");
    const binned = path.join(root, "binned");
    writeBinned(binned, BLOB_A, ["2023-01-01T00:00:00\t100\t192.0.2.1"]);
    writeBinned(binned, BLOB_B, ["2023-01-01T00:00:00\t5\t192.0.2.1"]);
    const dandisets = (assetsOf1: CatalogAsset[]): Catalog => ({
      dandisets: [
        { identifier: "000001", versions: [{ version: "draft", assets: assetsOf1 }] },
        { identifier: "000002", versions: [{ version: "draft", assets: [asset("b.nwb", BLOB_B)] }] },
      ],
    });
    const out = path.join(root, "mapped");
    const first = await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: out,
      catalog: dandisets([asset("a.nwb", BLOB_A), asset("b.nwb", BLOB_B)]),
    });
    const untouched = path.join(out, "000002", "draft", "b_nwb.tsv");
    const before = fs.statSync(untouched).mtimeMs;
    fs.writeFileSync(path.join(out, "000001", "notes.txt"), "kept: not a table");

    writeBinned(binned, BLOB_A, [
      "2023-01-01T00:00:00\t100\t192.0.2.1",
      "2023-01-03T00:00:00\t50\t192.0.2.1",
    ]);
    const second = await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: out,
      catalog: dandisets([asset("a.nwb", BLOB_A), asset("b.nwb", BLOB_B)]),
    });
    assert.equal(fs.statSync(untouched).mtimeMs, before);
    assert.ok(second.filesWritten > 0 && second.filesWritten < first.filesWritten);
    assert.match(
      fs.readFileSync(path.join(out, "000001", "draft", "a_nwb.tsv"), "utf8"),
      /2023-01-03T00:00:00\t50/,
    );
    assert.match(fs.readFileSync(path.join(out, "totals.json"), "utf8"), /"bytes_sent": 155,/);

    // b.nwb leaves Dandiset 000001: its table goes, the rest stays.
    const third = await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: out,
      catalog: dandisets([asset("a.nwb", BLOB_A)]),
    });
    assert.equal(third.filesRemoved, 1);
    assert.ok(!fs.existsSync(path.join(out, "000001", "draft", "b_nwb.tsv")));
    assert.ok(fs.existsSync(path.join(out, "000001", "notes.txt")));
    assert.equal(fs.statSync(untouched).mtimeMs, before);
  });

  test("killed at any moment and run again, the output is identical to an uninterrupted run", async () => {
    const archive = { dandisets: 40, assetsPerDandiset: 40, accessedObjects: 500, rowsPerObject: 5, seed: 5 };
    const root = tempFolder("kill");
    const binned = path.join(root, "binned");
    generateBinned(binned, generateArchiveCatalog(archive), archive);
    const catalogFile = path.join(root, "catalog.json");
    writeCatalog(catalogFile, generateArchiveCatalog(archive));
    const clean = path.join(root, "clean");
    await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: clean, catalog: catalogFile });
    const expected = mapTree(clean);

    const out = path.join(root, "killed");
    const args = [
      "map",
      "--binned_s3_logs_folder_path",
      binned,
      "--mapped_s3_logs_folder_path",
      out,
      "--catalog",
      catalogFile,
      "--quiet",
    ];
    const child = startCli("main", args);
    const exited = once(child, "exit");
    // Kill once some tables are in place but well before the end.
    await waitUntil(
      child,
      () => countFiles(out) >= expected.size / 4,
      "a quarter of the tables were written",
    );
    child.kill("SIGKILL");
    await exited;
    const partial = readTree(out);
    assert.ok(partial.size < expected.size, "the run was killed before it finished");
    for (const [file, content] of partial) {
      if (!path.basename(file).startsWith(".") && !file.startsWith(".map_state/"))
        assert.equal(content, expected.get(file), `${file} appeared incomplete`);
    }

    const rerun = startCli("main", args);
    const [code] = await once(rerun, "exit");
    assert.equal(code, 0);
    assert.deepEqual(mapTree(out), expected);
  });
});

function countFiles(folder: string): number {
  try {
    return fs.readdirSync(folder, { recursive: true }).length;
  } catch {
    return 0;
  }
}
