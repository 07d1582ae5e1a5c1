import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import type { Catalog } from "../src/dandi/catalog.ts";
import { countryOf } from "../src/formats/mapped-folder.ts";
import { BINNED_STATUS_HEADER } from "../src/io/table-headers.ts";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import { buildReport } from "../src/report/build-report.ts";
import { formatBytes } from "../src/report/units.ts";
import { tempFolder } from "./helpers.ts";
import { writeMappedFolder } from "./report-helpers/mapped-folder.ts";
import {
  findIpAddresses,
  readReport,
  rowValues,
  statValue,
  svgCharts,
  worldMapCountries,
} from "./report-helpers/read-report.ts";
import { writeEarlierSummaries, writeTodaysSummaries } from "./report-helpers/summaries-folder.ts";
import { generateReducedDays } from "./support/reduced-days.ts";

const NAMES: Record<string, string> = {
  "000001": 'Mouse V1 <script>alert("x")</script> & friends',
  "000002": "Whole-brain light-sheet imaging",
};
const ESCAPED_NAME = "Mouse V1 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; friends";

/** Each binned object's largest answer, by object key (`blobs/…/<uuid>`), for the catalog's sizes. */
function sizesOf(binned: string): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const file of fs.readdirSync(binned, { recursive: true }).map(String)) {
    if (!file.endsWith(".tsv") || file.split(path.sep).some((part) => part.startsWith("."))) continue;
    const [header, ...lines] = fs
      .readFileSync(path.join(binned, file), "utf8")
      .split("\n")
      .filter((line) => line !== "");
    assert.equal(`${header}\n`, BINNED_STATUS_HEADER, `${file}: bin carries the status`);
    sizes.set(
      file.slice(0, -".tsv".length).split(path.sep).join("/"),
      Math.max(...lines.map((line) => Number(line.split("\t")[1]))),
    );
  }
  return sizes;
}

/**
 * Three Dandisets over two thirds of the objects (the rest is the undetermined traffic), with paths of
 * several asset types.
 */
function catalogOf(sizes: ReadonlyMap<string, number>): Catalog {
  const keys = [...sizes.keys()].sort();
  const suffixes = [".nwb", ".mp4", ".json", ".nii.gz"];
  return {
    dandisets: [0, 1, 2].map((d) => {
      const identifier = String(d + 1).padStart(6, "0");
      return {
        identifier,
        ...(NAMES[identifier] === undefined ? {} : { name: NAMES[identifier] }),
        versions: [
          {
            version: "draft",
            assets: keys
              .map((key, i) => ({ key, i }))
              .filter(({ i }) => i % 3 === d && i % 9 < 6)
              .map(({ key, i }) => {
                const id = key.slice(key.lastIndexOf("/") + 1);
                const zarr = key.startsWith("zarr/");
                return {
                  asset_id: `a${i}`,
                  path: zarr ? `sub-${i}/sample-${i}.ome.zarr` : `sub-${i}/f-${i}${suffixes[i % 4]}`,
                  blob: zarr ? null : id,
                  zarr: zarr ? id : null,
                  size: sizes.get(key)!,
                };
              }),
          },
        ],
      };
    }),
  };
}

function readTsv(file: string): string[][] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t"));
}

/** The section of a page from its `<h2 id="…">` to the next heading. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<h2 id="${id}">`);
  if (start < 0) return "";
  const end = html.indexOf("<h2 ", start + 1);
  return html.slice(start, end < 0 ? undefined : end);
}

/** The asset-type figure of a page drew stacked bars for the types of `table`, with its legend and totals. */
function checkAssetTypeChart(html: string, table: string[][], name: string): void {
  const part = section(html, "asset-types");
  assert.notEqual(part, "", `${name} has no asset-type section`);
  const [svg] = svgCharts(part);
  assert.ok(svg !== undefined, `${name}: no asset-type chart`);
  const bars = svg.match(/class="mark-rect role-mark[^"]*"[^>]*>(.*?)<\/g>/s)?.[1] ?? "";
  let nonzero = 0;
  for (const row of table.slice(1)) for (const cell of row.slice(1)) if (cell !== "0") nonzero++;
  assert.ok((bars.match(/<path /g) ?? []).length >= nonzero, `${name}: fewer bars than cells`);
  const types = table[0].slice(1);
  const legend = [...part.matchAll(/<span class="swatch"[^>]*><\/span>([^<]*)<\/span>/g)].map((m) => m[1]);
  assert.deepEqual(legend, types, name);
  for (const [i, type] of types.entries()) {
    const bytes = table.slice(1).reduce((sum, row) => sum + Number(row[i + 1]), 0);
    assert.ok(part.includes(`${type} ${formatBytes(bytes)} (`), `${name}: no total for ${type}`);
  }
}

