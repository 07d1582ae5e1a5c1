import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import { FIXTURES, readTree, tempFolder } from "./helpers.ts";

const EXAMPLE = path.join(FIXTURES, "mapping", "mapped_to_dandisets_example_0");
const BINNED = path.join(EXAMPLE, "binned_logs");
const CATALOG = path.join(EXAMPLE, "catalog.json");
const EXPECTED = readTree(path.join(EXAMPLE, "expected_output"));

/**
 * The original's files as this tool writes them: its third address, 192.0.2.0, is a documentation
 * address, which the original's service left `unknown` and DANDI's labels now call `bogon`.
 */
function asNowLabelled(content: string): string {
  return content.replace(/\bunknown\b/g, "bogon");
}

/** The ranges the original's paid service knew for the fixture's two cloud addresses. */
function fixtureRangesFolder(): string {
  const folder = tempFolder("fixture-ranges");
  fs.writeFileSync(
    path.join(folder, "ip-ranges.json"),
    JSON.stringify({
      syncToken: "1",
      createDate: "2024-01-01-00-00-00",
      prefixes: [
        {
          ip_prefix: "18.220.0.0/16",
          region: "us-east-2",
          service: "EC2",
          network_border_group: "us-east-2",
        },
      ],
      ipv6_prefixes: [],
    }),
  );
  fs.writeFileSync(
    path.join(folder, "cloud.json"),
    JSON.stringify({
      syncToken: "1",
      creationTime: "2024-01-01T00:00:00",
      prefixes: [{ ipv4Prefix: "104.155.128.0/17", service: "Google Cloud", scope: "us-central1" }],
    }),
  );
  return folder;
}

function binnedAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const [, text] of readTree(BINNED)) {
    for (const line of text.split("\n").slice(1)) if (line !== "") addresses.add(line.split("\t")[2]);
  }
  return addresses;
}

/** Region -> bytes, from the region column of a summary. */
function regionBytes(text: string): number[] {
  return text
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => Number(line.split("\t")[1]))
    .sort((a, b) => a - b);
}

