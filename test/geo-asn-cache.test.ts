import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { test } from "node:test";
import { CloudAsnTable } from "../src/geo/asn-table.ts";
import { parseIp } from "../src/geo/ip-address.ts";
import { packageFileStamp } from "../src/io/package-stamp.ts";
import { tempFolder } from "./helpers.ts";

// These tests make the caches the settings folder keeps: the copies shipped in data/prebuilt/ (which a
// first run reads instead, see prebuilt-caches.test.ts) are left unread.
process.env.DANDI_S3_LOG_PARSER_PREBUILT = "off";

const PROBES = [
  "3.5.140.2",
  "8.8.8.8",
  "20.42.0.1",
  "140.82.112.3",
  "81.2.69.160",
  "2600:1f18::1",
  "2001:db8::1",
];

function lookups(table: CloudAsnTable): (string | null)[] {
  return PROBES.map((address) => table.lookup(parseIp(address)!));
}

test("the cloud ASN table is scanned once, then read from the settings folder's cache; a damaged cache is scanned again", () => {
  const home = tempFolder("asn-cache");
  const previous = process.env.DANDI_S3_LOG_PARSER_HOME;
  process.env.DANDI_S3_LOG_PARSER_HOME = home;
  try {
    const scanned = CloudAsnTable.load();
    const cacheFolder = path.join(home, "cache");
    const [file] = fs.readdirSync(cacheFolder);
    assert.match(file, /^cloud-asn-\d+-[0-9A-Za-z.-]+\.json$/);
    const cached = CloudAsnTable.load();
    assert.equal(cached.rangeCount, scanned.rangeCount);
    assert.deepEqual(lookups(cached), lookups(scanned));
    assert.ok(lookups(scanned).includes("AWS") && lookups(scanned).includes("GCP"));
    fs.writeFileSync(path.join(cacheFolder, file), "{ damaged");
    const rescanned = CloudAsnTable.load();
    assert.deepEqual(lookups(rescanned), lookups(scanned));
    assert.ok(JSON.parse(fs.readFileSync(path.join(cacheFolder, file), "utf8")).v4.starts.length > 0);
  } finally {
    process.env.DANDI_S3_LOG_PARSER_HOME = previous;
  }
});

/** A copy of the ASN package's files, as a fresh install (`npm ci`) writes them: same bytes, new times. */
function reinstalled(root: string): { v4: string; v6: string; folder: string } {
  const source = path.dirname(createRequire(import.meta.url).resolve("@ip-location-db/asn/asn-ipv4.csv"));
  const folder = path.join(root, "node_modules", "@ip-location-db", "asn");
  fs.mkdirSync(folder, { recursive: true });
  for (const name of ["package.json", "asn-ipv4.csv", "asn-ipv6.csv"]) {
    fs.copyFileSync(path.join(source, name), path.join(folder, name));
    const later = new Date(Date.now() + 86_400_000);
    fs.utimesSync(path.join(folder, name), later, later);
  }
  return { v4: path.join(folder, "asn-ipv4.csv"), v6: path.join(folder, "asn-ipv6.csv"), folder };
}

test("caches are named by content: a fresh install of the same package reuses them, another content does not", () => {
  const home = tempFolder("asn-reinstall");
  const previous = process.env.DANDI_S3_LOG_PARSER_HOME;
  process.env.DANDI_S3_LOG_PARSER_HOME = home;
  try {
    CloudAsnTable.load();
    const cacheFolder = path.join(home, "cache");
    const before = fs.readdirSync(cacheFolder);
    const copy = reinstalled(tempFolder("asn-copy"));
    const table = CloudAsnTable.load(copy.v4, copy.v6);
    assert.deepEqual(fs.readdirSync(cacheFolder), before, "the same bytes with new times made a new cache");
    assert.ok(lookups(table).includes("AWS"));
    // Another version, or other bytes at the end of a file: another name.
    const stamp = packageFileStamp(copy.v4);
    assert.notEqual(stamp, null);
    const manifest = path.join(copy.folder, "package.json");
    const json = JSON.parse(fs.readFileSync(manifest, "utf8"));
    fs.writeFileSync(manifest, JSON.stringify({ ...json, version: `${json.version}9` }));
    assert.notEqual(packageFileStamp(copy.v4), stamp);
    fs.writeFileSync(manifest, JSON.stringify(json));
    assert.equal(packageFileStamp(copy.v4), stamp);
    fs.appendFileSync(copy.v4, "0.0.0.0,0.0.0.0,0,x\n");
    assert.notEqual(packageFileStamp(copy.v4), stamp);
  } finally {
    process.env.DANDI_S3_LOG_PARSER_HOME = previous;
  }
});
