import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { countAssetFile } from "../src/report/count-asset-file.ts";
import { bucketByTime } from "../src/report/time-buckets.ts";
import { byteScaleFor, formatBytes, formatShare } from "../src/report/units.ts";
import { tempFolder } from "./helpers.ts";

describe("counting the rows of a mapped asset file", () => {
  const rows = (n: number) =>
    Array.from(
      { length: n },
      (_, i) =>
        `${i}\t2022-0${1 + (i % 3)}-1${i % 10}T00:00:0${i % 10}\t${i}\t${i % 2 ? "DE" : "BR/São Paulo"}`,
    );
  const cases: [string, (lines: string[]) => string, number][] = [
    ["LF line ends", (lines) => `${lines.join("\n")}\n`, 5],
    ["CRLF line ends", (lines) => `${lines.join("\r\n")}\r\n`, 5],
    ["no newline after the last row", (lines) => lines.join("\n"), 5],
    ["only the header", (lines) => `${lines[0]}\n`, 0],
    ["an empty file", () => "", 0],
    ["rows across many 1 MiB read chunks", (lines) => `${lines.join("\n")}\n`, 60_000],
  ];
  for (const [name, write, n] of cases) {
    test(name, () => {
      const file = path.join(tempFolder("report-count"), "a_nwb.tsv");
      const lines = ["\ttimestamp\tbytes_sent\tregion", ...rows(n)];
      fs.writeFileSync(file, write(lines));
      const counts = countAssetFile(file);
      assert.equal(counts.requests, n);
      const byDay = new Map<string, number>();
      const byRegion = new Map<string, number>();
      for (const row of rows(n)) {
        const [, timestamp, , region] = row.split("\t");
        byDay.set(timestamp.slice(0, 10), (byDay.get(timestamp.slice(0, 10)) ?? 0) + 1);
        byRegion.set(region, (byRegion.get(region) ?? 0) + 1);
      }
      assert.deepEqual(counts.byDay, byDay);
      assert.deepEqual(counts.byRegion, byRegion);
    });
  }
});

describe("time buckets", () => {
  const day = (key: string, bytes = 1) => ({ key, bytes, requests: 1 });
  test("days stay days over four months or less", () => {
    const series = bucketByTime([day("2022-01-03"), day("2022-01-01"), day("2022-04-30")]);
    assert.equal(series.granularity, "day");
    assert.deepEqual(
      series.buckets.map((b) => new Date(b.start).toISOString().slice(0, 10)),
      ["2022-01-01", "2022-01-03", "2022-04-30"],
    );
  });
  test("weeks start on Monday and sum their days", () => {
    // 2022-01-02 is a Sunday, 2022-01-03 a Monday.
    const series = bucketByTime([
      day("2022-01-02", 5),
      day("2022-01-03", 7),
      day("2022-01-09", 11),
      day("2022-12-31"),
    ]);
    assert.equal(series.granularity, "week");
    assert.deepEqual(
      series.buckets.slice(0, 2).map((b) => [new Date(b.start).toISOString().slice(0, 10), b.bytes]),
      [
        ["2021-12-27", 5],
        ["2022-01-03", 18],
      ],
    );
    assert.equal(series.buckets[1].end - series.buckets[1].start, 7 * 86_400_000);
  });
  test("months past three years", () => {
    const series = bucketByTime([
      day("2020-01-31", 2),
      day("2020-01-01", 3),
      day("2023-06-15"),
      { key: "2023-06-01", bytes: 1, requests: null },
    ]);
    assert.equal(series.granularity, "month");
    assert.deepEqual(
      series.buckets.map((b) => [
        new Date(b.start).toISOString().slice(0, 10),
        new Date(b.end).toISOString().slice(0, 10),
        b.bytes,
        b.requests,
      ]),
      [
        ["2020-01-01", "2020-02-01", 5, 2],
        ["2023-06-01", "2023-07-01", 2, null],
      ],
    );
  });
});

describe("units", () => {
  test("bytes in powers of 1000", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(999), "999 B");
    assert.equal(formatBytes(1531367), "1.53 MB");
    assert.equal(formatBytes(44_967_751_969_822), "45.0 TB");
    assert.deepEqual(byteScaleFor(999_999), { unit: "kB", divisor: 1000 });
    assert.deepEqual(byteScaleFor(2e15), { unit: "PB", divisor: 1e15 });
  });
  test("shares", () => {
    assert.equal(formatShare(1, 3), "33%");
    assert.equal(formatShare(1, 2000), "<0.1%");
    assert.equal(formatShare(0, 0), "–");
  });
});
