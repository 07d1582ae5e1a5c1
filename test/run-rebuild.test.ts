import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { generateCatalog } from "../src/generate/catalog.ts";
import { generateRawLogs } from "../src/index.ts";
import { readTree, runArgs, runCli, tempFolder } from "./helpers.ts";

/**
 * Upgrading a work folder whose rows an earlier version reduced without the HTTP status: `run`
 * refuses it and says how to rebuild; `run --rebuild` moves the old folders aside, rebuilds from
 * the raw logs, and gives what a run on an empty work folder gives.
 */
describe("run --rebuild", () => {
  const raw = tempFolder("raw");
  const generated = generateRawLogs(raw, {
    seed: 61,
    days: 3,
    startDate: "2024-06-01",
    bytesPerDay: 200_000,
    blobCount: 60,
    zarrCount: 6,
  });
  const catalog = path.join(tempFolder("catalog"), "catalog.json");
  fs.writeFileSync(catalog, JSON.stringify(generateCatalog(generated.assets, { seed: 61, dandisets: 3 })));
  const run = (work: string, ...more: string[]) =>
    runCli("main", [
      ...runArgs(raw, work),
      "--catalog",
      catalog,
      "--no-report",
      "--quiet",
      "--no-ip_key_warning",
      ...more,
    ]);

  /** A work folder as an earlier version left it: reduced days of four columns, with no format marker. */
  function earlierWorkFolder(): string {
    const work = path.join(tempFolder("earlier"), "work");
    const day = path.join(work, "reduced", "2024", "05", "31.tsv");
    fs.mkdirSync(path.dirname(day), { recursive: true });
    fs.writeFileSync(
      day,
      "timestamp\tip_address\tobject_key\tbytes_sent\n2024-05-31T10:00:00\t128.112.0.9\tzarr/0b7c8a4e-5d2f-4c1a-9b3e-6f7a8d9e0c1b\t10\n",
    );
    fs.mkdirSync(path.join(work, "mapped"), { recursive: true });
    fs.writeFileSync(path.join(work, "mapped", "kept.txt"), "the earlier version's tables\n");
    return work;
  }

  test("run refuses an earlier version's work folder with exit 2 and says to rebuild", () => {
    const work = earlierWorkFolder();
    const before = readTree(work);
    const result = run(work);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /made by an earlier version: .*no HTTP status.*--rebuild/);
    assert.deepEqual(readTree(work), before, "nothing was changed");
  });

  test("run --rebuild moves the old folders aside, keeps them, rebuilds, and names the days the raw logs lack", () => {
    const work = earlierWorkFolder();
    const result = run(work, "--rebuild");
    assert.equal(result.code, 0, result.stderr);
    const [previous] = fs.readdirSync(work).filter((name) => name.startsWith("previous-"));
    assert.ok(previous !== undefined);
    assert.equal(
      fs.readFileSync(path.join(work, previous, "mapped", "kept.txt"), "utf8"),
      "the earlier version's tables\n",
    );
    assert.match(result.stdout, new RegExp(`previous reduced/, binned/ and mapped/ are in .*${previous}`));
    assert.match(
      result.stdout,
      /warning: 1 days of the previous reduced folder came from no raw log this time \(2024\/05\/31\.tsv\)/,
    );
    // The rebuilt folder is what a run on an empty work folder gives.
    const fresh = path.join(tempFolder("fresh"), "work");
    assert.equal(run(fresh).code, 0);
    const tables = (folder: string) =>
      new Map(
        [...readTree(folder)].filter(
          ([file]) =>
            !file.startsWith("previous-") && !file.includes(".map_state/") && !file.includes("requester"),
        ),
      );
    assert.deepEqual(tables(work), tables(fresh));
    // A run afterwards is a daily run again.
    assert.equal(run(work).code, 0);
  });

  test("a rebuild cut between its moves is finished by the next run, whatever its flags", () => {
    const work = earlierWorkFolder();
    fs.mkdirSync(path.join(work, "binned"));
    // As a kill after the first rename leaves it: the marker names the target, reduced is there already.
    fs.mkdirSync(path.join(work, "previous-20260101T000000Z"));
    fs.renameSync(path.join(work, "reduced"), path.join(work, "previous-20260101T000000Z", "reduced"));
    fs.writeFileSync(path.join(work, ".rebuild"), "previous-20260101T000000Z\n");
    const result = run(work);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(fs.readdirSync(path.join(work, "previous-20260101T000000Z")).sort(), [
      "binned",
      "mapped",
      "reduced",
    ]);
    assert.ok(!fs.existsSync(path.join(work, ".rebuild")));
    assert.ok(fs.existsSync(path.join(work, "summaries", "totals.json")));
  });

  test("map refuses to publish summaries from a binned folder without statuses, and says why", () => {
    const root = tempFolder("old-binned");
    const binned = path.join(root, "binned");
    const object = path.join(binned, "zarr", "0b7c8a4e-5d2f-4c1a-9b3e-6f7a8d9e0c1b.tsv");
    fs.mkdirSync(path.dirname(object), { recursive: true });
    fs.writeFileSync(object, "timestamp\tbytes_sent\tip_address\n2024-05-31T10:00:00\t10\t128.112.0.9\n");
    const args = [
      "map",
      "--binned_s3_logs_folder_path",
      binned,
      "--mapped_s3_logs_folder_path",
      path.join(root, "mapped"),
    ];
    const refused = runCli("main", [
      ...args,
      "--catalog",
      catalog,
      "--summaries_folder_path",
      path.join(root, "s"),
    ]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /rows without their HTTP status.*downloads and views cannot be counted.*--summaries_folder_path/,
    );
    assert.equal(
      runCli("main", [...args, "--catalog", catalog]).code,
      0,
      "the mapped tables alone still work",
    );
  });
});
