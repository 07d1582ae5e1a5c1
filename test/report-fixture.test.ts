import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { buildReport } from "../src/report/build-report.ts";
import { FIXTURES, tempFolder } from "./helpers.ts";
import { readReport, rowValues, statValue, svgCharts } from "./report-helpers/read-report.ts";

const EXPECTED_OUTPUT = path.join(FIXTURES, "mapping", "mapped_to_dandisets_example_0", "expected_output");
const GENERATED_AT = new Date("2024-05-06T07:08:09Z");
const YUTA20 = "sub-YutaMouse20/sub-YutaMouse20_ses-YutaMouse20-140327_behavior+ecephys.nwb";
const YUTA37 = "sub-YutaMouse37/sub-YutaMouse37_ses-YutaMouse37-150610_behavior+ecephys.nwb";
const ANM = "sub-anm215592/sub-anm215592_ses-20131015_obj-odx8px_behavior+icephys+ogen.nwb";
const MITU =
  "sub-MITU01/ses-20220317h10m43s39/micr/sub-MITU01_ses-20220317h10m43s39_sample-21_stain-LEC_run-1_chunk-1_SPIM.ome.zarr";

/** Figures of the fixture, read off its tables by hand: each object counts once per Dandiset. */
function checkFixtureFigures(report: Map<string, string>): void {
  const index = report.get("index.html")!;
  assert.equal(statValue(index, "Bytes sent"), 2258 + 2886 + 1526223);
  assert.equal(statValue(index, "Requests"), 6);
  assert.equal(statValue(index, "Dandisets"), 3);
  assert.equal(statValue(index, "Regions"), 2, "AWS/us-east-2 and GCP/us-central1; unknown is no region");
  assert.equal(statValue(index, "Countries"), 0);
  assert.match(
    index,
    /2021-04-24<\/time> to <br><time datetime="2023-01-01">|2021-04-24<\/time> to<br><time datetime="2023-01-01">/,
  );
  assert.deepEqual(rowValues(index, "000108"), [1526223, 1]);
  assert.deepEqual(rowValues(index, "000013"), [2886, 2]);
  assert.deepEqual(rowValues(index, "000003"), [2258, 3]);

  const d3 = report.get("dandisets/000003.html")!;
  assert.equal(statValue(d3, "Bytes sent"), 2258);
  assert.equal(statValue(d3, "Requests"), 3);
  assert.equal(statValue(d3, "Versions"), 3);
  assert.equal(statValue(d3, "Assets downloaded"), 2);
  assert.deepEqual(rowValues(d3, YUTA20), [1024, 2]);
  assert.deepEqual(rowValues(d3, YUTA37), [1234, 1]);
  for (const version of ["draft", "0.210812.1448", "0.230629.1955"]) {
    assert.deepEqual(rowValues(d3, version), [2258, 3, 2], version);
  }
  assert.deepEqual(rowValues(d3, "Amazon Web Services"), [1234, 1]);
  assert.match(d3, /href="https:\/\/dandiarchive\.org\/dandiset\/000003\/0\.210812\.1448"/);

  const d13 = report.get("dandisets/000013.html")!;
  assert.deepEqual(rowValues(d13, ANM), [2886, 2]);
  const d108 = report.get("dandisets/000108.html")!;
  assert.deepEqual(rowValues(d108, MITU), [1526223, 1]);
}

