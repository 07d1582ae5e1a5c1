import "./helpers.ts";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mapBinnedTable } from "../src/map/map-binned-table.ts";
import { ROW_KIND } from "../src/map/row-kinds.ts";
import { assetTypeOf } from "../src/summaries/asset-types.ts";
import { decideRegionTable } from "../src/summaries/region-disclosure.ts";

const HEADER = "timestamp\tbytes_sent\tip_address\tstatus\n";
const regionOf = (address: string) => `R/${address}`;

/** Maps rows `[timestamp, ip, status]` of one object and returns each row's kind letter, in time order. */
function kindsOf(rows: [string, string, number][]): string {
  const input = Buffer.from(HEADER + rows.map(([t, ip, s]) => `${t}\t10\t${ip}\t${s}\n`).join(""));
  return mapBinnedTable(input, regionOf).kinds.toString("latin1");
}

describe("views: runs of 206 answers from one address to one object, no gap over 8 hours", () => {
  test("a gap of exactly 8 hours continues a view; one second more begins another", () => {
    assert.equal(
      kindsOf([
        ["2024-01-01T00:00:00", "a", 206],
        ["2024-01-01T08:00:00", "a", 206],
        ["2024-01-01T16:00:01", "a", 206],
      ]),
      "vpv",
    );
  });

  test("a view that crosses midnight is one view, counted on the day it began", () => {
    const input = Buffer.from(
      `${HEADER}2024-01-01T23:50:00\t5\ta\t206\n2024-01-02T00:10:00\t5\ta\t206\n2024-01-02T07:00:00\t5\ta\t206\n`,
    );
    const mapped = mapBinnedTable(input, regionOf);
    assert.equal(mapped.kinds.toString(), "vpp");
    assert.deepEqual(Object.fromEntries(mapped.byDay.views), { "2024-01-01": 1, "2024-01-02": 0 });
    assert.deepEqual(Object.fromEntries(mapped.byRegion.views), { "R/a": 1 });
    assert.equal(mapped.views, 1);
  });

  test("addresses have views of their own; 200 answers are downloads and neither begin nor end a view", () => {
    assert.equal(
      kindsOf([
        ["2024-01-01T00:00:00", "a", 206],
        ["2024-01-01T00:00:01", "b", 206],
        ["2024-01-01T01:00:00", "a", 200],
        ["2024-01-01T02:00:00", "a", 206],
        ["2024-01-01T03:00:00", "b", 204],
        ["2024-01-01T12:00:00", "b", 206],
      ]),
      "vvdprv",
    );
  });

  test("one IPv6 address written in two cases is one view (its standard form), rows out of order are sorted first", () => {
    const input = Buffer.from(
      `${HEADER}2024-01-01T05:00:00\t1\t2003:E0::1\t206\n2024-01-01T00:00:00\t1\t2003:e0::1\t206\n`,
    );
    const mapped = mapBinnedTable(input, regionOf);
    // mapBinnedTable knows no address reader: columns are requesters as written. Map's own reader
    // gives the standard form (see map-binned.ts); here two spellings are two requesters.
    assert.equal(mapped.kinds.toString(), "vv");
    assert.equal(mapped.table.toString().split("\n")[1].split("\t")[1], "2024-01-01T00:00:00");
  });

  test("rows without a status (an earlier version's binned files) are requests, neither downloads nor views", () => {
    const input = Buffer.from("timestamp\tbytes_sent\tip_address\n2024-01-01T00:00:00\t1\ta\n");
    const mapped = mapBinnedTable(input, regionOf);
    assert.equal(mapped.kinds.toString(), "r");
    assert.equal(mapped.rows, 1);
    assert.equal(mapped.downloads + mapped.views, 0);
  });

  test("a damaged status is a malformed row, reported with its line", () => {
    const bad: [number, string][] = [];
    const input = Buffer.from(`${HEADER}2024-01-01T00:00:00\t1\ta\t2x6\n2024-01-01T00:00:01\t1\ta\t206\n`);
    const mapped = mapBinnedTable(input, regionOf, (line, reason) => bad.push([line, reason]));
    assert.deepEqual(bad, [[2, "the status is not a three-digit HTTP status"]]);
    assert.equal(mapped.kinds[0], ROW_KIND.view);
  });
});

