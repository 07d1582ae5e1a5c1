import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT, readTree, tempFolder } from "./helpers.ts";
import { cutIntoLogObjects } from "./support/log-objects.ts";
import { S3StandIn } from "./support/s3-stand-in.ts";

/**
 * The package as a user gets it: packed by `npm pack`, installed from the tarball into an empty
 * prefix (its dependencies from npm's cache, else the registry), and each installed command run
 * from there, where nothing of this repository's node_modules or sources can stand in for what
 * the tarball lacks. The demo draws its report (Vega, the location database and the shipped places
 * are found), a bucket read loads the AWS SDK, and the original tool's names answer --help.
 */

const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  version: string;
};
const ORIGINAL_NAMES = [
  "reduce_all_dandi_raw_s3_logs",
  "bin_all_reduced_s3_logs_by_object_key",
  "map_binned_s3_logs_to_dandisets",
];
/** npm's answers when neither the registry nor its cache can give a dependency. */
const OFFLINE = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|ENOTCACHED)\b/;

/**
 * The environment of the npm that runs this suite (`npm test` sets npm_package_*, npm_lifecycle_*
 * and the parent's prefixes), less what would make the inner npm act on this repository, or the
 * installed commands read this repository's version.
 */
function cleanEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_|^npm_config_(prefix|global_prefix|local_prefix)$/i.test(name)) continue;
    if (name.startsWith("DANDI_") || name === "SOURCE_DATE_EPOCH") continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

function npm(args: string[], cwd: string) {
  return spawnSync("npm", args, { cwd, env: cleanEnvironment(), encoding: "utf8" });
}

/** npm 11.16 and later note install scripts that package.json's allowScripts does not cover. */
function npmKnowsAllowScripts(): boolean {
  const [major, minor] = npm(["--version"], ROOT).stdout.trim().split(".").map(Number);
  return major > 11 || (major === 11 && minor >= 16);
}

describe("the package, installed from its tarball", () => {
  const scratch = tempFolder("package");
  const prefix = path.join(scratch, "prefix");
  const home = path.join(scratch, "settings");
  const bin = (name: string) => path.join(prefix, "bin", name);
  let installed: { ok: true } | { ok: false; why: string } = { ok: false, why: "not installed" };

  before(() => {
    // The suite has just built dist/; `prepare` would build it again.
    const packed = npm(["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], ROOT);
    assert.equal(packed.status, 0, packed.stderr);
    const [{ filename }] = JSON.parse(packed.stdout) as { filename: string }[];
    const tarball = path.join(scratch, filename);
    const args = ["install", "--global", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund"];
    // A tarball's `prepare` never runs at install (it builds dist/ in a clone), but npm 11 still
    // lists it as an install script to approve; a registry install does not. Approved here by the
    // tarball's path, as npm asks, so that any other script of a dependency still shows.
    if (npmKnowsAllowScripts()) args.push(`--allow-scripts=file:${tarball}`);
    const install = npm([...args, tarball], scratch);
    if (install.status !== 0 && OFFLINE.test(install.stderr) && !process.env.CI) {
      installed = {
        ok: false,
        why: `npm could not reach the registry or its cache: ${install.stderr.trim()}`,
      };
      return;
    }
    assert.equal(install.status, 0, install.stderr);
    assert.doesNotMatch(install.stderr, /npm warn/i, "the install prints a warning");
    installed = { ok: true };
  });

  const run = (name: string, args: string[], env: Record<string, string> = {}) =>
    spawnSync(bin(name), args, {
      cwd: scratch,
      env: cleanEnvironment({ DANDI_S3_LOG_PARSER_HOME: home, ...env }),
      encoding: "utf8",
    });

  test("dandi-s3-log-parser demo draws the report from the bundled samples", (t) => {
    if (!installed.ok) return t.skip(installed.why);
    const shown = run("dandi-s3-log-parser", ["--version"]);
    assert.equal(shown.stdout.trim(), version, shown.stderr);
    const work = path.join(scratch, "work");
    const demo = run("dandi-s3-log-parser", ["demo", "--work_folder", work, "--quiet"]);
    assert.equal(demo.status, 0, demo.stderr);
    const index = path.join(work, "report", "index.html");
    assert.ok(demo.stdout.includes(`The demo report: ${index}`), demo.stdout);
    assert.match(fs.readFileSync(index, "utf8"), /<svg/);
    assert.ok(fs.readdirSync(path.join(work, "report", "dandisets")).length >= 5);
    assert.ok(fs.existsSync(path.join(work, "summaries", "archive_totals.json")));
  });

  describe("a bucket read, which loads the AWS SDK from the installed dependencies", () => {
    const server = new S3StandIn();
    after(() => server.stop());

    test("reduces the samples' lines from a local S3 stand-in as from the day files", async (t) => {
      if (!installed.ok) return t.skip(installed.why);
      const samples = path.join(prefix, "lib", "node_modules", "dandi-s3-log-parser", "samples", "raw");
      const fromDays = path.join(scratch, "reduced-from-days");
      const reduced = run("dandi-s3-log-parser", [
        "reduce",
        "--raw_s3_logs_folder_path",
        samples,
        "--reduced_s3_logs_folder_path",
        fromDays,
        "--quiet",
      ]);
      assert.equal(reduced.status, 0, reduced.stderr);
      for (const object of cutIntoLogObjects(samples, "simple", "logs/"))
        server.put("logging", object.key, object.body);
      const env = await server.startForClients(path.join(scratch, "no-aws-files"));
      const fromBucket = path.join(scratch, "reduced-from-bucket");
      const child = spawn(
        bin("dandi-s3-log-parser"),
        [
          "reduce",
          "--raw_s3_logs_folder_path",
          "s3://logging/logs/",
          "--reduced_s3_logs_folder_path",
          fromBucket,
          "--quiet",
        ],
        { cwd: scratch, env: cleanEnvironment({ DANDI_S3_LOG_PARSER_HOME: home, ...env }) },
      );
      let stderr = "";
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      // The stand-in answers from this process: wait without blocking it.
      const [code] = (await once(child, "close")) as [number | null];
      assert.equal(code, 0, stderr);
      assert.ok(server.served.get > 0);
      const days = (folder: string) =>
        new Map([...readTree(folder)].filter(([name]) => /^\d{4}\//.test(name)));
      assert.equal(days(fromBucket).size, 28);
      assert.deepEqual(days(fromBucket), days(fromDays));
    });
  });

  test("the original tool's three names answer --help", (t) => {
    if (!installed.ok) return t.skip(installed.why);
    for (const name of ORIGINAL_NAMES) {
      const help = run(name, ["--help"]);
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`^Usage: ${name} \\[options\\]`), name);
      assert.match(help.stdout, /--maximum_buffer_size_in_mb|--binned_s3_logs_folder_path/, name);
    }
  });
});
