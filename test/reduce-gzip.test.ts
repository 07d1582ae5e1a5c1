import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { generateRawLogs } from "../src/index.ts";
import { readTree, reduceArgs, runCli, runCliAsync, tempFolder } from "./helpers.ts";
import { cutIntoLogObjects } from "./support/log-objects.ts";
import { S3StandIn } from "./support/s3-stand-in.ts";

/**
 * Archives keep old logs gzipped. A day file `DD.log.gz`, a day file or a log object whose bytes are
 * gzip's (told by its magic number, whatever its name), from a folder or a bucket, is reduced to
 * exactly what its plain lines give: before this, a compressed object counted as malformed lines.
 */
describe("gzip-compressed raw logs", () => {
  const days = tempFolder("gzip-days");
  generateRawLogs(days, { seed: 41, days: 3, startDate: "2024-07-01", bytesPerDay: 60_000, blobCount: 30 });
  const dayFile = (day: string) => path.join(days, "2024", "07", `${day}.log`);
  const reference = tempFolder("gzip-reference");
  assert.equal(runCli("main", reduceArgs(days, reference)).code, 0);
  const expected = readTree(reference);

  test("day files: DD.log.gz, a .log whose bytes are gzip's, and one of two gzip members, over two workers", () => {
    const raw = tempFolder("gzip-raw");
    fs.cpSync(days, raw, { recursive: true });
    const inRaw = (day: string) => path.join(raw, "2024", "07", `${day}.log`);
    fs.writeFileSync(`${inRaw("01")}.gz`, gzipSync(fs.readFileSync(dayFile("01"))));
    fs.rmSync(inRaw("01"));
    fs.writeFileSync(inRaw("02"), gzipSync(fs.readFileSync(dayFile("02"))));
    // `cat a.gz b.gz` is a gzip file too, which gzip -d reads whole.
    const third = fs.readFileSync(dayFile("03"));
    const cut = third.indexOf(0x0a, third.length >> 1) + 1;
    fs.writeFileSync(
      inRaw("03"),
      Buffer.concat([gzipSync(third.subarray(0, cut)), gzipSync(third.subarray(cut))]),
    );
    const reduced = tempFolder("gzip-reduced");
    const result = runCli("main", reduceArgs(raw, reduced, "--maximum_number_of_workers", "2"));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /3 day files reduced/);
    assert.deepEqual(readTree(reduced), expected);
    assert.deepEqual(
      fs.readdirSync(reduced, { recursive: true }).filter((name) => String(name).includes(".tmp-")),
      [],
      "no decompressed scratch file is left",
    );
    const again = runCli("main", reduceArgs(raw, reduced));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 day files reduced, 3 already reduced/);

    // A compressed day file that changes after it was reduced cannot be read from where it grew.
    fs.writeFileSync(
      `${inRaw("01")}.gz`,
      Buffer.concat([fs.readFileSync(`${inRaw("01")}.gz`), gzipSync(Buffer.from("more\n"))]),
    );
    const grown = runCli("main", reduceArgs(raw, reduced));
    assert.equal(grown.code, 1, grown.stderr);
    assert.match(
      grown.stderr,
      /^failed: 2024\/07\/01\.log\.gz: is compressed and changed after it was reduced/,
    );
  });

  test("a day kept both plain and compressed is read once; a damaged .gz fails its day, naming it", () => {
    const raw = tempFolder("gzip-twins");
    fs.cpSync(days, raw, { recursive: true });
    const inRaw = (day: string) => path.join(raw, "2024", "07", `${day}.log`);
    fs.writeFileSync(`${inRaw("01")}.gz`, gzipSync(fs.readFileSync(dayFile("01"))));
    const reduced = tempFolder("gzip-twins-reduced");
    const result = runCli("main", reduceArgs(raw, reduced));
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /skipped: 2024\/07\/01\.log\.gz: 2024\/07\/01\.log is there too, the same day: keep one of them/,
    );
    assert.deepEqual(readTree(reduced), expected);

    const damaged = tempFolder("gzip-damaged");
    fs.mkdirSync(path.join(damaged, "2024", "07"), { recursive: true });
    const whole = gzipSync(fs.readFileSync(dayFile("01")));
    fs.writeFileSync(path.join(damaged, "2024", "07", "01.log.gz"), whole.subarray(0, whole.length >> 1));
    const failed = runCli("main", reduceArgs(damaged, tempFolder("gzip-damaged-reduced")));
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(
      failed.stderr,
      /^failed: 2024\/07\/01\.log\.gz: 2024\/07\/01\.log\.gz starts like a gzip file but cannot be decompressed/,
    );
  });

  describe("log objects", () => {
    // Every other object compressed, under its own name, as an archive of the logging bucket keeps them.
    const objects = cutIntoLogObjects(days, "simple").map((object, i) =>
      i % 2 === 0 ? { ...object, body: gzipSync(object.body) } : object,
    );
    const server = new S3StandIn(10);
    after(() => server.stop());

    test("from a folder and from a bucket, they reduce to the plain lines' days", async () => {
      const folder = tempFolder("gzip-objects");
      for (const object of objects)
        fs.writeFileSync(path.join(folder, object.key.slice("logs/".length)), object.body);
      const fromFolder = tempFolder("gzip-objects-reduced");
      const local = runCli("main", reduceArgs(folder, fromFolder, "--maximum_number_of_workers", "2"));
      assert.equal(local.code, 0, local.stderr);
      assert.doesNotMatch(local.stdout, /malformed\s+[1-9]/);

      for (const object of objects) server.put("logging", object.key, object.body);
      const env = await server.startForClients(tempFolder("gzip-no-aws"));
      const fromBucket = tempFolder("gzip-bucket-reduced");
      const bucket = await runCliAsync("main", reduceArgs("s3://logging/logs/", fromBucket), env);
      assert.equal(bucket.code, 0, bucket.stderr);
      assert.deepEqual(readTree(fromBucket), readTree(fromFolder));
      assert.deepEqual(
        fs.readdirSync(fromBucket).filter((name) => name === ".reducing_objects"),
        [],
        "no scratch file is left",
      );
      // The same days as the day files give.
      assert.deepEqual(readTree(fromFolder), expected);
    });
  });
});