describe("the report with the published summaries", () => {
  test("views beside downloads, bytes by asset type, names, the undetermined traffic and a world map", async () => {
    const root = tempFolder("report-summaries");
    const reduced = path.join(root, "reduced");
    generateReducedDays(reduced, {
      days: 9,
      startDate: "2024-01-04",
      rowsPerDay: 600,
      blobCount: 120,
      zarrCount: 8,
      seed: 4,
    });
    const binned = path.join(root, "binned");
    await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
    const sizes = sizesOf(binned);
    const mapped = path.join(root, "mapped");
    const summaries = path.join(root, "summaries");
    await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: mapped,
      catalog: catalogOf(sizes),
      summariesFolder: summaries,
    });
    const tables = path.join(summaries, "summaries");
    const totals = JSON.parse(fs.readFileSync(path.join(summaries, "totals.json"), "utf8"));
    const archiveTotals = JSON.parse(fs.readFileSync(path.join(summaries, "archive_totals.json"), "utf8"));
    const out = path.join(root, "report");
    const generatedAt = new Date("2024-05-06T07:08:09Z");
    const first = await buildReport({
      mappedFolder: mapped,
      outputFolder: out,
      summariesFolder: summaries,
      generatedAt,
    });
    assert.deepEqual(first.chartWarnings, []);
    const report = readReport(out);
    const index = report.get("index.html")!;

    assert.ok(archiveTotals.total_number_of_downloads > 0 && archiveTotals.total_number_of_views > 0);
    assert.equal(statValue(index, "Downloads"), archiveTotals.total_number_of_downloads);
    assert.equal(statValue(index, "Views"), archiveTotals.total_number_of_views);
    assert.equal(statValue(index, "Requesters"), archiveTotals.number_of_requesters);
    checkAssetTypeChart(
      index,
      readTsv(path.join(tables, "archive", "by_asset_type_per_week.tsv")),
      "index.html",
    );

    // The undetermined traffic has its own section on the index.
    const undetermined = section(index, "undetermined");
    assert.ok(totals.undetermined.total_bytes_sent > 0);
    assert.equal(statValue(undetermined, "Bytes sent"), totals.undetermined.total_bytes_sent);
    assert.equal(statValue(undetermined, "Requests"), totals.undetermined.total_number_of_requests);
    assert.equal(statValue(undetermined, "Downloads"), totals.undetermined.total_number_of_downloads);
    assert.equal(statValue(undetermined, "Views"), totals.undetermined.total_number_of_views);
    assert.equal(statValue(undetermined, "Requesters"), totals.undetermined.number_of_requesters);
    const undeterminedRegions = path.join(tables, "undetermined", "by_region.tsv");
    if (fs.existsSync(undeterminedRegions)) {
      const [, top] = readTsv(undeterminedRegions);
      assert.deepEqual(rowValues(undetermined, top[0]), top.slice(1).map(Number));
    } else {
      assert.match(undetermined, /Its regions are not published yet/);
    }

    // The world map colours the countries of the archive's regions, each once (from the mapped
    // folder's regions, `US/California`, as the report draws it).
    const countries = new Set(
      readTsv(path.join(mapped, "archive_summary_by_region.tsv"))
        .slice(1)
        .map((row) => countryOf(row[0]))
        .filter((c): c is string => c !== null),
    );
    const [indexMap] = worldMapCountries(index);
    assert.ok(indexMap.length > 3);
    assert.ok(indexMap.every((c) => countries.has(c)));

    for (const id of ["000001", "000002", "000003"]) {
      const page = report.get(`dandisets/${id}.html`)!;
      assert.equal(statValue(page, "Downloads"), totals[id].total_number_of_downloads, id);
      assert.equal(statValue(page, "Views"), totals[id].total_number_of_views, id);
      assert.equal(statValue(page, "Requesters"), totals[id].number_of_requesters, id);
      // The Dandisets table: bytes, requests, downloads and views.
      const row = rowValues(index, id);
      assert.deepEqual(row.slice(2), [
        totals[id].total_number_of_downloads,
        totals[id].total_number_of_views,
      ]);
      // The asset table shows each asset's downloads and views as by_asset.tsv gives them.
      const [header, ...assets] = readTsv(path.join(tables, id, "by_asset.tsv"));
      assert.deepEqual(header.slice(3), ["number_of_downloads", "number_of_views"]);
      for (const asset of assets.slice(0, 5))
        assert.deepEqual(rowValues(page, asset[0]), asset.slice(1).map(Number));
      assert.match(page, /<th scope="col"[^>]*>Downloads<\/th><th scope="col"[^>]*>Views<\/th>/);
      checkAssetTypeChart(page, readTsv(path.join(tables, id, "by_asset_type_per_week.tsv")), id);
      assert.equal(worldMapCountries(page).length, 1);
    }

    // Names beside ids, as text: a name is the Dandiset's owners' words, never markup.
    const page1 = report.get("dandisets/000001.html")!;
    assert.ok(page1.includes(`<h1>Dandiset 000001 <span class="subtitle">${ESCAPED_NAME}</span></h1>`));
    assert.ok(page1.includes(`<title>Dandiset 000001 (${ESCAPED_NAME}): usage</title>`));
    assert.ok(index.includes(`000001</a> <span class="name">${ESCAPED_NAME}</span>`));
    assert.ok(index.includes(`000002</a> <span class="name">${NAMES["000002"]}</span>`));
    assert.match(report.get("dandisets/000003.html")!, /<h1>Dandiset 000003<\/h1>/);
    assert.match(index, /000003<\/a><\/th>/);
    for (const [name, text] of report) {
      if (name.endsWith(".html")) assert.doesNotMatch(text, /<script|NaN|undefined/, name);
      assert.deepEqual(findIpAddresses(text), [], name);
    }

    // Nothing changed: no Dandiset page is drawn again.
    const again = await buildReport({
      mappedFolder: mapped,
      outputFolder: out,
      summariesFolder: summaries,
      generatedAt,
    });
    assert.equal(again.pagesUnchanged, first.dandisets);
    assert.deepEqual(readReport(out), report);
  });

  test("a folder without tables by region, and with an asset type the report does not know, still shows the rest", async () => {
    const root = tempFolder("report-summaries-today");
    const mapped = path.join(root, "mapped");
    writeMappedFolder(mapped, { dandisets: 3, seed: 5, names: { "000002": "Named" } });
    const summaries = path.join(root, "summaries");
    writeTodaysSummaries(mapped, summaries, {
      withoutRegions: true,
      typeShares: [
        ["Neurophysiology", 50],
        ["Video", 30],
        ["Holography", 20],
      ],
    });
    const out = path.join(root, "report");
    const summary = await buildReport({
      mappedFolder: mapped,
      outputFolder: out,
      summariesFolder: summaries,
    });
    assert.deepEqual(summary.chartWarnings, []);
    const report = readReport(out);
    const index = report.get("index.html")!;
    const undetermined = section(index, "undetermined");
    assert.equal(statValue(undetermined, "Bytes sent"), 5000000);
    assert.equal(statValue(undetermined, "Views"), 3);
    assert.equal(statValue(undetermined, "Regions"), null);
    assert.match(undetermined, /Its regions are not published yet/);
    checkAssetTypeChart(
      index,
      readTsv(path.join(summaries, "summaries", "archive", "by_asset_type_per_week.tsv")),
      "index.html",
    );
    assert.ok(index.includes('000002</a> <span class="name">Named</span>'));
    for (const [name, text] of report) assert.doesNotMatch(text, /NaN|undefined/, name);
  });

  test("an earlier version's folder (<50 cells, tables without views or downloads, unassociated) renders what it can", async () => {
    const root = tempFolder("report-summaries-earlier");
    const mapped = path.join(root, "mapped");
    writeMappedFolder(mapped, { dandisets: 3, seed: 5 });
    const summaries = path.join(root, "summaries");
    writeEarlierSummaries(mapped, summaries);
    const out = path.join(root, "report");
    const summary = await buildReport({
      mappedFolder: mapped,
      outputFolder: out,
      summariesFolder: summaries,
    });
    assert.deepEqual(summary.chartWarnings, []);
    const report = readReport(out);
    for (const [name, text] of report) assert.doesNotMatch(text, /NaN|undefined|&lt;50/, name);

    const index = report.get("index.html")!;
    const dash = (label: string) => new RegExp(`<dt>${label}</dt><dd><span title="[^"]*">–</span></dd>`);
    assert.equal(statValue(index, "Downloads"), 260);
    assert.match(index, dash("Views"));
    assert.match(index, dash("Requesters"));
    assert.equal(section(index, "asset-types"), "", "no table by week, no chart");
    const unassociated = section(index, "undetermined");
    assert.equal(statValue(unassociated, "Bytes sent"), 5000000);
    assert.match(unassociated, dash("Requests"));
    assert.equal(statValue(unassociated, "Downloads"), 0);
    assert.deepEqual(rowValues(unassociated, "US/California"), [4000000, 0]);

    const [one, two] = ["000001", "000002"].map((id) => report.get(`dandisets/${id}.html`)!);
    assert.match(one, dash("Downloads"));
    assert.equal(statValue(two, "Downloads"), 60);
    assert.match(two, dash("Views"));
    // Asset rows: bytes and requests from the mapped tables; downloads only where a number was published.
    const [, ...assets] = readTsv(path.join(summaries, "summaries", "000002", "by_asset.tsv"));
    for (const [assetPath, bytes, , downloads] of assets.slice(0, 5)) {
      const values = rowValues(two, assetPath);
      assert.equal(values[0], Number(bytes));
      assert.deepEqual(values.slice(2), downloads === "<50" ? [] : [Number(downloads)], assetPath);
    }
  });
});
