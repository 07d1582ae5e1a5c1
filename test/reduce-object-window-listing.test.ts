import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { generateRawLogs, reduceAllDandiRawS3Logs } from "../src/index.ts";
import { tempFolder } from "./helpers.ts";
import { cutIntoLogObjects, type GeneratedObject } from "./support/log-objects.ts";
import { S3StandIn } from "./support/s3-stand-in.ts";

/**
 * The daily listing from the journal's window (see src/s3/window-listing.ts) where a bucket does
 * not look as the journal says: a second source, keys where none were, a narrow policy, an endpoint
 * that pages forever, a journal whose layout is out of date. Each either lists whole and reads
 * everything, or fails naming why; none skips an object in silence.
 */
const at = (iso: string) => new Date(Date.parse(iso));
const FIRST_RUN = "2024-05-03T04:00:00Z";
const DAILY_RUN = "2024-05-07T04:00:00Z";

function layoutOf(reduced: string): string {
  const line = fs
    .readFileSync(path.join(reduced, ".reduced_objects"), "utf8")
    .split("\n")
    .find((l) => l.startsWith("before\t"));
  return line?.split("\t")[2] ?? "";
}

describe("the daily listing from the journal's window, where the bucket is not as the journal says", () => {
  const days = tempFolder("listing-days");
  generateRawLogs(days, { seed: 29, days: 6, startDate: "2024-05-01", bytesPerDay: 30_000, blobCount: 20 });
  const simple = cutIntoLogObjects(days, "simple");
  const partitioned = cutIntoLogObjects(days, "partitioned");
  const firstWave = (objects: GeneratedObject[]) =>
    objects.filter((o) => o.delivered < Date.parse(FIRST_RUN));
  const server = new S3StandIn(10);
  before(async () => {
    Object.assign(process.env, await server.startForClients(days));
  });
  after(() => server.stop());

  /** A bucket with `objects` of the first wave, reduced once; returns the options of its runs. */
  async function reducedOnce(bucket: string, objects: GeneratedObject[]) {
    for (const object of firstWave(objects)) server.put(bucket, object.key, object.body);
    const options = { rawFolder: `s3://${bucket}/logs/`, reducedFolder: tempFolder(`listing-${bucket}`) };
    await reduceAllDandiRawS3Logs({ ...options, now: at(FIRST_RUN) });
    return options;
  }

  test("a second source's folder that sorts among years of dated names is seen: the bucket is listed whole", async () => {
    // Names from 2023 before the folder of account 202312345678, which sorts after them.
    for (let month = 1; month <= 12; month++)
      server.put("second", `logs/2023-${String(month).padStart(2, "0")}-01-00-00-00-ABC`, Buffer.alloc(0));
    const options = await reducedOnce("second", simple);
    assert.equal(layoutOf(options.reducedFolder), "flat");
    const later = simple.slice(firstWave(simple).length);
    for (const object of later) server.put("second", object.key, object.body);
    const other = later.map((o) => ({
      ...o,
      key: o.key.replace("logs/", "logs/202312345678/us-east-1/other/"),
    }));
    for (const object of other) server.put("second", object.key, Buffer.alloc(0));
    const daily = await reduceAllDandiRawS3Logs({ ...options, now: at(DAILY_RUN) });
    assert.equal(server.startAfters.at(-1), "", "listed whole");
    assert.equal(
      daily.objects?.objectsReduced,
      2 * later.length + 1,
      "the other source's too (and one that waited)",
    );
    assert.equal(layoutOf(options.reducedFolder), "nested");
  });

  test("a key right in an ACCOUNT/REGION/BUCKET/ folder of a dated bucket makes it listed whole", async () => {
    const options = await reducedOnce("stray", partitioned);
    assert.equal(layoutOf(options.reducedFolder), "dated");
    server.put("stray", "logs/123456789012/us-east-1/dandiarchive/2024-05-05-00-04-00-ABC", Buffer.alloc(0));
    const daily = await reduceAllDandiRawS3Logs({ ...options, now: at(DAILY_RUN) });
    assert.equal(server.startAfters.at(-1), "");
    assert.equal(daily.objects?.objectsReduced, 1 + 1, "the stray key, and the object that waited");
    assert.equal(layoutOf(options.reducedFolder), "nested");
  });

  test("a policy that lets only the prefix be listed: the bucket is listed whole, as before", async () => {
    const options = await reducedOnce("narrow", partitioned);
    for (const object of partitioned.slice(firstWave(partitioned).length))
      server.put("narrow", object.key, object.body);
    server.faults = { listOnlyPrefix: "logs/" };
    try {
      const daily = await reduceAllDandiRawS3Logs({ ...options, now: at(DAILY_RUN) });
      assert.equal(server.startAfters.at(-1), "");
      assert.deepEqual(daily.failures, []);
      assert.equal(daily.objects?.objectsReduced, partitioned.length - firstWave(partitioned).length + 1);
    } finally {
      server.faults = {};
    }
  });

  test("a listing by folder whose pages never end fails the run, naming it", async () => {
    const options = await reducedOnce("endless", partitioned);
    server.faults = { repeatFolderToken: true };
    try {
      await assert.rejects(reduceAllDandiRawS3Logs({ ...options, now: at(DAILY_RUN) }), {
        code: "ERR_S3_ENDLESS_LISTING",
        message: /s3:\/\/endless\/logs\/ by "\/" repeats itself/,
      });
    } finally {
      server.faults = {};
    }
  });

  test("a journal whose layout says nested gets its layout from the next whole listing", async () => {
    const options = await reducedOnce("relayout", partitioned);
    const journal = path.join(options.reducedFolder, ".reduced_objects");
    fs.writeFileSync(
      journal,
      fs.readFileSync(journal, "utf8").replace(/^(before\t[^\t]+\t)dated\t/m, "$1nested\t"),
    );
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-04T04:00:00Z") });
    assert.equal(server.startAfters.at(-1), "");
    assert.equal(layoutOf(options.reducedFolder), "dated");
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-04T05:00:00Z") });
    assert.notEqual(server.startAfters.at(-1), "", "then listed from the window");
  });
});
