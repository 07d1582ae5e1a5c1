import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { ROOT, readTree, runCli, tempFolder } from "./helpers.ts";

const SAMPLES = path.join(ROOT, "samples");

/** Every address the sample logs hold (fifth field of each line), to look for in the outputs. */
function sampleAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const [file, text] of readTree(path.join(SAMPLES, "raw"))) {
    if (!file.endsWith(".log")) continue;
    for (const line of text.split("\n")) {
      const ip = line.split(" ")[4];
      if (ip !== undefined && /^[0-9a-f.:]{3,}$/i.test(ip) && /[.:]/.test(ip)) addresses.add(ip);
    }
  }
  return addresses;
}

describe("the demo", () => {
  test("the README's first command: the whole chain on the bundled samples, offline, printing the report's path", () => {
    const work = path.join(tempFolder("demo"), "work");
    const result = runCli("main", ["demo", "--work_folder", work, "--quiet"]);
    assert.equal(result.code, 0, result.stderr);
    const reportPath = path.join(work, "report", "index.html");
    assert.match(
      result.stdout,
      new RegExp(`The demo report: ${reportPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    );
    const html = fs.readFileSync(reportPath, "utf8");
    assert.match(html, /<svg/);
    assert.ok(fs.readdirSync(path.join(work, "report", "dandisets")).length >= 5);

    // No address of the logs reaches the tables or the report.
    const addresses = sampleAddresses();
    assert.ok(addresses.size > 100);
    for (const folder of ["mapped", "report"]) {
      for (const [file, text] of readTree(path.join(work, folder))) {
        for (const ip of addresses) assert.ok(!text.includes(ip), `${folder}/${file} holds ${ip}`);
      }
    }

    // Again: nothing new to do, and the tables stay as they are.
    const mapped = readTree(path.join(work, "mapped"));
    const again = runCli("main", ["demo", "--work_folder", work, "--quiet"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /reduce: 0 day files reduced, 28 already reduced/);
    assert.deepEqual(readTree(path.join(work, "mapped")), mapped);
  });

  test("the samples are what the generator makes from the command in samples/README.md", () => {
    const out = tempFolder("samples");
    const readme = fs.readFileSync(path.join(SAMPLES, "README.md"), "utf8");
    const command = /dandi-s3-log-parser generate ([^`]+?)\n```/s.exec(readme)?.[1].replace(/\\\n\s*/g, "");
    assert.ok(command !== undefined, "samples/README.md shows the generate command");
    const args = command
      .trim()
      .split(/\s+/)
      .map((arg) => arg.replace(/^samples\//, `${out}/`));
    const result = runCli("main", ["generate", ...args]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readTree(out), new Map([...readTree(SAMPLES)].filter(([file]) => file !== "README.md")));
  });

  test("samples stay under 1 MB", () => {
    let bytes = 0;
    for (const [, text] of readTree(SAMPLES)) bytes += Buffer.byteLength(text, "latin1");
    assert.ok(bytes < 1_000_000, `${bytes} bytes`);
  });
});

describe("SOURCE_DATE_EPOCH", () => {
  const epoch = "1700000000";
  const stamp = new Date(Number(epoch) * 1000).toISOString();
  const generatedAt = (work: string) =>
    (
      JSON.parse(fs.readFileSync(path.join(work, "report", "report.json"), "utf8")) as {
        generated_at: string;
      }
    ).generated_at;

  test("fixes the report's time in run and demo, as in report", () => {
    const run = path.join(tempFolder("epoch-run"), "work");
    const env = { SOURCE_DATE_EPOCH: epoch };
    const args = ["--raw_s3_logs_folder_path", path.join(SAMPLES, "raw"), "--work_folder", run];
    const ran = runCli(
      "main",
      ["run", ...args, "--catalog", path.join(SAMPLES, "catalog.json"), "--quiet"],
      env,
    );
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(generatedAt(run), stamp);
    const demo = path.join(tempFolder("epoch-demo"), "work");
    const shown = runCli("main", ["demo", "--work_folder", demo, "--quiet"], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(generatedAt(demo), stamp);
    // The same tables and the same time: the same report, byte for byte.
    assert.deepEqual(readTree(path.join(demo, "report")), readTree(path.join(run, "report")));
  });

  test("a value that is not whole seconds is a usage error, before any work", () => {
    const work = path.join(tempFolder("epoch-bad"), "work");
    for (const command of [["run", "--raw_s3_logs_folder_path", path.join(SAMPLES, "raw")], ["demo"]]) {
      const result = runCli("main", [...command, "--work_folder", work, "--quiet"], {
        SOURCE_DATE_EPOCH: "yesterday",
      });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^error: SOURCE_DATE_EPOCH is "yesterday"/);
      assert.ok(!fs.existsSync(work));
    }
  });
});