function checkPages(report: Map<string, string>): void {
  assert.deepEqual([...report.keys()].sort(), [
    "dandisets/000003.html",
    "dandisets/000013.html",
    "dandisets/000108.html",
    "index.html",
    "report-state.json",
    "report.json",
  ]);
  for (const [name, html] of report) {
    if (!name.endsWith(".html")) continue;
    const charts = svgCharts(html);
    assert.ok(charts.length >= 3, `${name} has ${charts.length} charts`);
    for (const svg of charts) {
      assert.match(svg, /class="mark-rect role-mark[^"]*"[^>]*><path /, `${name}: a chart without bars`);
      assert.match(svg, /^<svg role="img" aria-label="[^"]+"/);
    }
    assert.match(svg(charts), /class="mark-line role-mark[^"]*"[^>]*><path /, `${name}: no cumulative line`);
    // Only the index says when it was generated: a Dandiset page is redrawn only when its tables change.
    if (name === "index.html") {
      assert.match(
        html,
        /Generated <time datetime="2024-05-06T07:08:09\.000Z">2024-05-06 07:08:09 UTC<\/time>/,
      );
    } else {
      assert.doesNotMatch(html, /2024-05-06/);
    }
    assert.match(html, /from the mapped usage tables in <code>/);
    assert.doesNotMatch(html, /<script|<img|<link|<iframe|\ssrc=|url\((?!#)/i, `${name} loads something`);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, `${name} repeats an id`);
    for (const href of html.matchAll(/href="([^"]*)"/g)) {
      assert.ok(
        /^(\.\.\/)?index\.html$|^dandisets\/\d{6}\.html$|^#main$|^https:\/\/dandiarchive\.org\/dandiset\//.test(
          href[1],
        ),
        `${name} links to ${href[1]}`,
      );
    }
  }
}

function svg(charts: string[]): string {
  return charts.join("\n");
}

describe("report from the fixture", () => {
  test("the original tables alone: requests are counted from the asset files", async () => {
    const mapped = path.join(tempFolder("report-fixture"), "mapped");
    fs.cpSync(EXPECTED_OUTPUT, mapped, { recursive: true });
    const output = path.join(tempFolder("report-fixture-out"), "report");
    const summary = await buildReport({
      mappedFolder: mapped,
      outputFolder: output,
      generatedAt: GENERATED_AT,
    });
    assert.equal(summary.dandisets, 3);
    assert.equal(summary.pagesWritten, 4);
    assert.deepEqual(summary.requestSources, { tables: 0, "asset files": 3, none: 0 });
    assert.deepEqual(summary.chartWarnings, []);
    assert.equal(summary.indexPath, path.join(output, "index.html"));
    const report = readReport(output);
    checkPages(report);
    checkFixtureFigures(report);
    assert.match(report.get("dandisets/000003.html")!, /requests were counted from the per-asset tables/);
    assert.match(report.get("index.html")!, /archive-wide figures are sums over the Dandisets/);
  });

  test("with request tables and totals.json, which are read instead of the asset files", async () => {
    const mapped = path.join(tempFolder("report-fixture-new"), "mapped");
    fs.cpSync(EXPECTED_OUTPUT, mapped, { recursive: true });
    writeRequestTables(mapped);
    // Without the asset files nothing could be counted: every request figure must come from the tables.
    for (const entry of fs.readdirSync(mapped, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith("_nwb.tsv"))
        fs.rmSync(path.join(entry.parentPath, entry.name));
      if (entry.isFile() && entry.name.endsWith("_zarr.tsv"))
        fs.rmSync(path.join(entry.parentPath, entry.name));
    }
    const output = path.join(tempFolder("report-fixture-new-out"), "report");
    const summary = await buildReport({
      mappedFolder: mapped,
      outputFolder: output,
      generatedAt: GENERATED_AT,
    });
    assert.deepEqual(summary.requestSources, { tables: 3, "asset files": 0, none: 0 });
    const report = readReport(output);
    checkPages(report);
    checkFixtureFigures(report);
    assert.match(report.get("dandisets/000003.html")!, /Requests come from the request tables/);
    assert.match(report.get("index.html")!, /Archive-wide figures come from the archive tables/);
  });

  test("without asset files or request tables, request figures are left out", async () => {
    const mapped = path.join(tempFolder("report-fixture-none"), "mapped");
    fs.cpSync(path.join(EXPECTED_OUTPUT, "000013"), path.join(mapped, "000013"), { recursive: true });
    for (const version of ["draft", "0.220126.2143"]) {
      fs.rmSync(
        path.join(
          mapped,
          "000013",
          version,
          "sub-anm215592_ses-20131015_obj-odx8px_behavior+icephys+ogen_nwb.tsv",
        ),
      );
    }
    const output = path.join(tempFolder("report-fixture-none-out"), "report");
    const summary = await buildReport({
      mappedFolder: mapped,
      outputFolder: output,
      generatedAt: GENERATED_AT,
    });
    assert.deepEqual(summary.requestSources, { tables: 0, "asset files": 0, none: 1 });
    const index = fs.readFileSync(path.join(output, "index.html"), "utf8");
    assert.equal(statValue(index, "Bytes sent"), 2886);
    assert.equal(statValue(index, "Requests"), null);
    assert.match(index, /Request counts are not available/);
  });
});

/** The files the map step adds for the fixture, with the figures read off the fixture's asset files. */
function writeRequestTables(mapped: string): void {
  const write = (file: string, text: string) => fs.writeFileSync(path.join(mapped, file), text);
  const d3 = {
    day: "date\trequests\n2022-03-16\t2\n2022-05-04\t1\n",
    region: "region\trequests\nAWS/us-east-2\t1\nGCP/us-central1\t1\nunknown\t1\n",
    asset: `asset_path\trequests\n${YUTA20}\t2\n${YUTA37}\t1\n`,
  };
  const d13 = {
    day: "date\trequests\n2021-04-24\t1\n2021-12-31\t1\n",
    region: "region\trequests\nunknown\t2\n",
    asset: `asset_path\trequests\n${ANM}\t2\n`,
  };
  const d108 = {
    day: "date\trequests\n2023-01-01\t1\n",
    region: "region\trequests\nunknown\t1\n",
    asset: `asset_path\trequests\n${MITU}\t1\n`,
  };
  const dandisets: [string, typeof d3, string[], object][] = [
    [
      "000003",
      d3,
      ["draft", "0.210812.1448", "0.230629.1955"],
      {
        bytes_sent: 2258,
        requests: 3,
        unique_regions: 2,
        unique_countries: 0,
        first_date: "2022-03-16",
        last_date: "2022-05-04",
      },
    ],
    [
      "000013",
      d13,
      ["draft", "0.220126.2143"],
      {
        bytes_sent: 2886,
        requests: 2,
        unique_regions: 0,
        unique_countries: 0,
        first_date: "2021-04-24",
        last_date: "2021-12-31",
      },
    ],
    [
      "000108",
      d108,
      ["draft"],
      {
        bytes_sent: 1526223,
        requests: 1,
        unique_regions: 0,
        unique_countries: 0,
        first_date: "2023-01-01",
        last_date: "2023-01-01",
      },
    ],
  ];
  for (const [id, tables, versions, totals] of dandisets) {
    for (const [kind, text] of Object.entries(tables)) {
      write(`${id}/dandiset_requests_by_${kind}.tsv`, text);
      for (const version of versions) write(`${id}/${version}/version_requests_by_${kind}.tsv`, text);
    }
    write(
      `${id}/totals.json`,
      `${JSON.stringify({ dandiset_id: id, ...totals, versions: versions.length })}\n`,
    );
  }
  write(
    "archive_summary_by_day.tsv",
    "date\tbytes_sent\n2021-04-24\t1443\n2021-12-31\t1443\n2022-03-16\t1746\n2022-05-04\t512\n2023-01-01\t1526223\n",
  );
  write(
    "archive_requests_by_day.tsv",
    "date\trequests\n2021-04-24\t1\n2021-12-31\t1\n2022-03-16\t2\n2022-05-04\t1\n2023-01-01\t1\n",
  );
  write(
    "archive_summary_by_region.tsv",
    "region\tbytes_sent\nunknown\t1529621\nAWS/us-east-2\t1234\nGCP/us-central1\t512\n",
  );
  write(
    "archive_requests_by_region.tsv",
    "region\trequests\nunknown\t4\nAWS/us-east-2\t1\nGCP/us-central1\t1\n",
  );
  write(
    "totals.json",
    `${JSON.stringify({ bytes_sent: 1531367, requests: 6, unique_regions: 2, unique_countries: 0, dandisets: 3, first_date: "2021-04-24", last_date: "2023-01-01" })}\n`,
  );
}
