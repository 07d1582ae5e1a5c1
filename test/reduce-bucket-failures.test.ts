import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { generateRawLogs } from "../src/index.ts";
import {
  type CliResult,
  readTree,
  reduceArgs,
  runArgs,
  runCli,
  runCliAsync,
  startCli,
  tempFolder,
  waitUntil,
} from "./helpers.ts";
import { cutIntoLogObjects } from "./support/log-objects.ts";
import { S3StandIn } from "./support/s3-stand-in.ts";

/**
 * What a bucket read does when the bucket, its listing, its inventory or the network misbehave:
 * a request that never answers ends the run (exit 1, one line naming it) instead of holding it and
 * its lock forever; a bucket or key that does not exist, or credentials that do not reach it, are
 * one line and exit 2; a signal is exit 130; an inventory that lists a key twice reads it once.
 */

/** One line on stderr, starting `error:`, and no stack trace. */
function assertOneLine(result: CliResult, pattern: RegExp): void {
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at |TypeError|URIError|SyntaxError|AbortError/);
}

describe("reading a bucket that misbehaves", () => {
  const days = tempFolder("bucket-days");
  generateRawLogs(days, {
    seed: 5,
    days: 2,
    startDate: "2024-05-01",
    bytesPerDay: 40_000,
    blobCount: 20,
    zarrCount: 2,
  });
  const objects = cutIntoLogObjects(days, "simple", "logs/", 4, 12);
  const keys = objects.map((o) => o.key);
  // The reference: the same objects reduced from a local folder.
  const local = tempFolder("bucket-local");
  for (const object of objects)
    fs.writeFileSync(path.join(local, object.key.slice("logs/".length)), object.body);
  const reference = path.join(tempFolder("bucket-reference"), "reduced");
  const referenceRun = runCli("main", reduceArgs(local, reference));
  assert.equal(referenceRun.code, 0, referenceRun.stderr);
  const expected = readTree(reference);
  const missing = tempFolder("bucket-no-aws-files");

  const servers: S3StandIn[] = [];
  /** A stand-in holding the objects, and the environment that points a command at it. */
  async function standIn(): Promise<{ server: S3StandIn; env: Record<string, string> }> {
    const server = new S3StandIn(10);
    for (const object of objects) server.put("logging", object.key, object.body);
    servers.push(server);
    return { server, env: await server.startForClients(missing) };
  }
  after(async () => {
    for (const server of servers) await server.stop();
  });

  test("there are enough objects for several pages and batches of downloads", () => {
    assert.ok(objects.length >= 30, `${objects.length} objects`);
  });

  test("a GET, a listing or an inventory manifest that never answers ends the run, naming it, well within two minutes", async () => {
    const hungGet = await standIn();
    hungGet.server.faults = { neverAnswerGets: true };
    const hungList = await standIn();
    hungList.server.faults = { neverAnswerLists: true };
    const hungManifest = await standIn();
    hungManifest.server.put("inventory", "logging/all/manifest.json", Buffer.from("{}"));
    hungManifest.server.faults = { neverAnswerGets: true };
    const started = Date.now();
    const work = tempFolder("bucket-hung");
    // run, the daily job: it must end, and release its lock, so that tomorrow's run is not refused.
    const [get, list, manifest] = await Promise.all([
      runCliAsync(
        "main",
        [
          ...runArgs("s3://logging/logs/", work),
          "--no-report",
          "--quiet",
          "--no-ip_key_warning",
          "--network_timeout_seconds",
          "1",
        ],
        hungGet.env,
      ),
      runCliAsync(
        "main",
        reduceArgs("s3://logging/logs/", tempFolder("bucket-hung-list"), "--network_timeout_seconds", "1"),
        hungList.env,
      ),
      runCliAsync(
        "main",
        reduceArgs(
          "s3://logging/logs/",
          tempFolder("bucket-hung-inventory"),
          "--inventory",
          "s3://inventory/logging/all/manifest.json",
          "--network_timeout_seconds",
          "1",
        ),
        hungManifest.env,
      ),
    ]);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 60, `ended after ${seconds} s`);
    assert.equal(get.code, 1, get.stderr);
    assertOneLine(
      get,
      /nothing came from s3:\/\/logging\/logs\/\d{4}-\d{2}-\d{2}-.* for 1 s, 3 times \(--network_timeout_seconds\)/,
    );
    assert.equal(list.code, 1, list.stderr);
    assertOneLine(list, /nothing came from s3:\/\/logging\/logs\/ for 1 s, 3 times/);
    assert.equal(manifest.code, 1, manifest.stderr);
    assertOneLine(
      manifest,
      /nothing came from inventory manifest s3:\/\/inventory\/logging\/all\/manifest\.json for 1 s/,
    );
    assert.ok(!fs.existsSync(path.join(work, ".run.lock")), "the lock is released");
    assert.ok(!fs.existsSync(path.join(work, "reduced", ".reduce_lock")), "the lock is released");
    assert.ok(!fs.existsSync(path.join(work, "reduced", ".reducing_objects")), "no scratch file is left");
    // The next run, with the server answering again, reads every object.
    hungGet.server.faults = {};
    const rerun = await runCliAsync(
      "main",
      reduceArgs("s3://logging/logs/", path.join(work, "reduced")),
      hungGet.env,
    );
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(readTree(path.join(work, "reduced")), expected);
  });

  test("a listing that keeps failing, a bucket that does not exist, and credentials that do not reach it: one line each", async () => {
    const failing = await standIn();
    failing.server.faults = { failLists: { status: 500, code: "InternalError" } };
    const denied = await standIn();
    denied.server.faults = { denyAccess: true };
    const plain = await standIn();
    const noCredentials = {
      ...plain.env,
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_SESSION_TOKEN: "",
      AWS_PROFILE: "",
      // No instance metadata service to ask: nothing leaves 127.0.0.1.
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const reduced = () => tempFolder("bucket-failure");
    const [internal, noBucket, accessDenied, anonymous] = await Promise.all([
      runCliAsync("main", reduceArgs("s3://logging/logs/", reduced()), failing.env),
      runCliAsync("main", reduceArgs("s3://no-such-bucket/logs/", reduced()), plain.env),
      runCliAsync("main", reduceArgs("s3://logging/logs/", reduced()), denied.env),
      runCliAsync("main", reduceArgs("s3://logging/logs/", reduced()), noCredentials),
    ]);
    assert.equal(internal.code, 1, internal.stderr);
    assertOneLine(
      internal,
      /could not read s3:\/\/logging\/logs\/: InternalError \(HTTP 500\), after 8 attempts/,
    );
    assert.equal(failing.server.served.failed, 8);
    assert.equal(noBucket.code, 2, noBucket.stderr);
    assertOneLine(
      noBucket,
      /s3:\/\/no-such-bucket\/logs\/: the bucket does not exist \(NoSuchBucket\); check --raw_s3_logs_folder_path/,
    );
    assert.equal(accessDenied.code, 2, accessDenied.stderr);
    assertOneLine(accessDenied, /access denied \(AccessDenied\)/);
    assert.equal(anonymous.code, 2, anonymous.stderr);
    assertOneLine(anonymous, /no AWS credentials to read s3:\/\/logging\/logs\//);
  });

  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    test(`${signal} during a bucket read stops it with exit 130, and the rerun reads everything`, async () => {
      const { server, env } = await standIn();
      server.faults = { holdMidBody: true };
      const reducedFolder = tempFolder("bucket-signal");
      const child = startCli("main", reduceArgs("s3://logging/logs/", reducedFolder), env);
      let stderr = "";
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      child.stdout.resume();
      const closed = once(child, "close");
      await waitUntil(child, () => server.served.held >= 2, "objects were being read");
      child.kill(signal);
      const [code] = (await closed) as [number];
      assert.equal(code, 130, stderr);
      assert.match(stderr, new RegExp(`${signal}: stopping`));
      assert.doesNotMatch(stderr, /AbortError|\n\s+at /);
      assert.ok(!fs.existsSync(path.join(reducedFolder, ".reduce_lock")));
      server.faults = {};
      const rerun = await runCliAsync("main", reduceArgs("s3://logging/logs/", reducedFolder), env);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.deepEqual(readTree(reducedFolder), expected);
    });
  }

  describe("an S3 Inventory", () => {
    const schema = "Bucket, Key, Size, LastModifiedDate, ETag";
    const row = (key: string, size = objects[keys.indexOf(key)].body.length) =>
      `"logging","${encodeURIComponent(key).replaceAll("%2F", "/")}","${size}","2024-06-01T00:00:00.000Z","x"`;
    const csv = (rows: string[]) => gzipSync(Buffer.from(`${rows.join("\n")}\n`));
    const manifestOf = (files: string[], fields: Record<string, unknown> = {}) =>
      JSON.stringify({
        sourceBucket: "logging",
        destinationBucket: "arn:aws:s3:::inventory",
        fileFormat: "CSV",
        fileSchema: schema,
        files: files.map((key) => ({ key, size: 1, MD5checksum: "x" })),
        ...fields,
      });
    let env: Record<string, string> = {};
    let server: S3StandIn;
    before(async () => {
      ({ server, env } = await standIn());
    });

    test("a key listed twice, in one data file and in two, and a data file named twice, is read once", async () => {
      const half = Math.floor(keys.length / 2);
      // Two inventories that overlap (as two days' inventories would), one key twice within the first.
      server.put("inventory", "d/one.csv.gz", csv([...keys.slice(0, half + 5), keys[0]].map((k) => row(k))));
      server.put("inventory", "d/two.csv.gz", csv(keys.slice(half - 5).map((k) => row(k))));
      const manifest = path.join(tempFolder("manifest"), "manifest.json");
      fs.writeFileSync(manifest, manifestOf(["d/one.csv.gz", "d/two.csv.gz", "d/one.csv.gz"]));
      const reduced = tempFolder("bucket-inventory");
      const result = await runCliAsync(
        "main",
        reduceArgs("s3://logging/logs/", reduced, "--inventory", manifest),
        env,
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`reduce: ${keys.length} log objects reduced`));
      assert.deepEqual(readTree(reduced), expected);
      const journal = fs.readFileSync(path.join(reduced, ".reduced_objects"), "utf8");
      assert.equal(journal.split("\n").filter((line) => line.startsWith("object\t")).length, keys.length);
    });

    test("every malformed manifest or data file is one line and exit 2, never a stack trace", async () => {
      server.put("inventory", "d/good.csv.gz", csv(keys.map((k) => row(k))));
      server.put("inventory", "d/no-key.csv.gz", csv(['"logging"']));
      server.put("inventory", "d/bad-escape.csv.gz", csv([`"logging","logs/%E0%A4%A","10","x","y"`]));
      server.put("inventory", "d/bad-size.csv.gz", csv([`"logging","${keys[0]}","ten","x","y"`]));
      server.put("inventory", "d/not-gzip.csv.gz", Buffer.from(row(keys[0])));
      server.put("inventory", "d/twice.csv.gz", csv([row(keys[0]), row(keys[0], 7)]));
      const folder = tempFolder("manifests");
      const cases: { name: string; manifest: string | null; pattern: RegExp; code?: number }[] = [
        { name: "not JSON", manifest: "{ not json", pattern: /is not JSON/ },
        { name: "JSON null", manifest: "null", pattern: /is not an S3 Inventory manifest/ },
        { name: "a list", manifest: "[]", pattern: /is not an S3 Inventory manifest/ },
        {
          name: "Parquet",
          manifest: manifestOf(["d/good.csv.gz"], { fileFormat: "Parquet" }),
          pattern: /only CSV/,
        },
        {
          name: "null destination",
          manifest: manifestOf(["d/good.csv.gz"], { destinationBucket: null }),
          pattern: /no destinationBucket/,
        },
        {
          name: "numeric schema",
          manifest: manifestOf(["d/good.csv.gz"], { fileSchema: 5 }),
          pattern: /no fileSchema/,
        },
        {
          name: "no Key column",
          manifest: manifestOf(["d/good.csv.gz"], { fileSchema: "Bucket, Size" }),
          pattern: /no Key and Size/,
        },
        { name: "files null", manifest: manifestOf([], { files: null }), pattern: /no list of files/ },
        {
          name: "a null file",
          manifest: manifestOf([], { files: [null] }),
          pattern: /files\[0\] has no key/,
        },
        {
          name: "a file with a null key",
          manifest: manifestOf([], { files: [{ key: null }] }),
          pattern: /files\[0\] has no key/,
        },
        {
          name: "a row without a Key",
          manifest: manifestOf(["d/no-key.csv.gz"]),
          pattern: /no-key\.csv\.gz line 1 has no Key/,
        },
        {
          name: "a Key not URL-encoded",
          manifest: manifestOf(["d/bad-escape.csv.gz"]),
          pattern: /line 1: its Key .* is not URL-encoded/,
        },
        {
          name: "a Size not a number",
          manifest: manifestOf(["d/bad-size.csv.gz"]),
          pattern: /line 1 has no Size in bytes/,
        },
        {
          name: "a data file not gzipped",
          manifest: manifestOf(["d/not-gzip.csv.gz"]),
          pattern: /is not gzip-compressed CSV/,
        },
        {
          name: "a data file that does not exist",
          manifest: manifestOf(["d/gone.csv.gz"]),
          pattern: /s3:\/\/inventory\/d\/gone\.csv\.gz does not exist \(NoSuchKey\)/,
        },
        {
          name: "a destination bucket that does not exist",
          manifest: manifestOf(["d/good.csv.gz"], { destinationBucket: "arn:aws:s3:::nowhere" }),
          pattern: /the bucket does not exist \(NoSuchBucket\); check --inventory/,
        },
        {
          name: "a key listed with two sizes",
          manifest: manifestOf(["d/twice.csv.gz"]),
          pattern: /twice, with sizes/,
          code: 1,
        },
        {
          name: "a manifest file that is not there",
          manifest: null,
          pattern: /--inventory .*missing\.json cannot be read \(ENOENT\)/,
        },
      ];
      const results = await Promise.all(
        cases.map(async ({ name, manifest }, i) => {
          const file = path.join(folder, manifest === null ? "missing.json" : `manifest-${i}.json`);
          if (manifest !== null) fs.writeFileSync(file, manifest);
          return {
            name,
            result: await runCliAsync(
              "main",
              reduceArgs("s3://logging/logs/", tempFolder("bad-inventory"), "--inventory", file),
              env,
            ),
          };
        }),
      );
      for (const [i, { name, result }] of results.entries()) {
        assert.equal(result.code, cases[i].code ?? 2, `${name}: ${result.stderr}`);
        assertOneLine(result, cases[i].pattern);
      }
      // A manifest in the bucket that is not there.
      const viaS3 = await runCliAsync(
        "main",
        reduceArgs(
          "s3://logging/logs/",
          tempFolder("bad-inventory"),
          "--inventory",
          "s3://inventory/nothing/manifest.json",
        ),
        env,
      );
      assert.equal(viaS3.code, 2, viaS3.stderr);
      assertOneLine(
        viaS3,
        /inventory manifest s3:\/\/inventory\/nothing\/manifest\.json does not exist \(NoSuchKey\)/,
      );
    });
  });
});
