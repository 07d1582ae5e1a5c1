import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { generateRawLogs, reduceAllDandiRawS3Logs } from "../src/index.ts";
import { readTree, runCli, runCliAsync, startCli, tempFolder, waitUntil } from "./helpers.ts";
import { cutIntoLogObjects, writeLogObjects } from "./support/log-objects.ts";
import { S3StandIn } from "./support/s3-stand-in.ts";

// Where two features meet: log objects, IP keys and rekey, locks, summaries.

const KEY = "cross-Test-key-0123456789-abcdef";
const NEW_KEY = "newer-Test-key-0123456789-abcdef";

describe("reduce from a bucket, beside rekey or another reduce, and killed", () => {
  const days = tempFolder("days");
  generateRawLogs(days, { seed: 31, days: 2, startDate: "2024-06-01", bytesPerDay: 60_000, blobCount: 30 });
  const objects = cutIntoLogObjects(days, "simple");
  const server = new S3StandIn();
  let env: Record<string, string> = {};
  before(async () => {
    for (const object of objects) server.put("logging", object.key, object.body);
    env = await server.startForClients(days);
  });
  after(() => server.stop());

  const reduce = (reduced: string) => [
    "reduce",
    "--raw_s3_logs_folder_path",
    "s3://logging/logs/",
    "--reduced_s3_logs_folder_path",
    reduced,
    "--quiet",
  ];

  test("rekey during a reduce exits 75 instead of leaving rows of the old key in a folder recorded as the new", async () => {
    const work = tempFolder("work");
    const reduced = path.join(work, "reduced");
    server.faults = { holdMidBody: true };
    server.served.held = 0;
    const child = startCli("main", reduce(reduced), {
      ...env,
      DANDI_S3_LOG_PARSER_IP_KEY: KEY,
    });
    const closed = once(child, "close");
    try {
      await waitUntil(child, () => server.served.held >= 1, "an object is being read");
      const rekey = runCli("main", ["rekey", "--work_folder", work], {
        DANDI_S3_LOG_PARSER_OLD_IP_KEY: KEY,
        DANDI_S3_LOG_PARSER_IP_KEY: NEW_KEY,
      });
      assert.equal(rekey.code, 75, `rekey ran beside a reduce: ${rekey.stdout}${rekey.stderr}`);
      assert.match(rekey.stderr, /reduce_lock/);
      const second = await runCliAsync("main", reduce(reduced), { ...env, DANDI_S3_LOG_PARSER_IP_KEY: KEY });
      assert.equal(second.code, 75, `a second reduce ran beside the first: ${second.stdout}${second.stderr}`);
    } finally {
      child.kill("SIGKILL");
      await closed;
      server.faults = {};
    }
    // After the kill the lock is stale: rekey takes it over, and the folder reduces under the new key
    // exactly as it does with that key from the start.
    const rekey = runCli("main", ["rekey", "--work_folder", work], {
      DANDI_S3_LOG_PARSER_OLD_IP_KEY: KEY,
      DANDI_S3_LOG_PARSER_IP_KEY: NEW_KEY,
    });
    assert.equal(rekey.code, 0, rekey.stderr);
    const rerun = await runCliAsync("main", reduce(reduced), { ...env, DANDI_S3_LOG_PARSER_IP_KEY: NEW_KEY });
    assert.equal(rerun.code, 0, rerun.stderr);
    const fromStart = path.join(tempFolder("from-start"), "reduced");
    const reference = await runCliAsync("main", reduce(fromStart), {
      ...env,
      DANDI_S3_LOG_PARSER_IP_KEY: NEW_KEY,
    });
    assert.equal(reference.code, 0, reference.stderr);
    assert.deepEqual(readTree(reduced), readTree(fromStart));
  });
  test("raw objects being read from a bucket, addresses in clear, are readable by their owner only, and gone after the rerun", async () => {
    const reduced = path.join(tempFolder("work"), "reduced");
    server.faults = { holdMidBody: true };
    server.served.held = 0;
    const child = startCli("main", reduce(reduced), { ...env, DANDI_S3_LOG_PARSER_IP_KEY: KEY });
    const closed = once(child, "close");
    const scratch = () =>
      fs.existsSync(path.join(reduced, ".reducing_objects"))
        ? fs
            .readdirSync(path.join(reduced, ".reducing_objects"), { recursive: true, withFileTypes: true })
            .filter((entry) => entry.isFile())
            .map((entry) => path.join(entry.parentPath, entry.name))
        : [];
    try {
      await waitUntil(
        child,
        () => server.served.held >= 2 && scratch().length >= 2,
        "objects are being read",
      );
    } finally {
      child.kill("SIGKILL");
      await closed;
      server.faults = {};
    }
    const left = scratch();
    assert.ok(left.length >= 2, "the kill left the objects it was reading");
    for (const file of left) assert.equal(fs.statSync(file).mode & 0o077, 0, `${file} is readable by others`);
    const rerun = await runCliAsync("main", reduce(reduced), { ...env, DANDI_S3_LOG_PARSER_IP_KEY: KEY });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(scratch(), []);
  });
});

