import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { generateCatalog } from "../src/generate/catalog.ts";
import { parseIpv6 } from "../src/geo/ip-address.ts";
import { generateRawLogs } from "../src/index.ts";
import {
  binnedData,
  isRunning,
  readTree,
  runArgs,
  runCli,
  startCli,
  tempFolder,
  waitUntil,
} from "./helpers.ts";

// The keys of these tests: strong enough to pass the check, and told apart by their key checks.
const KEY = "run-Test-key-0123456789-abcdef";
const OTHER_KEY = "other-Test-key-0123456789-abcdef";
const ADDRESS_CHARACTER = /[0-9A-Fa-f.:]/;

/** Every IPv4 and IPv6 address written anywhere in the raw logs, in any field. */
function addressesIn(raw: string): Set<string> {
  const found = new Set<string>();
  for (const [file, text] of readTree(raw)) {
    if (!file.endsWith(".log")) continue;
    for (const match of text.matchAll(/(?:\d{1,3}\.){3}\d{1,3}/g)) found.add(match[0]);
    for (const match of text.matchAll(/[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/g))
      if (parseIpv6(match[0]) !== null) found.add(match[0]);
  }
  return found;
}

/** The files under `folder` that hold one of `addresses` as a whole word, with the address. */
function filesHolding(folder: string, addresses: Set<string>): string[] {
  const hits: string[] = [];
  for (const [file, text] of readTree(folder)) {
    for (const address of addresses) {
      for (let at = text.indexOf(address); at !== -1; at = text.indexOf(address, at + 1)) {
        const before = text[at - 1] ?? " ";
        const after = text[at + address.length] ?? " ";
        if (!ADDRESS_CHARACTER.test(before) && !ADDRESS_CHARACTER.test(after)) {
          hits.push(`${file}: ${address}`);
          break;
        }
      }
    }
  }
  return hits;
}

/** What must not depend on the key: reduced and binned need not, being tokens; the published tables must. */
function publishedTables(work: string): Map<string, string> {
  return new Map(
    [...readTree(path.join(work, "mapped"))].filter(([file]) => !file.startsWith(".map_state/")),
  );
}

/** Every table of a work folder but the steps' bookkeeping of how the days came (as in run-incremental). */
function tables(work: string): Map<string, string> {
  const all = new Map<string, string>();
  for (const [file, text] of readTree(path.join(work, "reduced"))) all.set(`reduced/${file}`, text);
  for (const [file, text] of binnedData(path.join(work, "binned"))) all.set(`binned/${file}`, text);
  for (const [file, text] of publishedTables(work)) all.set(`mapped/${file}`, text);
  return all;
}

/**
 * The exact number of requesters per Dandiset and for the archive: map keeps one 8-byte hash per
 * requester, under a key of the folder's own, so the sizes compare across folders where the hashes do not.
 */
function requesterCounts(work: string): Map<string, number> {
  const folder = path.join(work, "mapped", ".map_state", "requesters");
  return new Map(fs.readdirSync(folder).map((name) => [name, fs.statSync(path.join(folder, name)).size]));
}

describe("IP addresses encrypted at rest", () => {
  const raw = tempFolder("raw");
  const generated = generateRawLogs(raw, {
    seed: 14,
    days: 3,
    startDate: "2024-05-01",
    bytesPerDay: 400_000,
    damageRate: 0.03,
    blobCount: 300,
    zarrCount: 10,
  });
  const catalog = path.join(tempFolder("catalog"), "catalog.json");
  fs.writeFileSync(catalog, JSON.stringify(generateCatalog(generated.assets, { seed: 14, dandisets: 6 })));
  // The first two days alone, for a folder kept in clear before the key came.
  const firstDays = tempFolder("first-days");
  for (const day of ["01", "02"]) {
    fs.mkdirSync(path.join(firstDays, "2024", "05"), { recursive: true });
    fs.copyFileSync(
      path.join(raw, "2024", "05", `${day}.log`),
      path.join(firstDays, "2024", "05", `${day}.log`),
    );
  }
  const keyFile = path.join(tempFolder("key"), "ip.key");
  fs.writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });

  const run = (rawFolder: string, work: string, env: Record<string, string> = {}, ...flags: string[]) =>
    runCli(
      "main",
      [...runArgs(rawFolder, work), "--catalog", catalog, "--no-report", "--quiet", ...flags],
      env,
    );

  const clearHome = tempFolder("clear-home");
  const clear = path.join(tempFolder("clear"), "work");
  const clearRun = run(raw, clear, { DANDI_S3_LOG_PARSER_HOME: clearHome });
  const keyedHome = tempFolder("keyed-home");
  const keyed = path.join(tempFolder("keyed"), "work");
  const keyedRun = run(raw, keyed, { DANDI_S3_LOG_PARSER_HOME: keyedHome, DANDI_S3_LOG_PARSER_IP_KEY: KEY });
  const addresses = addressesIn(raw);

  test("with a key, no address of the input is in any file of the work folder or the settings folder", () => {
    assert.equal(keyedRun.code, 0, keyedRun.stderr);
    assert.ok(addresses.size > 100, `${addresses.size} addresses in the input`);
    assert.ok(
      [...addresses].some((a) => a.includes(":")),
      "IPv6 addresses among them",
    );
    // The check finds addresses where they are: in the folders of a run without a key.
    assert.ok(filesHolding(path.join(clear, "reduced"), addresses).length > 0);
    assert.ok(
      fs.readdirSync(path.join(keyedHome, "errors")).length > 0,
      "damaged lines went to an error log",
    );
    assert.deepEqual(filesHolding(keyed, addresses), []);
    assert.deepEqual(filesHolding(keyedHome, addresses), []);
    const record = JSON.parse(fs.readFileSync(path.join(keyed, "binned", ".ip_addresses.json"), "utf8"));
    assert.equal(record.mode, "keyed");
    assert.equal(record.keyDerivation.function, "pbkdf2-hmac-sha256");
  });

  test("the mapped tables and summaries are byte for byte those of a run without a key", () => {
    assert.equal(clearRun.code, 0, clearRun.stderr);
    const expected = publishedTables(clear);
    assert.ok([...expected.keys()].some((file) => file.endsWith("summary_by_region.tsv")));
    assert.deepEqual(publishedTables(keyed), expected);
    // Without a key nothing is added to the folders: they stay as the original tool's formats have them.
    assert.ok(!fs.existsSync(path.join(clear, "reduced", ".ip_addresses.json")));
    assert.ok(!fs.existsSync(path.join(clear, "binned", ".ip_addresses.json")));
  });

  test("run warns once without a key; a key, or --no-ip_key_warning, silences it", () => {
    const warnings = (stderr: string) =>
      stderr.split("\n").filter((line) => line.startsWith("warning: no IP key"));
    assert.equal(warnings(clearRun.stderr).length, 1, clearRun.stderr);
    assert.equal(warnings(keyedRun.stderr).length, 0);
    const again = run(raw, clear, {}, "--no-ip_key_warning");
    assert.equal(again.code, 0, again.stderr);
    assert.equal(warnings(again.stderr).length, 0);
  });

  test("rekey of a folder kept in clear, then a run, equals a run with the key from the start", () => {
    const work = path.join(tempFolder("rekeyed"), "work");
    assert.equal(run(firstDays, work).code, 0);
    const rekey = runCli("main", ["rekey", "--work_folder", work, "--ip_key_file", keyFile, "--quiet"]);
    assert.equal(rekey.code, 0, rekey.stderr);
    assert.match(rekey.stdout, /was addresses in clear/);
    assert.deepEqual(filesHolding(work, addresses), []);
    const after = run(raw, work, { DANDI_S3_LOG_PARSER_IP_KEY: KEY });
    assert.equal(after.code, 0, after.stderr);
    assert.deepEqual(tables(work), tables(keyed));
    assert.deepEqual(requesterCounts(work), requesterCounts(keyed));
  });

  test("a change of key, then a run, equals a run with the new key from the start, requesters counted once", () => {
    const work = path.join(tempFolder("new-key"), "work");
    assert.equal(run(firstDays, work, { DANDI_S3_LOG_PARSER_IP_KEY: KEY }).code, 0);
    const rekey = runCli("main", ["rekey", "--work_folder", work, "--old_ip_key_file", keyFile, "--quiet"], {
      DANDI_S3_LOG_PARSER_IP_KEY: OTHER_KEY,
    });
    assert.equal(rekey.code, 0, rekey.stderr);
    const fresh = path.join(tempFolder("other-key"), "work");
    assert.equal(run(raw, fresh, { DANDI_S3_LOG_PARSER_IP_KEY: OTHER_KEY }).code, 0);
    const after = run(raw, work, { DANDI_S3_LOG_PARSER_IP_KEY: OTHER_KEY });
    assert.equal(after.code, 0, after.stderr);
    assert.deepEqual(tables(work), tables(fresh));
    // Day 3's requesters are mostly those of days 1 and 2, now under another token: still one each.
    assert.deepEqual(requesterCounts(work), requesterCounts(fresh));
  });

  test("rekey killed at three moments, then run again: the same tables as a key from the start", async () => {
    const kept = path.join(tempFolder("clear-two-days"), "work");
    assert.equal(run(firstDays, kept).code, 0);
    const names = (folder: string) =>
      fs.existsSync(folder)
        ? fs.readdirSync(folder, { recursive: true }).map((n) => path.basename(String(n)))
        : [];
    const marker = (work: string) => {
      try {
        return fs.readFileSync(path.join(work, "binned", ".ip_rekey.json"), "utf8");
      } catch {
        return "";
      }
    };
    const moments: [string, (work: string) => boolean][] = [
      [
        "once reduced/ has a file's new version",
        (work) => names(path.join(work, "reduced")).some((n) => n.endsWith(".rekeyed")),
      ],
      ["while binned/ is rewritten", (work) => marker(work).includes('"write"')],
      ["while the new versions replace the old", (work) => marker(work).includes('"swap"')],
    ];
    let landed = 0;
    for (const [moment, reached] of moments) {
      const work = path.join(tempFolder("killed-rekey"), "work");
      fs.cpSync(kept, work, { recursive: true });
      const args = ["rekey", "--work_folder", work, "--ip_key_file", keyFile, "--quiet"];
      const child = startCli("main", args);
      const closed = once(child, "close");
      try {
        await waitUntil(child, () => reached(work), moment);
      } catch {
        // The moment passed between two looks (the swap takes milliseconds): the run finished.
      }
      if (isRunning(child)) landed++;
      child.kill("SIGKILL");
      await closed;
      if (fs.existsSync(path.join(work, "binned", ".ip_rekey.json"))) {
        const refused = run(raw, work, { DANDI_S3_LOG_PARSER_IP_KEY: KEY });
        assert.equal(refused.code, 2, `a run before rekey finishes is refused (${moment})`);
        assert.match(refused.stderr, /run the same rekey command again/);
      }
      const rerun = runCli("main", args);
      assert.equal(rerun.code, 0, rerun.stderr);
      const after = run(raw, work, { DANDI_S3_LOG_PARSER_IP_KEY: KEY });
      assert.equal(after.code, 0, after.stderr);
      assert.deepEqual(tables(work), tables(keyed), `killed ${moment}`);
    }
    assert.ok(landed >= 2, `only ${landed} of the kills landed mid-run`);
  });

  test("a wrong or missing key is refused before anything is read or written, so no region is wrong", () => {
    const before = readTree(keyed);
    const wrong = runCli(
      "main",
      [
        "map",
        "--binned_s3_logs_folder_path",
        path.join(keyed, "binned"),
        "--mapped_s3_logs_folder_path",
        path.join(keyed, "mapped"),
        "--catalog",
        catalog,
        "--rebuild",
        "--quiet",
      ],
      { DANDI_S3_LOG_PARSER_IP_KEY: OTHER_KEY },
    );
    assert.equal(wrong.code, 2);
    assert.match(
      wrong.stderr,
      /holds encrypted addresses \(key check [0-9a-f]{16}\), and the IP key given is another/,
    );
    const missing = run(raw, keyed);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no IP key was given/);
    const weak = run(raw, keyed, { DANDI_S3_LOG_PARSER_IP_KEY: "secret" });
    assert.equal(weak.code, 2);
    assert.match(weak.stderr, /too weak: .*a good key is a random secret/);
    assert.deepEqual(readTree(keyed), before, "the refused runs changed nothing");
  });

  test("a folder never mixes addresses in clear and tokens: each step refuses the other kind", () => {
    const work = path.join(tempFolder("mixed"), "work");
    fs.cpSync(clear, work, { recursive: true });
    const keyedReduce = runCli("main", [
      "reduce",
      "--raw_s3_logs_folder_path",
      raw,
      "--reduced_s3_logs_folder_path",
      path.join(work, "reduced"),
      "--ip_key_file",
      keyFile,
      "--quiet",
    ]);
    assert.equal(keyedReduce.code, 2);
    assert.match(keyedReduce.stderr, /holds addresses in clear, and an IP key was given .*must not mix/);
    // Keyed reduced days into a binned folder of clear rows.
    fs.rmSync(path.join(work, "reduced"), { recursive: true });
    fs.cpSync(path.join(keyed, "reduced"), path.join(work, "reduced"), { recursive: true });
    fs.rmSync(path.join(work, "reduced", "2024", "05", "03.tsv"));
    const bin = runCli("main", [
      "bin",
      "--reduced_s3_logs_folder_path",
      path.join(work, "reduced"),
      "--binned_s3_logs_folder_path",
      path.join(work, "binned"),
      "--quiet",
    ]);
    assert.equal(bin.code, 2);
    assert.match(bin.stderr, /binned holds addresses in clear, and .*reduced holds encrypted addresses/);
  });

  test("error logs mask addresses, unless --keep_raw_lines", () => {
    const home = tempFolder("raw-lines-home");
    const reduced = path.join(tempFolder("raw-lines"), "reduced");
    const result = runCli(
      "main",
      [
        "reduce",
        "--raw_s3_logs_folder_path",
        raw,
        "--reduced_s3_logs_folder_path",
        reduced,
        "--keep_raw_lines",
        "--quiet",
      ],
      { DANDI_S3_LOG_PARSER_HOME: home },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      filesHolding(path.join(home, "errors"), addresses).length > 0,
      "raw lines keep their addresses",
    );
    assert.deepEqual(
      filesHolding(path.join(clearHome, "errors"), addresses),
      [],
      "masked by default, key or not",
    );
    assert.match(readTree(path.join(clearHome, "errors")).values().next().value ?? "", /x\.x\.x\.x/);
  });
});
