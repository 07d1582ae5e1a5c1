import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import type { Catalog } from "../src/dandi/catalog.ts";
import { countryOf } from "../src/formats/mapped-folder.ts";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import { buildReport } from "../src/report/build-report.ts";
import { tempFolder } from "./helpers.ts";
import { findIpAddresses, readReport, statValue, worldMapCountries } from "./report-helpers/read-report.ts";
import { generateReducedDays } from "./support/reduced-days.ts";

/** Three Dandisets over two thirds of the objects; each blob's size is that of its first request. */
function catalogOf(reduced: string): Catalog {
  const first = new Map<string, number>();
  for (const file of fs
    .readdirSync(reduced, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".tsv")))
    for (const line of fs.readFileSync(path.join(reduced, file), "utf8").split("\n").slice(1)) {
      const [, , key, bytes] = line.split("\t");
      if (key !== undefined && !first.has(key)) first.set(key, Number(bytes));
    }
  const keys = [...first.keys()].sort();
  return {
    dandisets: [0, 1, 2].map((d) => ({
      identifier: String(d + 1).padStart(6, "0"),
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
                path: `f-${i}.nwb`,
                blob: zarr ? null : id,
                zarr: zarr ? id : null,
                size: first.get(key)!,
              };
            }),
        },
      ],
    })),
  };
}

test("the report shows downloads and requesters, the unassociated traffic and a world map of bytes by country", async () => {
  const root = tempFolder("report-summaries");
  const reduced = path.join(root, "reduced");
  generateReducedDays(reduced, { days: 2, rowsPerDay: 1500, blobCount: 200, zarrCount: 10, seed: 4 });
  const binned = path.join(root, "binned");
  await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
  const mapped = path.join(root, "mapped");
  const summaries = path.join(root, "summaries");
  await mapBinnedS3LogsToDandisets({
    binnedFolder: binned,
    mappedFolder: mapped,
    catalog: catalogOf(reduced),
    summariesFolder: summaries,
    regionDisclosureThreshold: 0,
  });
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
  const report = readReport(out);
  const index = report.get("index.html")!;

  assert.equal(statValue(index, "Downloads"), archiveTotals.total_number_of_downloads);
  assert.equal(statValue(index, "Requesters"), archiveTotals.number_of_requesters);
  assert.ok(archiveTotals.total_number_of_downloads > 0);
  // The unassociated traffic has its own section on the index.
  const unassociated = index.slice(index.indexOf('<h2 id="unassociated">'));
  assert.ok(unassociated.length < index.length, "the index has the unassociated section");
  assert.equal(statValue(unassociated, "Bytes sent"), totals.unassociated.total_bytes_sent);
  assert.equal(statValue(unassociated, "Requests"), totals.unassociated.total_number_of_requests);

  // The world map colours the countries of the archive's regions, each once.
  const byRegion = fs.readFileSync(path.join(summaries, "summaries", "archive", "by_region.tsv"), "utf8");
  const countries = new Set(
    byRegion
      .split("\n")
      .slice(1)
      .map((line) => countryOf(line.split("\t")[0] ?? ""))
      .filter((c): c is string => c !== null),
  );
  const [indexMap] = worldMapCountries(index);
  assert.ok(indexMap.length > 3);
  assert.deepEqual(new Set(indexMap), new Set([...countries].filter((c) => indexMap.includes(c))));
  assert.ok(indexMap.every((c) => countries.has(c)));

  for (const id of ["000001", "000002", "000003"]) {
    const page = report.get(`dandisets/${id}.html`)!;
    assert.equal(statValue(page, "Downloads"), totals[id].total_number_of_downloads, id);
    assert.equal(statValue(page, "Requesters"), totals[id].number_of_requesters, id);
    assert.match(page, /<th scope="col"[^>]*>Downloads<\/th>/);
    assert.equal(worldMapCountries(page).length, 1);
  }
  for (const [name, text] of report) assert.deepEqual(findIpAddresses(text), [], name);

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
