import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { generateRawLogs, reduceAllDandiRawS3Logs } from "../src/index.ts";
import { readTree, runCli, tempFolder } from "./helpers.ts";

test("only YYYY/MM/DD.log files of real dates are reduced; other .log files are listed as skipped, with why", async () => {
  const raw = tempFolder("day-names");
  const [day] = generateRawLogs(raw, { seed: 3, days: 1, startDate: "2024-01-04", bytesPerDay: 20_000 }).days;
  const copy = (name: string) => {
    fs.mkdirSync(path.dirname(path.join(raw, name)), { recursive: true });
    fs.copyFileSync(path.join(raw, day.relativePath), path.join(raw, name));
  };
  // 4.log beside 04.log used to count 4 January twice; 32.log, 13/01.log and 2023/02/29 name no day.
  for (const name of ["2024/01/4.log", "2024/01/32.log", "2024/13/01.log", "2023/02/29.log", "notes.log"])
    copy(name);
  fs.writeFileSync(path.join(raw, "README.txt"), "not a log\n");
  const reduced = path.join(tempFolder("day-names-out"), "reduced");
  const summary = await reduceAllDandiRawS3Logs({ rawFolder: raw, reducedFolder: reduced });
  assert.equal(summary.filesReduced, 1);
  assert.deepEqual([...readTree(reduced).keys()], ["2024/01/04.tsv"]);
  assert.deepEqual(summary.filesSkipped, [
    { file: "2023/02/29.log", reason: "2023-02-29 is not a date" },
    { file: "2024/01/32.log", reason: "2024-01-32 is not a date" },
    { file: "2024/01/4.log", reason: "not named YYYY/MM/DD.log (four-digit year, two-digit month and day)" },
    { file: "2024/13/01.log", reason: "2024-13-01 is not a date" },
    { file: "notes.log", reason: "not named YYYY/MM/DD.log (four-digit year, two-digit month and day)" },
  ]);

  const cli = runCli("main", [
    "reduce",
    "--raw_s3_logs_folder_path",
    raw,
    "--reduced_s3_logs_folder_path",
    path.join(tempFolder("day-names-cli"), "reduced"),
    "--quiet",
  ]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /^skipped: 2024\/01\/4\.log: not named YYYY\/MM\/DD\.log/m);
});
