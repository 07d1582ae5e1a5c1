import "./helpers.ts";
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import { FIXTURES, readTree, runCli, tempFolder } from "./helpers.ts";

const EXAMPLE = path.join(FIXTURES, "binning", "binning_example_0");

/** The object files of a binned folder, without the journal. */
function objectFiles(folder: string): Map<string, string> {
  return new Map(
    [...readTree(folder)].filter(([name]) => name.startsWith("blobs/") || name.startsWith("zarr/")),
  );
}

test("the original's binning fixture reproduces byte for byte, its empty day included", async () => {
  const binned = path.join(tempFolder("bin-fixture"), "binned");
  const summary = await binAllReducedS3LogsByObjectKey({
    reducedFolder: path.join(EXAMPLE, "reduced_logs"),
    binnedFolder: binned,
  });
  assert.deepEqual(objectFiles(binned), readTree(path.join(EXAMPLE, "expected_output")));
  assert.equal(summary.daysBinned, 2);
  assert.equal(summary.rowsBinned, 3);
  assert.equal(summary.objectsCreated, 3);
  assert.equal(summary.errorLogPath, null);
  assert.equal(
    readTree(binned)
      .get(".binned_days")
      ?.replace(/^#binned_days\tv2\t[0-9a-f]{8}\t-\n/, ""),
    "day\trows\tfirst_timestamp\tlast_timestamp\tbatch\n" +
      "2020/01/01.tsv\t3\t2020-01-01T05:06:35\t2020-01-01T23:06:42\t1\n" +
      "2022/06/12.tsv\t0\t-\t-\t1\n",
  );
});

test("both command names reproduce the fixture", () => {
  for (const [script, args] of [
    ["bin-all-reduced-s3-logs-by-object-key", []],
    ["main", ["bin"]],
  ] as const) {
    const binned = path.join(tempFolder("bin-fixture-cli"), "binned");
    const result = runCli(script, [
      ...args,
      "--reduced_s3_logs_folder_path",
      path.join(EXAMPLE, "reduced_logs"),
      "--binned_s3_logs_folder_path",
      binned,
      "--quiet",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /bin: 2 days binned, 0 already binned/);
    assert.deepEqual(objectFiles(binned), readTree(path.join(EXAMPLE, "expected_output")));
  }
});
