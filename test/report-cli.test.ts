import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { FIXTURES, runCli, tempFolder } from "./helpers.ts";

const EXPECTED_OUTPUT = path.join(FIXTURES, "mapping", "mapped_to_dandisets_example_0", "expected_output");

describe("dandi-s3-log-parser report", () => {
  test("writes the report and prints the path of index.html last", () => {
    const output = path.join(tempFolder("report-cli"), "site");
    const result = runCli("main", [
      "report",
      "--mapped_s3_logs_folder_path",
      EXPECTED_OUTPUT,
      "--output_folder",
      output,
      "--quiet",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const lines = result.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^report: 3 Dandiset pages and the index written in \d/);
    assert.equal(lines.at(-1), path.join(output, "index.html"));
    assert.ok(fs.existsSync(path.join(output, "dandisets", "000003.html")));
  });

  const usageErrors: [string, (folder: string) => string[], RegExp][] = [
    [
      "no mapped folder given",
      (folder) => ["--output_folder", folder],
      /required option '--mapped_s3_logs_folder_path/,
    ],
    [
      "no output folder given",
      () => ["--mapped_s3_logs_folder_path", EXPECTED_OUTPUT],
      /required option '--output_folder/,
    ],
    [
      "a mapped folder that does not exist",
      (folder) => [
        "--mapped_s3_logs_folder_path",
        path.join(folder, "nowhere"),
        "--output_folder",
        path.join(folder, "out"),
      ],
      /--mapped_s3_logs_folder_path .*nowhere does not exist/,
    ],
    [
      "an output folder inside the mapped folder",
      () => [
        "--mapped_s3_logs_folder_path",
        EXPECTED_OUTPUT,
        "--output_folder",
        path.join(EXPECTED_OUTPUT, "report"),
      ],
      /is inside --mapped_s3_logs_folder_path .*; choose a folder outside it/,
    ],
    [
      "an output folder holding other files",
      (folder) => {
        fs.writeFileSync(path.join(folder, "notes.txt"), "keep me");
        return ["--mapped_s3_logs_folder_path", EXPECTED_OUTPUT, "--output_folder", folder];
      },
      /holds no earlier report .*; choose a new or empty folder/,
    ],
    [
      "an unknown option",
      (folder) => ["--mapped_s3_logs_folder_path", EXPECTED_OUTPUT, "--output_folder", folder, "--fast"],
      /unknown option '--fast'/,
    ],
  ];
  for (const [name, argsFor, message] of usageErrors) {
    test(`exits 2 with one line on ${name}`, () => {
      const folder = tempFolder("report-cli-usage");
      const result = runCli("main", ["report", ...argsFor(folder)]);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, "");
      const lines = result.stderr.trimEnd().split("\n");
      assert.match(lines[0], /^error: /);
      assert.match(lines[0], message);
      assert.equal(lines.length, 1, result.stderr);
    });
  }
});
