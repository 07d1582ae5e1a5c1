import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { CloudAsnTable } from "../src/geo/asn-table.ts";
import { parseIp } from "../src/geo/ip-address.ts";
import { tempFolder } from "./helpers.ts";

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
    assert.match(file, /^cloud-asn-\d+-[0-9a-z-]+\.json$/);
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
