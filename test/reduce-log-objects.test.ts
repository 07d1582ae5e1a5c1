import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { generateCatalog } from "../src/generate/catalog.ts";
import { generateRawLogs, reduceAllDandiRawS3Logs } from "../src/index.ts";
import {
  binnedData,
  readTree,
  reduceArgs,
  runArgs,
  runCli,
  runCliAsync,
  startCli,
  tempFolder,
  waitUntil,
} from "./helpers.ts";
import { cutIntoLogObjects, type GeneratedObject, writeLogObjects } from "./support/log-objects.ts";
import { S3StandIn } from "./support/s3-stand-in.ts";

function bin(reduced: string, binned: string): void {
  const result = runCli("main", [
    "bin",
    "--reduced_s3_logs_folder_path",
    reduced,
    "--binned_s3_logs_folder_path",
    binned,
  ]);
  assert.equal(result.code, 0, result.stderr);
}

/** Binned object files, less the journal, which lists how the days came (whole, or in units). */
function objectFiles(binned: string): Map<string, string> {
  return new Map([...binnedData(binned)].filter(([file]) => !file.startsWith(".")));
}

describe("reduce log objects as AWS delivers them", () => {
  const days = tempFolder("days");
  const generated = generateRawLogs(days, {
    seed: 11,
    days: 3,
    startDate: "2024-05-01",
    bytesPerDay: 250_000,
    damageRate: 0.05,
    blobCount: 60,
    zarrCount: 6,
  });
  // What reducing and binning the whole day files gives: the reference for every layout and wave.
  const reference = tempFolder("reference");
  assert.equal(runCli("main", reduceArgs(days, path.join(reference, "reduced"))).code, 0);
  bin(path.join(reference, "reduced"), path.join(reference, "binned"));
  const expectedReduced = readTree(path.join(reference, "reduced"));
  const simple = cutIntoLogObjects(days, "simple");
  const partitioned = cutIntoLogObjects(days, "partitioned");

  const server = new S3StandIn(20);
  let env: Record<string, string> = {};
  before(async () => {
    for (const object of partitioned) server.put("logging", object.key, object.body);
    env = await server.startForClients(reference);
  });
  after(() => server.stop());

  test("the generated objects include some delivered just after midnight with lines of the day before", () => {
    const straddling = simple.filter((o) => {
      const deliveredDay = new Date(o.delivered).toISOString().slice(8, 10);
      return o.body
        .toString("latin1")
        .includes(`[${String(Number(deliveredDay) - 1).padStart(2, "0")}/May/2024:`);
    });
    assert.ok(straddling.length >= 2, `${straddling.length} objects hold the day before's lines`);
  });

  test("a local folder of objects (SimplePrefix) reduces to the day files' reduction, over two workers", () => {
    const raw = tempFolder("objects");
    writeLogObjects(raw, simple);
    const reduced = tempFolder("reduced");
    const result = runCli("main", reduceArgs(raw, reduced, "--maximum_number_of_workers", "2"));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${simple.length} log objects reduced`));
    assert.deepEqual(readTree(reduced), expectedReduced);
    const again = runCli("main", reduceArgs(raw, reduced));
    assert.match(again.stdout, new RegExp(`0 log objects reduced, ${simple.length} already reduced`));
    assert.deepEqual(readTree(reduced), expectedReduced);
  });

  test("malformed lines are listed by object key and line within the object, in groups of objects too", async () => {
    const raw = tempFolder("objects");
    writeLogObjects(raw, simple);
    const summary = await reduceAllDandiRawS3Logs({
      rawFolder: raw,
      reducedFolder: tempFolder("reduced"),
      workers: 2,
      // The lines as read, so that they compare with the objects' (error logs mask addresses otherwise).
      keepRawLines: true,
    });
    assert.ok(summary.errorLogPath !== null);
    const records = fs
      .readFileSync(summary.errorLogPath, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { file: string; line: number; text: string });
    const malformed = Object.values(summary.counts.malformed).reduce((sum, n) => sum + n, 0);
    assert.equal(records.length, malformed);
    const bodies = new Map(simple.map((o) => [o.key.slice("logs/".length), o.body.toString("utf8")]));
    for (const record of records) {
      const body = bodies.get(record.file);
      assert.ok(body !== undefined, `${record.file} is an object's key`);
      const line = body.split("\n")[record.line - 1].replace(/\r$/, "");
      assert.ok(line.startsWith(record.text.slice(0, 200)), `${record.file} line ${record.line}`);
    }
  });

  test("a bucket (PartitionedPrefix) reduces to the same, with throttling and dropped connections retried", async () => {
    server.faults = { slowDown: 3, dropMidBody: 2 };
    const reduced = tempFolder("reduced");
    const result = await runCliAsync(
      "main",
      reduceArgs("s3://logging/logs/", reduced, "--maximum_number_of_workers", "2"),
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.equal(server.served.slowDown, 3);
    assert.equal(server.served.dropped, 2);
    assert.ok(server.served.list >= 2, "listed in pages");
    assert.deepEqual(readTree(reduced), expectedReduced);
  });

  test("--inventory takes the keys from an S3 Inventory manifest; an unreadable object is an error naming its key", async () => {
    const schema = "Bucket, Key, Size, LastModifiedDate, ETag";
    const csv = partitioned
      .map(
        (o) =>
          `"logging","${encodeURIComponent(o.key).replaceAll("%2F", "/")}","${o.body.length}","2024-06-01T00:00:00.000Z","x"`,
      )
      .join("\n");
    server.put("inventory", "logging/all/data/part-1.csv.gz", gzipSync(Buffer.from(`${csv}\n`)));
    const manifest = path.join(tempFolder("manifest"), "manifest.json");
    fs.writeFileSync(
      manifest,
      JSON.stringify({
        sourceBucket: "logging",
        destinationBucket: "arn:aws:s3:::inventory",
        fileFormat: "CSV",
        fileSchema: schema,
        files: [{ key: "logging/all/data/part-1.csv.gz", size: 1, MD5checksum: "x" }],
      }),
    );
    server.served.list = 0;
    const reduced = tempFolder("reduced");
    const result = await runCliAsync(
      "main",
      reduceArgs("s3://logging/logs/", reduced, "--inventory", manifest),
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(server.served.list, 0, "no listing");
    assert.deepEqual(readTree(reduced), expectedReduced);
    // The manifest read from the bucket, as S3 Inventory leaves it.
    server.put("inventory", "logging/all/manifest.json", fs.readFileSync(manifest));
    const fromBucket = tempFolder("reduced");
    const args = reduceArgs(
      "s3://logging/logs/",
      fromBucket,
      "--inventory",
      "s3://inventory/logging/all/manifest.json",
    );
    const viaS3 = await runCliAsync("main", args, env);
    assert.equal(viaS3.code, 0, viaS3.stderr);
    assert.deepEqual(readTree(fromBucket), expectedReduced);

    // A key the inventory lists that the bucket no longer has.
    const missing =
      "logs/123456789012/us-east-1/dandiarchive/2024/05/04/2024-05-04-05-04-00-00000000000FFFFF";
    server.put(
      "inventory",
      "logging/all/data/part-1.csv.gz",
      gzipSync(Buffer.from(`"logging","${missing}","10","x","y"\n`)),
    );
    const failed = await runCliAsync(
      "main",
      reduceArgs("s3://logging/logs/", tempFolder("reduced"), "--inventory", manifest),
      env,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /2024-05-04-05-04-00-00000000000FFFFF/);
  });

  test("run reads the bucket too", async () => {
    const catalog = path.join(tempFolder("catalog"), "catalog.json");
    fs.writeFileSync(catalog, JSON.stringify(generateCatalog(generated.assets, { seed: 11, dandisets: 3 })));
    const work = tempFolder("work");
    const args = [...runArgs("s3://logging/logs/", work), "--catalog", catalog];
    const result = await runCliAsync("main", [...args, "--no-report", "--quiet"], env);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readTree(path.join(work, "reduced")), expectedReduced);
    assert.deepEqual(objectFiles(path.join(work, "binned")), objectFiles(path.join(reference, "binned")));
  });

  test("two waves of objects, each reduced and binned as it arrives, bin the rows of one run", () => {
    const raw = tempFolder("waves");
    const work = tempFolder("work");
    // The first wave stops in the middle of the second day: that day is written, then gets late lines.
    const middle = Date.parse("2024-05-02T12:00:00Z");
    writeLogObjects(
      raw,
      simple.filter((o) => o.delivered < middle),
    );
    let result = runCli("main", reduceArgs(raw, path.join(work, "reduced")));
    assert.equal(result.code, 0, result.stderr);
    bin(path.join(work, "reduced"), path.join(work, "binned"));
    writeLogObjects(
      raw,
      simple.filter((o) => o.delivered >= middle),
    );
    result = runCli("main", reduceArgs(raw, path.join(work, "reduced")));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /late lines: 2024\/05\/02_0002\.tsv/);
    bin(path.join(work, "reduced"), path.join(work, "binned"));
    assert.deepEqual(objectFiles(path.join(work, "binned")), objectFiles(path.join(reference, "binned")));
  });

  test("a day waits until it settles, its rows held, then is written whole", async () => {
    const raw = tempFolder("settle");
    writeLogObjects(raw, simple);
    const reduced = tempFolder("reduced");
    const last = simple.at(-1) as GeneratedObject;
    // Judged at the last delivery (just after the third day's end), 3 hours of settling leave the
    // third day open: objects of its first 3 hours are read and its rows held, later ones wait.
    const first = await reduceAllDandiRawS3Logs({
      rawFolder: raw,
      reducedFolder: reduced,
      now: new Date(last.delivered),
    });
    assert.deepEqual(first.objects?.daysWritten, ["2024/05/01.tsv", "2024/05/02.tsv"]);
    assert.deepEqual(first.objects?.daysPending, ["2024/05/03"]);
    assert.ok((first.objects?.objectsWaiting ?? 0) > 0, "objects delivered after the settled window wait");
    assert.ok(!fs.existsSync(path.join(reduced, "2024/05/03.tsv")));
    assert.ok(fs.existsSync(path.join(reduced, ".pending_days/2024/05/03_0001.tsv")));
    const binned = tempFolder("binned");
    bin(reduced, binned);
    assert.ok(!readTree(binned).get(".binned_days")?.includes("03_0001"), "held rows are not binned");
    const second = await reduceAllDandiRawS3Logs({
      rawFolder: raw,
      reducedFolder: reduced,
      now: new Date(Date.parse("2024-05-04T04:00:00Z")),
    });
    assert.deepEqual(second.objects?.daysWritten, ["2024/05/03.tsv"]);
    assert.deepEqual(second.objects?.lateUnits, []);
    assert.deepEqual(readTree(reduced), expectedReduced);
    bin(reduced, binned);
    assert.deepEqual(objectFiles(binned), objectFiles(path.join(reference, "binned")));
    // Every line read once: the held rows were not read again.
    assert.equal(first.counts.lines + second.counts.lines, sumLines(days));
  });

  test("SIGKILL while a local folder of objects is reduced, at each stage, then a rerun, gives the same days", async () => {
    const raw = tempFolder("objects");
    writeLogObjects(raw, simple);
    const stages: [string, (reduced: string) => boolean][] = [
      ["the journal exists", (reduced) => fs.existsSync(path.join(reduced, ".reduced_objects"))],
      ["objects are being reduced", (reduced) => fs.existsSync(path.join(reduced, ".reducing_objects"))],
      ["a day is in place", (reduced) => fs.existsSync(path.join(reduced, "2024/05/01.tsv"))],
    ];
    for (const [stage, reached] of stages) {
      const reduced = tempFolder("killed");
      const child = startCli("main", reduceArgs(raw, reduced, "--maximum_number_of_workers", "2"));
      const closed = once(child, "close");
      try {
        await waitUntil(child, () => reached(reduced), stage);
        child.kill("SIGKILL");
      } catch {
        // The run finished before the stage was seen: the rerun below must then change nothing.
      }
      await closed;
      const rerun = runCli("main", reduceArgs(raw, reduced));
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.deepEqual(readTree(reduced), expectedReduced, `killed when ${stage}`);
    }
  });

  test("SIGKILL during an S3 read, then a rerun, gives the same days", async () => {
    const reduced = tempFolder("killed");
    server.faults = { holdMidBody: true };
    server.served.held = 0;
    const child = startCli(
      "main",
      reduceArgs("s3://logging/logs/", reduced, "--maximum_number_of_workers", "2"),
      env,
    );
    const closed = once(child, "close");
    await waitUntil(child, () => server.served.held >= 3, "objects were being read");
    child.kill("SIGKILL");
    await closed;
    server.faults = {};
    const rerun = await runCliAsync("main", reduceArgs("s3://logging/logs/", reduced), env);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(readTree(reduced), expectedReduced);
  });
});

function sumLines(folder: string): number {
  let lines = 0;
  for (const [, text] of readTree(folder)) lines += text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  return lines;
}
