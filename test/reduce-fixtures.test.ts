import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";
import { reduceAllDandiRawS3Logs } from "../src/index.ts";
import { REDUCED_HEADER } from "../src/io/table-headers.ts";
import { FIXTURES, readTree, runCli, tempFolder } from "./helpers.ts";

const EXAMPLES = [
  {
    name: "reduction_example_0",
    what: "a 206 partial read, a Zarr chunk key, a ?versionId= request",
    statuses: { "2020/01/01.tsv": ["206", "200", "200"] },
  },
  {
    name: "reduction_example_1",
    what: "two days in YYYY/MM/DD.log layout",
    statuses: { "2020/01/01.tsv": ["206", "200", "200"], "2021/02/03.tsv": ["206", "200", "200"] },
  },
  {
    name: "reduction_example_2",
    what: "damaged lines: a doubled quote before the agent, a URI full of quotes, a 304",
    statuses: { "2022/04/06.tsv": ["200", "206", "200"] },
  },
];

/**
 * The original's files have no status column: each reduced day here must be theirs with the status
 * as a fifth column, under the new header. Returns the days without it, and each day's statuses.
 */
function splitStatuses(tree: Map<string, string>): {
  withoutStatus: Map<string, string>;
  statuses: Record<string, string[]>;
} {
  const withoutStatus = new Map<string, string>();
  const statuses: Record<string, string[]> = {};
  for (const [file, text] of tree) {
    if (text === "") {
      withoutStatus.set(file, text);
      continue;
    }
    assert.ok(text.startsWith(REDUCED_HEADER), `${file} starts with the header with the status`);
    const lines = text.split("\n");
    assert.equal(lines.pop(), "", `${file} ends with a newline`);
    const rows = lines.slice(1).map((line) => line.split("\t"));
    for (const row of rows) assert.equal(row.length, 5, `${file}: ${row.join("\\t")}`);
    statuses[file] = rows.map((row) => row[4]);
    withoutStatus.set(
      file,
      ["timestamp\tip_address\tobject_key\tbytes_sent", ...rows.map((row) => row.slice(0, 4).join("\t"))]
        .map((line) => `${line}\n`)
        .join(""),
    );
  }
  return { withoutStatus, statuses };
}

describe("the original tool's reduction fixtures reproduce byte for byte, with the status added", () => {
  for (const example of EXAMPLES) {
    const folder = path.join(FIXTURES, "reduction", example.name);

    test(`${example.name} (${example.what}), as a library`, async () => {
      const output = tempFolder("reduced");
      const summary = await reduceAllDandiRawS3Logs({
        rawFolder: path.join(folder, "raw_logs"),
        reducedFolder: output,
      });
      const { withoutStatus, statuses } = splitStatuses(readTree(output));
      assert.deepEqual(withoutStatus, readTree(path.join(folder, "expected_output")));
      assert.deepEqual(statuses, example.statuses);
      assert.equal(summary.failures.length, 0);
    });

    test(`${example.name}, through the original's command with two workers`, () => {
      const output = tempFolder("reduced");
      const result = runCli("reduce-all-dandi-raw-s3-logs", [
        "--raw_s3_logs_folder_path",
        path.join(folder, "raw_logs"),
        "--reduced_s3_logs_folder_path",
        output,
        "--maximum_number_of_workers",
        "2",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const { withoutStatus, statuses } = splitStatuses(readTree(output));
      assert.deepEqual(withoutStatus, readTree(path.join(folder, "expected_output")));
      assert.deepEqual(statuses, example.statuses);
    });
  }
});
