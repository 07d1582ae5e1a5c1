import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { generateRawLogs, reduceAllDandiRawS3Logs } from "../src/index.ts";
import { JOURNAL_WINDOW_MS } from "../src/s3/journal-window.ts";
import { readTree, reduceArgs, runCli, tempFolder } from "./helpers.ts";
import { cutIntoLogObjects, type GeneratedObject, writeLogObjects } from "./support/log-objects.ts";
import { S3StandIn } from "./support/s3-stand-in.ts";

const JOURNAL = ".reduced_objects";
const at = (iso: string) => new Date(Date.parse(iso));

/** The journal's lines of one kind (`object`, `before`), without the kind. */
function journalLines(reduced: string, kind: string): string[][] {
  return fs
    .readFileSync(path.join(reduced, JOURNAL), "utf8")
    .split("\n")
    .filter((line) => line.startsWith(`${kind}\t`))
    .map((line) => line.split("\t").slice(1));
}

describe("the window of a reduced folder's object journal", () => {
  // Six days cut into hourly objects; what reducing the day files gives is the reference.
  const days = tempFolder("window-days");
  generateRawLogs(days, {
    seed: 23,
    days: 6,
    startDate: "2024-05-01",
    bytesPerDay: 60_000,
    damageRate: 0.02,
    blobCount: 30,
    zarrCount: 3,
  });
  const reference = path.join(tempFolder("window-reference"), "reduced");
  assert.equal(runCli("main", reduceArgs(days, reference)).code, 0);
  const expected = readTree(reference);
  const simple = cutIntoLogObjects(days, "simple");
  const partitioned = cutIntoLogObjects(days, "partitioned");

  const server = new S3StandIn(25);
  before(async () => {
    // In this process: the library reads the bucket through the SDK, which reads these.
    Object.assign(process.env, await server.startForClients(days));
  });
  after(() => server.stop());

  test("a daily run lists the bucket from two days before its newest object, and reduces what a run over all would", async () => {
    const reduced = tempFolder("window-bucket");
    const bucket = "daily";
    const firstWave = simple.filter((o) => o.delivered < Date.parse("2024-05-03T04:00:00Z"));
    for (const object of firstWave) server.put(bucket, object.key, object.body);
    const options = { rawFolder: `s3://${bucket}/logs/`, reducedFolder: reduced };
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-03T04:00:00Z") });
    // Read through 3 o'clock, the newest object at 03:04: the window starts two days before 03:00.
    assert.deepEqual(journalLines(reduced, "before"), [
      [
        "2024-05-01T03:00:00.000Z",
        "flat",
        String(simple.filter((o) => o.delivered < Date.parse("2024-05-01T03:00:00Z")).length),
      ],
    ]);

    for (const object of simple.slice(firstWave.length)) server.put(bucket, object.key, object.body);
    const listedBefore = server.keysListed;
    const second = await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T04:00:00Z") });
    assert.equal(server.startAfters.at(-1), "logs/2024-05-01-03-00-00");
    assert.equal(
      server.keysListed - listedBefore,
      simple.filter((o) => o.delivered >= Date.parse("2024-05-01T03:00:00Z")).length,
    );
    // The first run read through 03:00 of the 3rd; its object of 03:04 waited.
    const readFirst = simple.filter((o) => o.delivered < Date.parse("2024-05-03T03:00:00Z")).length;
    assert.equal(second.objects?.objectsReduced, simple.length - readFirst);
    assert.deepEqual(readTree(reduced), expected);

    // The newest object was delivered at 00:04 on the 7th: the journal lists only the two days before.
    const window = Date.parse("2024-05-07T00:04:00Z") - JOURNAL_WINDOW_MS;
    assert.equal(journalLines(reduced, "before")[0][0], new Date(window).toISOString());
    const listed = journalLines(reduced, "object").map(([key]) => key);
    assert.deepEqual(
      listed,
      simple.filter((o) => o.delivered >= window).map((o) => o.key.slice("logs/".length)),
    );

    // Nothing new: a listing of those two days only, and nothing read.
    const listedThen = server.keysListed;
    const third = await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T06:00:00Z") });
    assert.equal(third.objects?.objectsReduced, 0);
    assert.equal(server.keysListed - listedThen, listed.length);
    assert.deepEqual(readTree(reduced), expected);
  });

  test("a journal of an earlier version, which lists every object, is read as it is and gets its window", async () => {
    const reduced = tempFolder("window-old-journal");
    const bucket = "old-journal";
    const firstWave = simple.filter((o) => o.delivered < Date.parse("2024-05-04T04:00:00Z"));
    for (const object of firstWave) server.put(bucket, object.key, object.body);
    const options = { rawFolder: `s3://${bucket}/logs/`, reducedFolder: reduced };
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-04T04:00:00Z") });
    // As an earlier version wrote it: every object read, no window.
    const journal = fs.readFileSync(path.join(reduced, JOURNAL), "utf8").split("\n");
    const window = Date.parse(journalLines(reduced, "before")[0][0]);
    const pruned = firstWave
      .filter((o) => o.delivered < window)
      .map((o) => `object\t${o.key.slice("logs/".length)}\t${o.body.length}\t${md5(o.body)}`);
    const old = [journal[0], ...pruned, ...journal.slice(1).filter((line) => !line.startsWith("before\t"))];
    fs.writeFileSync(path.join(reduced, JOURNAL), old.join("\n"));

    for (const object of simple.slice(firstWave.length)) server.put(bucket, object.key, object.body);
    const second = await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T04:00:00Z") });
    assert.equal(server.startAfters.at(-1), "", "a journal without a window: the whole bucket is listed");
    assert.equal(
      second.objects?.objectsAlreadyReduced,
      firstWave.filter((o) => o.delivered < Date.parse("2024-05-04T03:00:00Z")).length,
    );
    assert.deepEqual(readTree(reduced), expected);
    assert.equal(journalLines(reduced, "before").length, 1);
  });

  test("a local folder (PartitionedPrefix) is listed whole; older objects added later are said, not read", async () => {
    const raw = tempFolder("window-local");
    const reduced = tempFolder("window-local-reduced");
    writeLogObjects(raw, partitioned);
    const options = { rawFolder: raw, reducedFolder: reduced };
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T04:00:00Z") });
    assert.deepEqual(readTree(reduced), expected);
    assert.equal(journalLines(reduced, "before")[0][1], "dated"); // a local folder is listed whole all the same

    // A lifecycle rule deletes old logs: nothing to say.
    const oldest = partitioned[0] as GeneratedObject;
    fs.rmSync(path.join(raw, oldest.key.slice("logs/".length)));
    const quiet = await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T05:00:00Z") });
    assert.deepEqual(quiet.failures, []);
    assert.equal(quiet.objects?.objectsReduced, 0);

    // A copy of older logs put back, under a name of its own: not read twice, and not in silence.
    const copy = partitioned[5] as GeneratedObject;
    const copyKey = copy.key.replace(/-[0-9A-F]+$/, "-FFFFFFFFFFFFFFFF");
    writeLogObjects(raw, [{ ...copy, key: copyKey }]);
    const added = await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T06:00:00Z") });
    assert.equal(added.objects?.objectsReduced, 0);
    assert.equal(added.failures.length, 1);
    assert.match(
      added.failures[0].message,
      /1 more log objects delivered before 2024-05-05T00:04:00\.000Z are listed than earlier runs read/,
    );
    // Said again by the next run: a cron job that missed one exit code does not lose them in silence.
    const again = await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T07:00:00Z") });
    assert.equal(again.failures.length, 1);
    assert.deepEqual(readTree(reduced), expected);
  });

  test("an object named in the future does not move the window past the clock", async () => {
    const reduced = tempFolder("window-future");
    const bucket = "future";
    const firstWave = simple.filter((o) => o.delivered < Date.parse("2024-05-04T04:00:00Z"));
    for (const object of firstWave) server.put(bucket, object.key, object.body);
    server.put(bucket, "logs/2099-01-01-00-00-00-FFFFFFFFFFFFFFFF", Buffer.from(""));
    const options = { rawFolder: `s3://${bucket}/logs/`, reducedFolder: reduced };
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-04T04:00:00Z") });
    assert.equal(journalLines(reduced, "before")[0][0], "2024-05-02T04:00:00.000Z");
    for (const object of simple.slice(firstWave.length)) server.put(bucket, object.key, object.body);
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T04:00:00Z") });
    assert.equal(server.startAfters.at(-1), "logs/2024-05-02-04-00-00");
    // Every object of the 6 days was read, and only once; the one of 2099 waits for its day. (It
    // settles the 4th early, judged by its name, so that day's later lines come as a second unit.)
    assert.deepEqual(rowsByDay(readTree(reduced)), rowsByDay(expected));
  });

  test("PartitionedPrefix by delivery day: each account/region/bucket folder is listed from the window's day", async () => {
    const reduced = tempFolder("window-dated");
    const bucket = "dated";
    const firstWave = partitioned.filter((o) => o.delivered < Date.parse("2024-05-03T04:00:00Z"));
    for (const object of firstWave) server.put(bucket, object.key, object.body);
    const options = { rawFolder: `s3://${bucket}/logs/`, reducedFolder: reduced };
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-03T04:00:00Z") });
    assert.equal(journalLines(reduced, "before")[0][1], "dated");
    for (const object of partitioned.slice(firstWave.length)) server.put(bucket, object.key, object.body);
    const listedBefore = server.keysListed;
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T04:00:00Z") });
    assert.equal(
      server.startAfters.at(-1),
      "logs/123456789012/us-east-1/dandiarchive/2024/05/01/2024-05-01-03-00-00",
    );
    const window = Date.parse("2024-05-01T03:00:00Z");
    assert.equal(server.keysListed - listedBefore, partitioned.filter((o) => o.delivered >= window).length);
    assert.deepEqual(readTree(reduced), expected);
  });

  test("keys in dated folders whose names are not of their folder's day are listed whole", async () => {
    const reduced = tempFolder("window-odd-folders");
    const bucket = "odd-folders";
    // The day's last hour, delivered at 00:04, filed under the day before.
    const oddFolders = partitioned.map((o) => {
      const stamp = new Date(o.delivered).toISOString();
      if (stamp.slice(11, 13) !== "00") return o;
      const day = new Date(o.delivered - 3600_000).toISOString().slice(0, 10).replaceAll("-", "/");
      return { ...o, key: o.key.replace(/\d{4}\/\d{2}\/\d{2}\/(?=[^/]+$)/, `${day}/`) };
    });
    const firstWave = oddFolders.filter((o) => o.delivered < Date.parse("2024-05-03T04:00:00Z"));
    for (const object of firstWave) server.put(bucket, object.key, object.body);
    const options = { rawFolder: `s3://${bucket}/logs/`, reducedFolder: reduced };
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-03T04:00:00Z") });
    assert.equal(journalLines(reduced, "before")[0][1], "nested");
    for (const object of oddFolders.slice(firstWave.length)) server.put(bucket, object.key, object.body);
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T04:00:00Z") });
    assert.equal(server.startAfters.at(-1), "");
    assert.deepEqual(rowsByDay(readTree(reduced)), rowsByDay(expected));
  });

  test("a bucket switched to PartitionedPrefix since is listed whole: a folder before the window's name is seen", async () => {
    const reduced = tempFolder("window-switch");
    const bucket = "switch";
    const switchAt = Date.parse("2024-05-03T04:00:00Z");
    for (const object of simple.filter((o) => o.delivered < switchAt))
      server.put(bucket, object.key, object.body);
    const options = { rawFolder: `s3://${bucket}/logs/`, reducedFolder: reduced };
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-03T04:00:00Z") });
    assert.equal(journalLines(reduced, "before")[0][1], "flat");
    // Its account number sorts before every key named by a date: a listing from the window would miss it.
    for (const object of partitioned.filter((o) => o.delivered >= switchAt))
      server.put(bucket, object.key, object.body);
    const folderListings = server.folderListings;
    const second = await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-07T04:00:00Z") });
    assert.equal(server.folderListings, folderListings + 1);
    assert.equal(server.startAfters.at(-1), "");
    assert.deepEqual(second.failures, []);
    // Every row once; a day's rows come in key order, and the account's keys sort before the dates'.
    assert.deepEqual(rowsByDay(readTree(reduced)), rowsByDay(expected));
    assert.equal(journalLines(reduced, "before")[0][1], "nested");
  });

  test("a bucket with nothing new for a day is listed whole, and an older object found there is said each run", async () => {
    const reduced = tempFolder("window-quiet");
    const bucket = "quiet";
    const firstWave = simple.filter((o) => o.delivered < Date.parse("2024-05-04T04:00:00Z"));
    for (const object of firstWave) server.put(bucket, object.key, object.body);
    const options = { rawFolder: `s3://${bucket}/logs/`, reducedFolder: reduced };
    await reduceAllDandiRawS3Logs({ ...options, now: at("2024-05-04T04:00:00Z") });
    // An object named before the window shows up late (a copy put back): the window's listing cannot see it.
    const late = simple[2] as GeneratedObject;
    server.put(bucket, late.key.replace(/-[0-9A-F]+$/, "-FFFFFFFFFFFFFFFF"), late.body);
    for (const day of ["2024-05-06T04:00:00Z", "2024-05-07T04:00:00Z"]) {
      const quiet = await reduceAllDandiRawS3Logs({ ...options, now: at(day) });
      assert.equal(server.startAfters.at(-1), "", "nothing for a day: the whole bucket");
      assert.equal(quiet.failures.length, 1, "said each run until the folder is made anew");
      assert.match(quiet.failures[0].message, /1 more log objects delivered before/);
      // Not read: the 1st's rows once.
      assert.deepEqual(rowsByDay(readTree(reduced)).get("2024/05/01"), rowsByDay(expected).get("2024/05/01"));
    }
  });

  test("downloads run 32 at once unless DANDI_S3_LOG_PARSER_S3_DOWNLOADS says otherwise", async () => {
    const bucket = "slow";
    for (const object of simple) server.put(bucket, object.key, object.body);
    server.faults = { getDelayMs: 40 };
    try {
      for (const [setting, expectedAtOnce] of [
        [undefined, 32],
        ["4", 4],
      ] as const) {
        if (setting === undefined) delete process.env.DANDI_S3_LOG_PARSER_S3_DOWNLOADS;
        else process.env.DANDI_S3_LOG_PARSER_S3_DOWNLOADS = setting;
        server.mostGetsAtOnce = 0;
        const reduced = tempFolder("window-slow");
        await reduceAllDandiRawS3Logs({ rawFolder: `s3://${bucket}/logs/`, reducedFolder: reduced });
        assert.equal(server.mostGetsAtOnce, Math.min(expectedAtOnce, simple.length));
        assert.deepEqual(readTree(reduced), expected);
      }
    } finally {
      delete process.env.DANDI_S3_LOG_PARSER_S3_DOWNLOADS;
      server.faults = {};
    }
  });
});

/** Each day's rows, in order, whatever units they came in (`DD.tsv`, `DD_0002.tsv`). */
function rowsByDay(tree: Map<string, string>): Map<string, string[]> {
  const days = new Map<string, string[]>();
  for (const [file, text] of tree) {
    const day = file.slice(0, 10);
    days.set(day, [...(days.get(day) ?? []), ...text.split("\n").slice(1, -1)]);
  }
  for (const rows of days.values()) rows.sort();
  return days;
}

function md5(body: Buffer): string {
  return createHash("md5").update(body).digest("hex");
}
