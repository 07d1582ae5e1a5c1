import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { RunError } from "../src/errors.ts";
import { ProviderRanges } from "../src/geo/provider-ranges.ts";
import { bundledRangesFolder, chooseRangeFiles, readSources } from "../src/geo/range-files.ts";
import { RegionResolver } from "../src/geo/region-resolver.ts";
import { tempFolder } from "./helpers.ts";

const HOME = process.env.DANDI_S3_LOG_PARSER_HOME;
after(() => {
  process.env.DANDI_S3_LOG_PARSER_HOME = HOME;
});

/** A settings folder of its own, so that each test sees only the copies it writes. */
function freshHome(label: string): string {
  const home = tempFolder(label);
  process.env.DANDI_S3_LOG_PARSER_HOME = home;
  return home;
}

function awsFile(createDate: string, region: string): string {
  return JSON.stringify({
    syncToken: "1",
    createDate,
    prefixes: [{ ip_prefix: "3.80.0.0/12", region, service: "EC2", network_border_group: region }],
    ipv6_prefixes: [],
  });
}

function writeCopy(home: string, name: string, text: string, sources: Record<string, unknown> = {}): void {
  const folder = path.join(home, "ip-ranges");
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, name), text);
  fs.writeFileSync(path.join(folder, "sources.json"), JSON.stringify(sources));
}

