import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { generateRawLogs } from "../src/index.ts";
import { FIXTURES, runCli, tempFolder } from "./helpers.ts";

const RAW = path.join(FIXTURES, "reduction", "reduction_example_1", "raw_logs");

describe("reduce on the command line", () => {
  test("--help lists the original tool's flags", () => {
    const result = runCli("reduce-all-dandi-raw-s3-logs", ["--help"]);
    assert.equal(result.code, 0);
    for (const flag of [
      "--raw_s3_logs_folder_path",
      "--reduced_s3_logs_folder_path",
      "--maximum_number_of_workers",
      "--maximum_buffer_size_in_mb",
      "--excluded_years",
      "--excluded_ips",
    ]) {
      assert.match(result.stdout, new RegExp(flag));
    }
  });

  const usageErrors: { name: string; args: string[]; message: RegExp }[] = [
    {
      name: "a missing input folder",
      args: ["--raw_s3_logs_folder_path", "/no/such/folder", "--reduced_s3_logs_folder_path", "OUT"],
      message: /--raw_s3_logs_folder_path \/no\/such\/folder does not exist/,
    },
    {
      name: "an output folder inside the input folder",
      args: ["--raw_s3_logs_folder_path", RAW, "--reduced_s3_logs_folder_path", path.join(RAW, "reduced")],
      message: /is inside --raw_s3_logs_folder_path/,
    },
    {
      name: "zero workers",
      args: [
        "--raw_s3_logs_folder_path",
        RAW,
        "--reduced_s3_logs_folder_path",
        "OUT",
        "--maximum_number_of_workers",
        "0",
      ],
      message: /whole number of 1 or more/,
    },
    {
      name: "a year that is not a year",
      args: [
        "--raw_s3_logs_folder_path",
        RAW,
        "--reduced_s3_logs_folder_path",
        "OUT",
        "--excluded_years",
        "20",
      ],
      message: /four-digit years/,
    },
    {
      name: "an unknown flag",
      args: ["--raw_s3_logs_folder_path", RAW, "--reduced_s3_logs_folder_path", "OUT", "--colour"],
      message: /unknown option '--colour'/,
    },
  ];
  for (const { name, args, message } of usageErrors) {
    test(`${name}: one line saying what to do, exit code 2`, () => {
      const out = tempFolder("out");
      const result = runCli("main", ["reduce", ...args.map((arg) => (arg === "OUT" ? out : arg))]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, "");
    });
  }

  test("a second run skips the days already reduced and changes nothing", () => {
    const out = tempFolder("out");
    const args = ["reduce", "--raw_s3_logs_folder_path", RAW, "--reduced_s3_logs_folder_path", out];
    assert.equal(runCli("main", args).code, 0);
    const file = path.join(out, "2020", "01", "01.tsv");
    const before = fs.statSync(file).mtimeMs;
    const second = runCli("main", args);
    assert.equal(second.code, 0);
    assert.match(second.stdout, /0 day files reduced, 2 already reduced/);
    assert.equal(fs.statSync(file).mtimeMs, before);
  });

  test("excluded years skip their folders; excluded IPs drop their rows; the table adds up", () => {
    const raw = tempFolder("raw");
    const expected = tempFolder("expected");
    generateRawLogs(raw, {
      seed: 41,
      days: 2,
      startDate: "2023-12-31",
      bytesPerDay: 200_000,
      expectedReducedFolder: expected,
    });
    const out = tempFolder("out");
    // An address that made at least one real download that day.
    const ip = fs
      .readFileSync(path.join(expected, "2024", "01", "01.tsv"), "utf8")
      .split("\n")[1]
      .split("\t")[1];
    const result = runCli("main", [
      "reduce",
      "--raw_s3_logs_folder_path",
      raw,
      "--reduced_s3_logs_folder_path",
      out,
      "--excluded_years",
      "2023",
      "--excluded_ips",
      ip,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /1 day file reduced, 0 already reduced, 1 in excluded years/);
    assert.ok(!fs.existsSync(path.join(out, "2023")));
    const reduced = fs.readFileSync(path.join(out, "2024", "01", "01.tsv"), "utf8");
    assert.ok(!reduced.includes(`\t${ip}\t`));
    const numberAfter = (label: string) =>
      Number(new RegExp(`^\\s*${label}\\s+([\\d,]+)`, "m").exec(result.stdout)?.[1].replace(/,/g, ""));
    assert.ok(numberAfter("ip") > 0);
    assert.equal(
      numberAfter("lines read"),
      numberAfter("kept") + numberAfter("filtered") + numberAfter("malformed"),
    );
  });

  test("malformed lines go to the error log with file, line number and reason", () => {
    const home = tempFolder("home");
    const raw = tempFolder("raw");
    const day = path.join(raw, "2024", "02", "03.log");
    fs.mkdirSync(path.dirname(day), { recursive: true });
    const good = fs.readFileSync(path.join(RAW, "2020", "01", "01.log"), "latin1").split("\n")[0];
    fs.writeFileSync(day, `${good}\n${good.slice(0, 150)}\n\n${good}`, "latin1");
    const out = tempFolder("out");
    const result = runCli(
      "main",
      ["reduce", "--raw_s3_logs_folder_path", raw, "--reduced_s3_logs_folder_path", out],
      { DANDI_S3_LOG_PARSER_HOME: home },
    );
    assert.equal(result.code, 0, result.stderr);
    const logs = fs.readdirSync(path.join(home, "errors"));
    assert.equal(logs.length, 1);
    const entries = fs
      .readFileSync(path.join(home, "errors", logs[0]), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      entries.map(({ file, line, reason }) => ({ file, line, reason })),
      [{ file: "2024/02/03.log", line: 2, reason: "truncated" }],
    );
    assert.match(result.stdout, /malformed\s+1\s+listed in .*errors/);
    assert.equal(fs.readFileSync(path.join(out, "2024", "02", "03.tsv"), "utf8").split("\n").length, 4);
  });

  test("a day with nothing to keep is an empty file, kept as a marker", () => {
    const raw = tempFolder("raw");
    const day = path.join(raw, "2024", "02", "04.log");
    fs.mkdirSync(path.dirname(day), { recursive: true });
    fs.writeFileSync(day, "");
    const out = tempFolder("out");
    assert.equal(
      runCli("main", ["reduce", "--raw_s3_logs_folder_path", raw, "--reduced_s3_logs_folder_path", out]).code,
      0,
    );
    assert.equal(fs.readFileSync(path.join(out, "2024", "02", "04.tsv"), "utf8"), "");
  });
});