describe("rekey and links", () => {
  test("a binned file replaced by a link stops rekey before anything changes, as it stops bin and map", () => {
    const raw = tempFolder("raw");
    generateRawLogs(raw, { seed: 32, days: 2, startDate: "2024-06-01", bytesPerDay: 40_000, blobCount: 20 });
    const work = tempFolder("work");
    const args = ["run", "--raw_s3_logs_folder_path", raw, "--work_folder", work, "--no-report", "--quiet"];
    const catalog = path.join(tempFolder("catalog"), "catalog.json");
    assert.equal(
      runCli("main", [
        "generate",
        "--output_folder",
        tempFolder("unused"),
        "--catalog_output",
        catalog,
        "--seed",
        "32",
        "--days",
        "1",
      ]).code,
      0,
    );
    const first = runCli("main", [...args, "--catalog", catalog], { DANDI_S3_LOG_PARSER_IP_KEY: KEY });
    assert.equal(first.code, 0, first.stderr);
    const binned = path.join(work, "binned");
    const objectFile = fs
      .readdirSync(binned, { recursive: true })
      .map(String)
      .find((file) => file.startsWith("blobs") && file.endsWith(".tsv")) as string;
    const outside = path.join(tempFolder("outside"), "rows.tsv");
    fs.renameSync(path.join(binned, objectFile), outside);
    fs.symlinkSync(outside, path.join(binned, objectFile));
    const before = readTree(work);
    const rekey = runCli("main", ["rekey", "--work_folder", work], {
      DANDI_S3_LOG_PARSER_OLD_IP_KEY: KEY,
      DANDI_S3_LOG_PARSER_IP_KEY: NEW_KEY,
    });
    assert.equal(rekey.code, 1, `rekey went past a link: ${rekey.stdout}${rekey.stderr}`);
    assert.match(rekey.stderr, new RegExp(`${objectFile}.*symbolic link`));
    assert.deepEqual(readTree(work), before, "nothing changed");
  });
});

describe("links in the published folders", () => {
  test("a summaries folder replaced by a link stops map: nothing is written or removed through it", () => {
    const raw = tempFolder("raw");
    generateRawLogs(raw, { seed: 33, days: 3, startDate: "2024-06-01", bytesPerDay: 40_000, blobCount: 20 });
    const catalog = path.join(tempFolder("catalog"), "catalog.json");
    const generated = ["generate", "--output_folder", tempFolder("unused"), "--catalog_output", catalog];
    assert.equal(runCli("main", [...generated, "--seed", "33", "--days", "1"]).code, 0);
    // The last day comes in a second run, so the second map changes the summaries.
    const lastDay = path.join(raw, "2024", "06", "03.log");
    const held = path.join(tempFolder("held"), "03.log");
    fs.renameSync(lastDay, held);
    const work = tempFolder("work");
    const args = ["run", "--raw_s3_logs_folder_path", raw, "--work_folder", work, "--catalog", catalog];
    const first = runCli("main", [...args, "--no-report", "--quiet", "--no-ip_key_warning"]);
    assert.equal(first.code, 0, first.stderr);
    fs.renameSync(held, lastDay);
    for (const published of ["summaries/summaries/archive", "mapped/000001"]) {
      const linked = path.join(work, published);
      const outside = path.join(tempFolder("outside"), "folder");
      fs.renameSync(linked, outside);
      fs.symlinkSync(outside, linked);
      const before = readTree(outside);
      const second = runCli("main", [...args, "--no-report", "--quiet", "--no-ip_key_warning"]);
      assert.equal(second.code, 1, `map went through ${published}: ${second.stdout}${second.stderr}`);
      assert.match(second.stderr, new RegExp(`${published}.*symbolic link`));
      assert.deepEqual(readTree(outside), before, `nothing changed through ${published}`);
      fs.rmSync(linked);
      fs.renameSync(outside, linked);
    }
  });
});

