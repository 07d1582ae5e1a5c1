import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";
import { reduceAllDandiRawS3Logs } from "../src/index.ts";
import { FIXTURES, readTree, runCli, tempFolder } from "./helpers.ts";

const EXAMPLES = [
  { name: "reduction_example_0", what: "a 206 partial read, a Zarr chunk key, a ?versionId= request" },
  { name: "reduction_example_1", what: "two days in YYYY/MM/DD.log layout" },
  {
    name: "reduction_example_2",
    what: "damaged lines: a doubled quote before the agent, a URI full of quotes, a 304",
  },
];

describe("the original tool's reduction fixtures reproduce byte for byte", () => {
  for (const example of EXAMPLES) {
    const folder = path.join(FIXTURES, "reduction", example.name);

    test(`${example.name} (${example.what}), as a library`, async () => {
      const output = tempFolder("reduced");
      const summary = await reduceAllDandiRawS3Logs({
        rawFolder: path.join(folder, "raw_logs"),
        reducedFolder: output,
      });
      assert.deepEqual(readTree(output), readTree(path.join(folder, "expected_output")));
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
      assert.deepEqual(readTree(output), readTree(path.join(folder, "expected_output")));
    });
  }
});
