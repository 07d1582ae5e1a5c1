import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { generateCatalog } from "../src/generate/catalog.ts";
import { generateRawLogs } from "../src/index.ts";
import { binnedData, readTree, runArgs, runCli, tempFolder } from "./helpers.ts";

/** An hour ago: old enough that reduce does not take the file for one still being written. */
function age(file: string): void {
  const then = new Date(Date.now() - 3600 * 1000);
  fs.utimesSync(file, then, then);
}

function reduceAndBin(raw: string, work: string) {
  const reduce = runCli("main", [
    "reduce",
    "--raw_s3_logs_folder_path",
    raw,
    "--reduced_s3_logs_folder_path",
    path.join(work, "reduced"),
  ]);
  const bin = runCli("main", [
    "bin",
    "--reduced_s3_logs_folder_path",
    path.join(work, "reduced"),
    "--binned_s3_logs_folder_path",
    path.join(work, "binned"),
  ]);
  assert.equal(bin.code, 0, bin.stderr);
  return reduce;
}

function objectFiles(binned: string): Map<string, string> {
  return new Map([...binnedData(binned)].filter(([file]) => !file.startsWith(".")));
}

/** The rows of a reduced folder's units for one day, in unit order, without their headers. */
function rowsOfDay(reduced: string, day: string): string {
  return [...readTree(reduced)]
    .filter(([file]) => file.startsWith(day))
    .map(([, text]) => text.split("\n").slice(1).join("\n"))
    .join("");
}

describe("raw day files that change between runs", () => {
  const source = tempFolder("source");
  const generated = generateRawLogs(source, {
    seed: 13,
    days: 2,
    startDate: "2024-03-01",
    bytesPerDay: 300_000,
    damageRate: 0.02,
  });
  const whole = fs.readFileSync(path.join(source, "2024/03/02.log"));

  test("a day file that grew after it was reduced has its new lines reduced and binned, as in one run", () => {
    const raw = tempFolder("raw");
    fs.cpSync(source, raw, { recursive: true });
    const day = path.join(raw, "2024/03/02.log");
    const cut = whole.indexOf(0x0a, Math.floor(whole.length / 2)) + 1;
    fs.writeFileSync(day, whole.subarray(0, cut));
    for (const file of ["2024/03/01.log", "2024/03/02.log"]) age(path.join(raw, file));
    const work = tempFolder("grown");
    assert.equal(reduceAndBin(raw, work).code, 0);

    fs.appendFileSync(day, whole.subarray(cut));
    age(day);
    const second = reduceAndBin(raw, work);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /1 day file grew since reduced/);
    assert.ok(fs.existsSync(path.join(work, "reduced/2024/03/02_0002.tsv")));

    const once = tempFolder("once");
    assert.equal(reduceAndBin(source, once).code, 0);
    // The same object files; the journal lists the day's two units where one run has the whole day.
    assert.deepEqual(objectFiles(path.join(work, "binned")), objectFiles(path.join(once, "binned")));
    assert.equal(
      rowsOfDay(path.join(work, "reduced"), "2024/03/02"),
      rowsOfDay(path.join(once, "reduced"), "2024/03/02"),
    );

    const third = reduceAndBin(raw, work);
    assert.match(third.stdout, /0 day files reduced, 2 already reduced/);
  });

  test("a day file rewritten after it was reduced is refused, on stderr and with exit code 1, by reduce and run", () => {
    const raw = tempFolder("raw");
    fs.cpSync(source, raw, { recursive: true });
    for (const file of ["2024/03/01.log", "2024/03/02.log"]) age(path.join(raw, file));
    const work = tempFolder("rewritten");
    assert.equal(reduceAndBin(raw, work).code, 0);
    const day = path.join(raw, "2024/03/02.log");
    const changed = Buffer.from(whole);
    changed.write("X", 10, "latin1");
    fs.writeFileSync(day, changed);
    age(day);
    const again = reduceAndBin(raw, work);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /failed: 2024\/03\/02\.log: changed after it was reduced/);
    assert.doesNotMatch(again.stdout, /failed:/);
    // `run` builds on the work folder above: its reduce step meets the same rewritten day.
    const catalog = path.join(tempFolder("catalog"), "catalog.json");
    fs.writeFileSync(catalog, JSON.stringify(generateCatalog(generated.assets, { seed: 13, dandisets: 2 })));
    const run = runCli("main", [...runArgs(raw, work), "--catalog", catalog, "--no-report", "--quiet"]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /failed: 2024\/03\/02\.log: changed after it was reduced/);
  });

  test("today's day file modified in the last minutes waits for the next run, which says so", () => {
    const raw = tempFolder("raw");
    const today = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
    const day = path.join(raw, `${today}.log`);
    fs.mkdirSync(path.dirname(day), { recursive: true });
    fs.writeFileSync(day, whole);
    const reduced = tempFolder("reduced");
    const args = ["reduce", "--raw_s3_logs_folder_path", raw, "--reduced_s3_logs_folder_path", reduced];
    const first = runCli("main", args);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`waiting: ${today}\\.log: modified in the last few minutes`));
    assert.deepEqual([...readTree(reduced).keys()], []);
    age(day);
    const second = runCli("main", args);
    assert.match(second.stdout, /1 day file reduced/);
  });

  test("a symlinked day file is reduced; a link that leads nowhere is listed as skipped", () => {
    const raw = tempFolder("raw");
    fs.mkdirSync(path.join(raw, "2024/03"), { recursive: true });
    fs.symlinkSync(path.join(source, "2024/03/02.log"), path.join(raw, "2024/03/02.log"));
    fs.symlinkSync(path.join(source, "no-such.log"), path.join(raw, "2024/03/03.log"));
    const reduced = tempFolder("reduced");
    const result = runCli("main", [
      "reduce",
      "--raw_s3_logs_folder_path",
      raw,
      "--reduced_s3_logs_folder_path",
      reduced,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /1 day file reduced/);
    assert.match(result.stdout, /skipped: 2024\/03\/03\.log: a symbolic link that leads nowhere/);
    const once = tempFolder("once");
    runCli("main", ["reduce", "--raw_s3_logs_folder_path", source, "--reduced_s3_logs_folder_path", once]);
    assert.equal(readTree(reduced).get("2024/03/02.tsv"), readTree(once).get("2024/03/02.tsv"));
  });
});