describe("the providers' range files by default", () => {
  test("the bundled snapshot is dated, and says where each file came from", () => {
    freshHome("ranges-bundled");
    const chosen = chooseRangeFiles();
    assert.deepEqual(
      chosen.map((file) => [file.provider, path.basename(file.file), file.origin]),
      [
        ["AWS", "ip-ranges.json", "bundled"],
        ["GCP", "cloud.json", "bundled"],
        ["GitHub", "meta.json", "bundled"],
      ],
    );
    assert.deepEqual(
      chosen.map((file) => new Date(file.date).toISOString()),
      ["2026-08-22T15:17:05.000Z", "2026-05-05T19:04:08.194Z", "2025-07-25T07:30:34.000Z"],
    );
    const sources = readSources(bundledRangesFolder());
    for (const provider of ["AWS", "GCP", "GitHub"] as const) {
      assert.match(sources[provider]?.url ?? "", /^https:\/\//);
      assert.match(sources[provider]?.via ?? "", /^https:\/\/github\.com\/.+\/blob\/[0-9a-f]{40}\//);
    }
  });

  test("a refreshed copy newer than the snapshot is used, an older one is not", () => {
    const home = freshHome("ranges-newer");
    writeCopy(home, "ip-ranges.json", awsFile("2099-01-01-00-00-00", "us-test-1"));
    assert.equal(new RegionResolver().regionOf("3.80.1.1"), "AWS/us-test-1");
    // Other providers still come from the snapshot.
    assert.equal(new RegionResolver().regionOf("104.155.168.90"), "GCP/us-central1");

    writeCopy(home, "ip-ranges.json", awsFile("2001-01-01-00-00-00", "us-test-1"));
    assert.equal(new RegionResolver().regionOf("3.80.1.1"), "AWS/us-east-1");
  });

  test("GitHub's meta, which has no date, is as new as sources.json says it was taken", () => {
    const home = freshHome("ranges-github");
    const meta = JSON.stringify({ hooks: ["3.80.0.0/12"], actions: [] });
    writeCopy(home, "meta.json", meta, {
      GitHub: { file: "meta.json", url: "http://x/meta", retrieved: "2099-01-01T00:00:00Z" },
    });
    assert.equal(new RegionResolver().regionOf("3.80.1.1"), "GitHub");
    writeCopy(home, "meta.json", meta, {
      GitHub: { file: "meta.json", url: "http://x/meta", retrieved: "2001-01-01T00:00:00Z" },
    });
    assert.equal(new RegionResolver().regionOf("3.80.1.1"), "AWS/us-east-1");
  });

  test("--ip_ranges_folder is read instead of both", () => {
    const home = freshHome("ranges-folder");
    writeCopy(home, "ip-ranges.json", awsFile("2099-01-01-00-00-00", "us-test-1"));
    const folder = tempFolder("ranges-given");
    fs.writeFileSync(path.join(folder, "ip-ranges.json"), awsFile("2000-01-01-00-00-00", "us-given-1"));
    const resolver = RegionResolver.create({ ipRangesFolder: folder });
    assert.equal(resolver.regionOf("3.80.1.1"), "AWS/us-given-1");
    // Nothing else is read: an address of the snapshot's blocks falls to the ASN table.
    assert.equal(resolver.regionOf("18.220.4.80"), "AWS");
    assert.equal(resolver.regionOf("104.155.168.90"), "GCP");
    // The command's own folder can be given too: its sources.json is no range file.
    assert.equal(
      RegionResolver.create({ ipRangesFolder: path.join(home, "ip-ranges") }).regionOf("3.80.1.1"),
      "AWS/us-test-1",
    );
  });

  test("a damaged refreshed copy is an error that says how to get it again", () => {
    const home = freshHome("ranges-damaged");
    writeCopy(home, "ip-ranges.json", `${awsFile("2099-01-01-00-00-00", "us-test-1").slice(0, -3)}`);
    assert.throws(
      () => new RegionResolver().regionOf("3.80.1.1"),
      (error: Error) =>
        error instanceof RunError &&
        /ip-ranges\.json is not valid JSON/.test(error.message) &&
        /update-ip-ranges/.test(error.message),
    );
  });

  test("each file's blocks are parsed once and then read from the cache, named by the file's content", () => {
    const home = freshHome("ranges-cache");
    const folder = tempFolder("ranges-cached");
    const file = path.join(folder, "ip-ranges.json");
    fs.writeFileSync(file, awsFile("2000-01-01-00-00-00", "us-cache-1"));
    assert.equal(ProviderRanges.load(folder).regionOf({ version: 4, value: 0x03500101 }), "AWS/us-cache-1");
    const cacheFolder = path.join(home, "cache");
    const caches = fs.readdirSync(cacheFolder).filter((name) => name.startsWith("ip-ranges-"));
    assert.equal(caches.length, 1);
    // The cache is what is read: a region changed there shows.
    const cache = path.join(cacheFolder, caches[0]);
    fs.writeFileSync(cache, fs.readFileSync(cache, "utf8").replace("us-cache-1", "us-from-cache"));
    assert.equal(
      ProviderRanges.load(folder).regionOf({ version: 4, value: 0x03500101 }),
      "AWS/us-from-cache",
    );
    // A damaged cache is parsed again and replaced.
    fs.writeFileSync(cache, "{");
    assert.equal(ProviderRanges.load(folder).regionOf({ version: 4, value: 0x03500101 }), "AWS/us-cache-1");
    assert.match(fs.readFileSync(cache, "utf8"), /us-cache-1/);
    // Another content is another cache, whatever the file's name and time.
    fs.writeFileSync(file, awsFile("2000-01-01-00-00-00", "us-cache-2"));
    assert.equal(ProviderRanges.load(folder).regionOf({ version: 4, value: 0x03500101 }), "AWS/us-cache-2");
    assert.equal(fs.readdirSync(cacheFolder).filter((name) => name.startsWith("ip-ranges-")).length, 2);
  });

  test("from the cache, the bundled files give the same regions as parsed", () => {
    freshHome("ranges-same");
    const addresses = [
      "3.80.1.1",
      "18.220.4.80",
      "52.94.1.1",
      "54.239.1.1",
      "2600:1f18::1",
      "2600:1f18:8000::1",
      "2a05:d018::1",
      "104.155.168.90",
      "34.102.1.1",
      "2600:1900:4001::1",
      "140.82.112.3",
      "20.42.1.1",
      "8.8.8.8",
      "2001:4860::1",
    ];
    const parsed = new RegionResolver();
    const first = addresses.map((address) => parsed.regionOf(address));
    const cached = new RegionResolver();
    assert.deepEqual(
      addresses.map((address) => cached.regionOf(address)),
      first,
    );
    assert.deepEqual(first.slice(0, 5), [
      "AWS/us-east-1",
      "AWS/us-east-2",
      "AWS/us-east-1",
      "AWS/ca-central-1",
      "AWS/us-east-1",
    ]);
  });
});
