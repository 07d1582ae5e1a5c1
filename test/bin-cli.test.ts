import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { FIXTURES, runCli, tempFolder } from "./helpers.ts";

const REDUCED = path.join(FIXTURES, "binning", "binning_example_0", "reduced_logs");
const SCRIPTS = [
  ["bin-all-reduced-s3-logs-by-object-key", []],
  ["main", ["bin"]],
] as const;

function bin(args: string[], script = 0) {
  const [name, prefix] = SCRIPTS[script];
  return runCli(name, [...prefix, ...args]);
}

test("--help explains the step and every flag", () => {
  for (let script = 0; script < SCRIPTS.length; script++) {
    const result = bin(["--help"], script);
    assert.equal(result.code, 0);
    for (const flag of [
      "--reduced_s3_logs_folder_path",
      "--binned_s3_logs_folder_path",
      "--file_limit",
      "--file_processing_limit",
      "--maximum_buffer_size_in_mb",
      "--quiet",
    ])
      assert.match(result.stdout, new RegExp(flag));
    assert.match(result.stdout, /blobs\/aaa\/bbb\/<uuid>\.tsv/);
  }
});

test("usage errors exit with 2 and one line naming the flag and what to do", () => {
  const root = tempFolder("bin-cli");
  const reducedCopy = path.join(root, "reduced");
  fs.cpSync(REDUCED, reducedCopy, { recursive: true });
  const foreign = path.join(root, "foreign");
  fs.mkdirSync(path.join(foreign, "zarr"), { recursive: true });
  fs.writeFileSync(path.join(foreign, "zarr", "cb65c877-882b-4554-8fa1-8f4e986e13a6.tsv"), "x");
  const out = path.join(root, "out");
  const cases: { name: string; args: string[]; message: RegExp }[] = [
    {
      name: "no reduced folder flag",
      args: ["--binned_s3_logs_folder_path", out],
      message: /--reduced_s3_logs_folder_path/,
    },
    {
      name: "no binned folder flag",
      args: ["--reduced_s3_logs_folder_path", REDUCED],
      message: /--binned_s3_logs_folder_path/,
    },
    {
      name: "missing reduced folder",
      args: ["--reduced_s3_logs_folder_path", path.join(root, "nope"), "--binned_s3_logs_folder_path", out],
      message: /--reduced_s3_logs_folder_path .*nope does not exist/,
    },
    {
      name: "binned folder inside the reduced folder",
      args: [
        "--reduced_s3_logs_folder_path",
        reducedCopy,
        "--binned_s3_logs_folder_path",
        path.join(reducedCopy, "b"),
      ],
      message:
        /--binned_s3_logs_folder_path .* is inside --reduced_s3_logs_folder_path .*; choose a folder outside it/,
    },
    {
      name: "reduced folder inside the binned folder",
      args: ["--reduced_s3_logs_folder_path", reducedCopy, "--binned_s3_logs_folder_path", root],
      message: /--reduced_s3_logs_folder_path .* is inside --binned_s3_logs_folder_path/,
    },
    {
      name: "folder binned by another tool",
      args: ["--reduced_s3_logs_folder_path", REDUCED, "--binned_s3_logs_folder_path", foreign],
      message: /no journal of binned days .*bin into a new, empty folder/,
    },
    {
      name: "file limit of zero",
      args: [
        "--reduced_s3_logs_folder_path",
        REDUCED,
        "--binned_s3_logs_folder_path",
        out,
        "--file_limit",
        "0",
      ],
      message: /--file_limit.*expected a whole number of 1 or more, got "0"/,
    },
    {
      name: "buffer that is not a number",
      args: [
        "--reduced_s3_logs_folder_path",
        REDUCED,
        "--binned_s3_logs_folder_path",
        out,
        "--maximum_buffer_size_in_mb",
        "lots",
      ],
      message: /--maximum_buffer_size_in_mb.*expected a number above 0, got "lots"/,
    },
    {
      name: "buffer below 1 MB",
      args: [
        "--reduced_s3_logs_folder_path",
        REDUCED,
        "--binned_s3_logs_folder_path",
        out,
        "--maximum_buffer_size_in_mb",
        "0.5",
      ],
      message: /--maximum_buffer_size_in_mb must be at least 1/,
    },
  ];
  for (const c of cases) {
    const result = bin(c.args);
    assert.equal(result.code, 2, `${c.name}: exit ${result.code}, stderr ${result.stderr}`);
    assert.match(result.stderr.split("\n")[0], c.message, c.name);
  }
  assert.equal(fs.existsSync(path.join(reducedCopy, "b")), false, "nothing is created inside the input");
});

test("--file_processing_limit is --file_limit: one day per run, then the rest", () => {
  const out = path.join(tempFolder("bin-cli-limit"), "binned");
  const args = ["--reduced_s3_logs_folder_path", REDUCED, "--binned_s3_logs_folder_path", out, "--quiet"];
  const first = bin([...args, "--file_processing_limit", "1"], 1);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /1 day binned, 0 already binned, 1 left for later runs/);
  const second = bin(args, 1);
  assert.match(second.stdout, /1 day binned, 1 already binned/);
  assert.match(second.stdout, /rows binned\s+0/);
  const third = bin(args, 1);
  assert.match(third.stdout, /0 days binned, 2 already binned/);
});