describe("the original's mapping fixture", () => {
  test("with the providers' ranges, every file of the original is reproduced byte for byte", async () => {
    const out = path.join(tempFolder("fixture-map"), "mapped");
    const summary = await mapBinnedS3LogsToDandisets({
      binnedFolder: BINNED,
      mappedFolder: out,
      catalog: CATALOG,
      ipRangesFolder: fixtureRangesFolder(),
    });
    const produced = readTree(out);
    for (const [file, content] of EXPECTED) assert.equal(produced.get(file), asNowLabelled(content), file);
    // Dandiset 000026 was never downloaded: no folder.
    assert.ok(![...produced.keys()].some((file) => file.startsWith("000026")));
    assert.equal(summary.dandisetsMapped, 3);
    assert.equal(summary.versionsMapped, 6);
    assert.equal(summary.assetTables, 9);
    assert.equal(summary.rows, 6);
    assert.deepEqual(summary.failures, []);
  });

  test("offline, with the package's snapshot of the providers' ranges, every file is reproduced too", async () => {
    const out = path.join(tempFolder("fixture-offline"), "mapped");
    await mapBinnedS3LogsToDandisets({ binnedFolder: BINNED, mappedFolder: out, catalog: CATALOG });
    const produced = readTree(out);
    for (const [file, content] of EXPECTED) {
      const got = produced.get(file);
      assert.ok(got !== undefined, `${file} is missing`);
      assert.equal(got, asNowLabelled(content), file);
      if (file.endsWith("_by_region.tsv")) assert.deepEqual(regionBytes(got), regionBytes(content), file);
    }
    assert.equal(
      produced.get("000003/draft/version_summary_by_region.tsv"),
      "region\tbytes_sent\nAWS/us-east-2\t1234\nGCP/us-central1\t512\nbogon\t512\n",
    );
  });

  test("the additional tables and totals", async () => {
    const out = path.join(tempFolder("fixture-extra"), "mapped");
    await mapBinnedS3LogsToDandisets({
      binnedFolder: BINNED,
      mappedFolder: out,
      catalog: CATALOG,
      ipRangesFolder: fixtureRangesFolder(),
    });
    const read = (file: string) => fs.readFileSync(path.join(out, file), "utf8");
    assert.equal(
      read("000003/draft/version_requests_by_day.tsv"),
      "date\trequests\n2022-03-16\t2\n2022-05-04\t1\n",
    );
    assert.equal(
      read("000003/draft/version_requests_by_region.tsv"),
      "region\trequests\nAWS/us-east-2\t1\nGCP/us-central1\t1\nbogon\t1\n",
    );
    assert.equal(
      read("000003/dandiset_requests_by_asset.tsv"),
      "asset_path\trequests\n" +
        "sub-YutaMouse20/sub-YutaMouse20_ses-YutaMouse20-140327_behavior+ecephys.nwb\t2\n" +
        "sub-YutaMouse37/sub-YutaMouse37_ses-YutaMouse37-150610_behavior+ecephys.nwb\t1\n",
    );
    assert.equal(
      read("000013/dandiset_requests_by_day.tsv"),
      "date\trequests\n2021-04-24\t1\n2021-12-31\t1\n",
    );
    assert.deepEqual(JSON.parse(read("000003/totals.json")), {
      dandiset_id: "000003",
      name: null,
      bytes_sent: 2258,
      requests: 3,
      unique_regions: 2,
      unique_countries: 0,
      first_date: "2022-03-16",
      last_date: "2022-05-04",
      versions: 3,
    });
    assert.match(read("000003/totals.json"), /^\{\n {2}"dandiset_id": "000003",\n[\s\S]*\n\}\n$/);
    // Each object counts once archive-wide, though 000003's blobs are in three versions.
    assert.deepEqual(JSON.parse(read("totals.json")), {
      bytes_sent: 1531367,
      requests: 6,
      unique_regions: 2,
      unique_countries: 0,
      dandisets: 3,
      first_date: "2021-04-24",
      last_date: "2023-01-01",
    });
    assert.equal(
      read("archive_summary_by_day.tsv"),
      "date\tbytes_sent\n2021-04-24\t1443\n2021-12-31\t1443\n2022-03-16\t1746\n2022-05-04\t512\n2023-01-01\t1526223\n",
    );
    assert.equal(
      read("archive_summary_by_region.tsv"),
      "region\tbytes_sent\nbogon\t1529621\nAWS/us-east-2\t1234\nGCP/us-central1\t512\n",
    );
    assert.equal(
      read("archive_requests_by_region.tsv"),
      "region\trequests\nbogon\t4\nAWS/us-east-2\t1\nGCP/us-central1\t1\n",
    );
    assert.equal(read("archive_requests_by_day.tsv").split("\n")[0], "date\trequests");
  });

  test("no IP address appears in any output byte", async () => {
    const out = path.join(tempFolder("fixture-ips"), "mapped");
    await mapBinnedS3LogsToDandisets({ binnedFolder: BINNED, mappedFolder: out, catalog: CATALOG });
    const addresses = binnedAddresses();
    assert.equal(addresses.size, 3);
    for (const [file, content] of readTree(out)) {
      for (const address of addresses) assert.ok(!content.includes(address), `${address} in ${file}`);
    }
  });

  test("--object_type restricts to blobs or Zarrs", async () => {
    const out = path.join(tempFolder("fixture-zarr"), "mapped");
    const summary = await mapBinnedS3LogsToDandisets({
      binnedFolder: BINNED,
      mappedFolder: out,
      catalog: CATALOG,
      objectType: "zarr",
    });
    assert.equal(summary.dandisetsMapped, 1);
    assert.deepEqual(
      [...readTree(out).keys()]
        .filter((file) => file.includes("/") && !file.startsWith("."))
        .map((file) => file.split("/")[0]),
      Array(14).fill("000108"),
    );
  });
});