describe("links in the reduced folder's held rows", () => {
  test("a .pending_days replaced by a link stops reduce: held rows are not written outside the folder", async () => {
    const days = tempFolder("days");
    generateRawLogs(days, { seed: 34, days: 3, startDate: "2024-06-01", bytesPerDay: 40_000, blobCount: 20 });
    const objects = cutIntoLogObjects(days, "simple");
    const raw = tempFolder("objects");
    // Up to the evening of the second day: the first is settled, the second's rows are held.
    const evening = Date.parse("2024-06-02T20:00:00Z");
    writeLogObjects(
      raw,
      objects.filter((o) => o.delivered < evening),
    );
    const reduced = tempFolder("reduced");
    await reduceAllDandiRawS3Logs({ rawFolder: raw, reducedFolder: reduced, now: new Date(evening) });
    const pending = path.join(reduced, ".pending_days");
    assert.ok(fs.existsSync(path.join(pending, "2024/06/02_0001.tsv")));
    const outside = path.join(tempFolder("outside"), "held");
    fs.renameSync(pending, outside);
    fs.symlinkSync(outside, pending);
    const before = readTree(outside);
    writeLogObjects(raw, objects);
    await assert.rejects(
      reduceAllDandiRawS3Logs({
        rawFolder: raw,
        reducedFolder: reduced,
        now: new Date(evening + 24 * 3600_000),
      }),
      /\.pending_days is a symbolic link/,
    );
    assert.deepEqual(readTree(outside), before, "nothing written through the link");
  });
});

describe("requesters with and without a key", () => {
  test("an IPv6 address written in two cases is one requester, with a key and without", () => {
    const days = tempFolder("days");
    const catalog = path.join(tempFolder("catalog"), "catalog.json");
    const generated = ["generate", "--output_folder", days, "--catalog_output", catalog, "--days", "1"];
    assert.equal(runCli("main", [...generated, "--seed", "35", "--start_date", "2024-06-01"]).code, 0);
    // A download the catalog places in a Dandiset, asked for twice by one IPv6 address written two
    // ways: a token decodes a long IPv6 address to its standard text, so the clear folder must count it so too.
    // (An ISP's address: a cloud's, such as AWS's 2600:1f18::/32, is no requester at all.)
    const line = fs
      .readFileSync(path.join(days, "2024/06/01.log"), "latin1")
      .split("\n")
      .find((l) => / REST\.GET\.OBJECT blobs\//.test(l) && / 200 /.test(l)) as string;
    const remote = line.split(" ")[4];
    const raw = tempFolder("raw");
    fs.mkdirSync(path.join(raw, "2024/06"), { recursive: true });
    fs.writeFileSync(
      path.join(raw, "2024/06/01.log"),
      `${line.replace(` ${remote} `, " 2003:e0:4957:aa::9616 ")}\n${line.replace(` ${remote} `, " 2003:E0:4957:AA::9616 ")}\n`,
    );
    for (const key of [null, KEY]) {
      const work = tempFolder("work");
      const args = ["run", "--raw_s3_logs_folder_path", raw, "--work_folder", work, "--catalog", catalog];
      const result = runCli(
        "main",
        [...args, "--no-report", "--quiet", "--no-ip_key_warning"],
        key === null ? {} : { DANDI_S3_LOG_PARSER_IP_KEY: key },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /; 1 distinct requesters/, key === null ? "in clear" : "with a key");
    }
  });
});
