import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";
import { reduceAllDandiRawS3Logs, UsageError } from "../src/index.ts";
import { runCli, tempFolder } from "./helpers.ts";

/**
 * Whole numbers past 2^53 - 1 are not exact as numbers: `9007199254740993` would be read as
 * `9007199254740992`, `99999999999999999999` as 1e20. A flag or an option given one is refused, with
 * exit code 2 and one line, rather than used as a number nobody typed.
 */
describe("whole numbers above Number.MAX_SAFE_INTEGER", () => {
  const root = tempFolder("whole-numbers");
  const raw = path.join(root, "raw");
  const work = path.join(root, "work");
  const cases: { name: string; args: string[]; flag: string }[] = [
    {
      name: "reduce --maximum_number_of_workers 9007199254740993",
      args: ["reduce", "--raw_s3_logs_folder_path", raw, "--reduced_s3_logs_folder_path", work],
      flag: "--maximum_number_of_workers",
    },
    {
      name: "run --region_disclosure_threshold 99999999999999999999",
      args: ["run", "--raw_s3_logs_folder_path", raw, "--work_folder", work],
      flag: "--region_disclosure_threshold",
    },
    {
      name: "bin --file_limit 9007199254740992",
      args: ["bin", "--reduced_s3_logs_folder_path", raw, "--binned_s3_logs_folder_path", work],
      flag: "--file_limit",
    },
    {
      name: "catalog --dandiset_limit 1e300",
      args: ["catalog", "--output", path.join(root, "catalog.json")],
      flag: "--dandiset_limit",
    },
  ];
  const values = ["9007199254740993", "99999999999999999999", "9007199254740992", "1e300"];
  for (const [i, { name, args, flag }] of cases.entries()) {
    test(name, () => {
      const result = runCli("main", [...args, flag, values[i]]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`${flag}.*at most 9007199254740991`));
      assert.equal(result.stderr.trim().split("\n")[0].startsWith("error:"), true, result.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    });
  }

  test("the largest exact whole number is still accepted", () => {
    const result = runCli("main", [
      "catalog",
      "--output",
      path.join(root, "a-folder-that-is-not-there", "catalog.json"),
      "--dandiset_limit",
      "9007199254740991",
      "--api_url",
      "not a url",
    ]);
    // Past the flag's check: the next check, of the URL, is what refuses the command.
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--api_url/);
  });

  test("the library refuses them too, naming the option", async () => {
    await assert.rejects(
      reduceAllDandiRawS3Logs({ rawFolder: raw, reducedFolder: work, workers: 2 ** 53 }),
      (error: UsageError) =>
        error instanceof UsageError &&
        error.code === "ERR_INVALID_WORKERS" &&
        /`workers` must be a whole number of at most 9007199254740991/.test(error.message),
    );
  });
});