describe("asset types, as DANDI tells them from a path's suffixes", () => {
  const cases: [string, string][] = [
    ["sub-01/sub-01_ecephys.nwb", "Neurophysiology"],
    ["sub-01/ses-1.5_ecephys.NWB", "Neurophysiology"],
    ["sub-01/x.nwb.zarr", "Neurophysiology"],
    ["sub-01/anat/sub-01_T1w.nii.gz", "Microscopy"],
    ["micr/sample.ome.zarr", "Microscopy"],
    ["micr/sample.zarr", "Microscopy"],
    ["micr/sample.ome.tif", "Microscopy"],
    ["micr/sample.v1.zarr", "Miscellaneous"],
    ["behavior/video.mp4", "Video"],
    ["dataset_description.json", "Miscellaneous"],
    ["README", "Miscellaneous"],
    [".zattrs", "Miscellaneous"],
    ["undetermined", "Miscellaneous"],
  ];
  for (const [assetPath, type] of cases)
    test(`${assetPath} is ${type}`, () => assert.equal(assetTypeOf(assetPath), type));
});

describe("a by_region.tsv is disclosed once more than the threshold of resolved regions show, and changes", () => {
  const header = "region\tbytes_sent\tnumber_of_requests\tnumber_of_downloads\tnumber_of_views\n";
  const table = (rows: [string, number][]) => header + rows.map(([r, b]) => `${r}\t${b}\t1\t0\t0\n`).join("");
  const places = (n: number, bytes = 1) =>
    Array.from({ length: n }, (_, i): [string, number] => [`USA/S${i}`, bytes]);

  test("first published with more than 5 resolved regions; bare countries, clouds without region and unknown do not count", () => {
    const five = table([...places(5), ["USA", 9], ["unknown", 9], ["GitHub", 9], ["bogon", 9]]);
    assert.deepEqual(decideRegionTable(five, null, 5), { write: false, published: [] });
    const six = table([...places(5), ["AWS/us-east-1", 3]]);
    assert.equal(decideRegionTable(six, null, 5).write, true);
    assert.equal(decideRegionTable(six, null, 5).published.length, 6);
  });

  test("replaced only when more than 5 resolved regions changed; the totals then count the published table", () => {
    const before = table([...places(8), ["unknown", 1]]);
    const fewChanges = table([...places(5, 2), ...places(8).slice(5), ["unknown", 7]]);
    const decision = decideRegionTable(fewChanges, before, 5);
    assert.equal(decision.write, false);
    assert.equal(decision.published.length, 9, "the published table stays, with its 9 rows");
    assert.equal(decideRegionTable(table([...places(6, 2), ...places(8).slice(6)]), before, 5).write, true);
  });

  test("an earlier version's table (<50, three columns) compares as the page reads it", () => {
    const old = `region\tbytes_sent\tnumber_of_requests\tnumber_of_downloads\n${places(6)
      .map(([r]) => `${r}\t1\t<50\t<50\n`)
      .join("")}`;
    assert.equal(
      decideRegionTable(table(places(6)), old, 5).write,
      true,
      "1 request differs from <50, read as 0",
    );
    const same =
      header +
      places(6)
        .map(([r]) => `${r}\t1\t0\t0\t0\n`)
        .join("");
    assert.equal(decideRegionTable(same, old, 5).write, false);
  });

  test("with a threshold of 0 every change is published, so incremental runs equal one run", () => {
    const before = table([...places(3), ["unknown", 1]]);
    assert.equal(decideRegionTable(table([...places(3), ["unknown", 2]]), before, 0).write, true);
    assert.equal(decideRegionTable(before, before, 0).write, false);
    assert.equal(
      decideRegionTable(table([["unknown", 1]]), null, 0).write,
      false,
      "no resolved region: none to disclose",
    );
  });
});
