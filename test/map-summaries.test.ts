import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import type { Catalog, CatalogAsset } from "../src/dandi/catalog.ts";
import { writeCatalog } from "../src/dandi/catalog.ts";
import { countryOf } from "../src/formats/mapped-folder.ts";
import { RegionResolver } from "../src/geo/region-resolver.ts";
import { isTempFile } from "../src/io/atomic-file.ts";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import { SUMMARIES_LOCK } from "../src/map/publish-summaries.ts";
import { readTree, startCli, tempFolder, waitUntil } from "./helpers.ts";
import { mapTree } from "./support/map-tree.ts";
import { generateReducedDays } from "./support/reduced-days.ts";

/** One reduced row: what the summaries are computed from here, independently of map. */
interface Row {
  date: string;
  ip: string;
  key: string;
  bytes: number;
}

function readRows(reduced: string, days: readonly string[]): Row[] {
  const rows: Row[] = [];
  for (const day of days) {
    for (const line of fs.readFileSync(path.join(reduced, day), "utf8").split("\n").slice(1)) {
      if (line === "") continue;
      const [timestamp, ip, key, bytes] = line.split("\t");
      rows.push({ date: timestamp.slice(0, 10), ip, key, bytes: Number(bytes) });
    }
  }
  return rows;
}

interface Listed {
  dandiset: string;
  path: string;
  /** The catalog size: the bytes of the object's first row for half the objects, so those rows are downloads. */
  size: number;
}

/**
 * Five Dandisets over the rows' objects (two sevenths of the objects in none), each with a draft and
 * a published version holding half its assets, so an object counts once over versions. Half the
 * objects get as catalog size the bytes of one of their rows (a whole download); the others a size
 * no row reaches. Zarrs get the same treatment but never count downloads.
 */
function catalogOf(rows: Row[], moved: string[] = []): { catalog: Catalog; listed: Map<string, Listed> } {
  const firstBytes = new Map<string, number>();
  for (const row of rows) if (!firstBytes.has(row.key)) firstBytes.set(row.key, row.bytes);
  const keys = [...firstBytes.keys()].sort();
  const listed = new Map<string, Listed>();
  const byDandiset = new Map<string, CatalogAsset[]>();
  keys.forEach((key, i) => {
    const slot = i % 7;
    const dandiset = moved.includes(key) ? "000001" : slot < 5 ? String(slot + 1).padStart(6, "0") : null;
    if (dandiset === null) return;
    const size = i % 2 === 0 ? firstBytes.get(key)! : 10 ** 13;
    const id = key.slice(key.lastIndexOf("/") + 1);
    const assetPath = `sub-${i % 11}/file-${i}.nwb`;
    listed.set(key, { dandiset, path: assetPath, size });
    const asset: CatalogAsset = key.startsWith("zarr/")
      ? { asset_id: `a-${i}`, path: assetPath, blob: null, zarr: id, size }
      : { asset_id: `a-${i}`, path: assetPath, blob: id, zarr: null, size };
    byDandiset.set(dandiset, [...(byDandiset.get(dandiset) ?? []), asset]);
  });
  const catalog: Catalog = {
    dandisets: [...byDandiset].sort().map(([identifier, assets]) => ({
      identifier,
      versions: [
        { version: "draft", assets },
        { version: "0.240101.1200", assets: assets.filter((_, i) => i % 2 === 0) },
      ],
    })),
  };
  return { catalog, listed };
}

interface Figures {
  bytes: bigint;
  requests: number;
  downloads: number;
}

const emptyFigures = (): Figures => ({ bytes: 0n, requests: 0, downloads: 0 });

/** The summaries as computed from the rows: per Dandiset, `archive` and `unassociated`. */
function expectedSummaries(rows: Row[], listed: Map<string, Listed>) {
  const resolver = RegionResolver.create();
  const groups = new Map<
    string,
    {
      byDay: Map<string, Figures>;
      byRegion: Map<string, Figures>;
      byAsset: Map<string, Figures>;
      ips: Set<string>;
    }
  >();
  const add = (group: string, row: Row, download: boolean, asset: string | null) => {
    let g = groups.get(group);
    if (g === undefined) {
      g = { byDay: new Map(), byRegion: new Map(), byAsset: new Map(), ips: new Set() };
      groups.set(group, g);
    }
    const keys: [Map<string, Figures>, string | null][] = [
      [g.byDay, row.date],
      [g.byRegion, resolver.regionOf(row.ip)],
      [g.byAsset, asset],
    ];
    for (const [map, key] of keys) {
      if (key === null) continue;
      const f = map.get(key) ?? emptyFigures();
      f.bytes += BigInt(row.bytes);
      f.requests++;
      if (download) f.downloads++;
      map.set(key, f);
    }
    g.ips.add(row.ip);
  };
  for (const row of rows) {
    const entry = listed.get(row.key);
    const download = entry !== undefined && !row.key.startsWith("zarr/") && row.bytes === entry.size;
    add("archive", row, download, null);
    if (entry === undefined) add("unassociated", row, false, null);
    else add(entry.dandiset, row, download, entry.path);
  }
  return groups;
}

function tableText(
  keyColumn: string,
  map: Map<string, Figures>,
  order: "key" | "largest",
  count: (n: number) => string = String,
): string {
  const keys = [...map.keys()].sort((a, b) => {
    if (order === "largest") {
      const x = map.get(a)!.bytes;
      const y = map.get(b)!.bytes;
      if (x !== y) return x > y ? -1 : 1;
    }
    return a < b ? -1 : 1;
  });
  let text = `${keyColumn}\tbytes_sent\tnumber_of_requests\tnumber_of_downloads\n`;
  for (const key of keys) {
    const f = map.get(key)!;
    text += `${key}\t${f.bytes}\t${count(f.requests)}\t${count(f.downloads)}\n`;
  }
  return text;
}

function regionCounts(byRegion: Map<string, Figures>): { regions: number; countries: number } {
  const regions = [...byRegion.keys()].filter((r) => r !== "unknown");
  return {
    regions: regions.length,
    countries: new Set(regions.map(countryOf).filter((c) => c !== null)).size,
  };
}

async function binDays(reducedAll: string, days: string[], reduced: string, binned: string): Promise<void> {
  for (const day of days) {
    fs.mkdirSync(path.dirname(path.join(reduced, day)), { recursive: true });
    fs.copyFileSync(path.join(reducedAll, day), path.join(reduced, day));
  }
  await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
}

const EXACT = { privacyThreshold: 0, privacyRounding: 1 };

describe("access summaries", () => {
  const root = tempFolder("summaries");
  const reducedAll = path.join(root, "reduced-all");
  const days = generateReducedDays(reducedAll, {
    days: 4,
    rowsPerDay: 2500,
    blobCount: 500,
    zarrCount: 20,
    ipCount: 400,
    seed: 7,
  });
  const rows = readRows(reducedAll, days);
  const { catalog, listed } = catalogOf(rows);
  const catalogFile = path.join(root, "catalog.json");
  writeCatalog(catalogFile, catalog);
  const binned = path.join(root, "binned");
  const ready = binDays(reducedAll, days, path.join(root, "reduced"), binned);

  test("exact figures equal those computed from the rows, for each Dandiset, the archive and the unassociated traffic", async () => {
    await ready;
    const summaries = path.join(root, "exact");
    const summary = await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: path.join(root, "mapped-exact"),
      catalog: catalogFile,
      summariesFolder: summaries,
      ...EXACT,
    });
    const expected = expectedSummaries(rows, listed);
    const tree = readTree(summaries);
    const totals = JSON.parse(tree.get("totals.json")!) as Record<string, Record<string, unknown>>;
    const dandisets = [...expected.keys()].filter((g) => /^\d{6}$/.test(g)).sort();
    assert.ok(dandisets.length === 5);
    assert.deepEqual(Object.keys(totals), [...dandisets, "unassociated"]);
    const unassociated = expected.get("unassociated")!;
    const unassociatedDays = [...unassociated.byDay.values()];
    assert.deepEqual(totals.unassociated, {
      total_bytes_sent: Number(unassociatedDays.reduce((s, f) => s + f.bytes, 0n)),
      number_of_unique_regions: regionCounts(unassociated.byRegion).regions,
      number_of_unique_countries: regionCounts(unassociated.byRegion).countries,
      total_number_of_requests: unassociatedDays.reduce((s, f) => s + f.requests, 0),
      total_number_of_downloads: 0,
    });
    let downloads = 0;
    for (const id of dandisets) {
      const g = expected.get(id)!;
      assert.equal(tree.get(`summaries/${id}/by_day.tsv`), tableText("date", g.byDay, "key"), `${id} by day`);
      assert.equal(tree.get(`summaries/${id}/by_region.tsv`), tableText("region", g.byRegion, "largest"));
      assert.equal(tree.get(`summaries/${id}/by_asset.tsv`), tableText("asset_path", g.byAsset, "largest"));
      const all = [...g.byDay.values()];
      const { regions, countries } = regionCounts(g.byRegion);
      assert.deepEqual(totals[id], {
        total_bytes_sent: Number(all.reduce((s, f) => s + f.bytes, 0n)),
        number_of_unique_regions: regions,
        number_of_unique_countries: countries,
        total_number_of_requests: all.reduce((s, f) => s + f.requests, 0),
        total_number_of_downloads: all.reduce((s, f) => s + f.downloads, 0),
        number_of_requesters: g.ips.size,
      });
      downloads += all.reduce((s, f) => s + f.downloads, 0);
    }
    assert.ok(downloads > 100, `the catalog makes ${downloads} whole downloads`);
    for (const group of ["archive", "unassociated"]) {
      const g = expected.get(group)!;
      assert.equal(tree.get(`summaries/${group}/by_day.tsv`), tableText("date", g.byDay, "key"), group);
      assert.equal(tree.get(`summaries/${group}/by_region.tsv`), tableText("region", g.byRegion, "largest"));
    }
    const archive = expected.get("archive")!;
    const archiveDays = [...archive.byDay.values()];
    const archiveRegions = regionCounts(archive.byRegion);
    assert.deepEqual(JSON.parse(tree.get("archive_totals.json")!), {
      total_bytes_sent: Number(archiveDays.reduce((s, f) => s + f.bytes, 0n)),
      number_of_unique_regions: archiveRegions.regions,
      number_of_unique_countries: archiveRegions.countries,
      total_number_of_requests: rows.length,
      total_number_of_downloads: downloads,
      number_of_requesters: archive.ips.size,
    });
    assert.equal(summary.requesters, archive.ips.size);
    // The key the requesters are hashed under is readable by its owner only, and kept outside what is published.
    const key = path.join(root, "mapped-exact", ".map_state", "requester_key");
    assert.equal(fs.statSync(key).mode & 0o777, 0o600);

    // The coordinates: every country or subdivision of the tables, as a place on the globe.
    const yaml = parseYaml(tree.get("region_codes_to_coordinates.yaml")!) as Record<
      string,
      { latitude: number; longitude: number }
    >;
    const places = [...archive.byRegion.keys()].filter((r) => countryOf(r) !== null).sort();
    assert.ok(places.length > 10);
    assert.deepEqual(Object.keys(yaml).sort(), places);
    for (const [place, at] of Object.entries(yaml)) {
      assert.ok(Math.abs(at.latitude) <= 90 && Math.abs(at.longitude) <= 180, place);
    }
    if (yaml["US/California"] !== undefined) {
      assert.ok(Math.abs(yaml["US/California"].latitude - 36.5) < 3, "California lies near 36.5° N");
      assert.ok(Math.abs(yaml["US/California"].longitude + 119.5) < 4, "and 119.5° W");
    }
  });

  test("a first map over part of the catalog refuses to publish summaries; after a whole one, a selection updates them", async () => {
    await ready;
    const mapped = path.join(root, "mapped-selection");
    const summaries = path.join(root, "selection");
    const first = catalog.dandisets[0].identifier;
    const selected = {
      binnedFolder: binned,
      mappedFolder: mapped,
      catalog: catalogFile,
      summariesFolder: summaries,
    };
    await assert.rejects(mapBinnedS3LogsToDandisets({ ...selected, restrictTo: [first], ...EXACT }), {
      code: "ERR_SUMMARIES_NEED_WHOLE_CATALOG",
    });
    assert.deepEqual(readTree(summaries), new Map(), "nothing was published");
    await mapBinnedS3LogsToDandisets({ ...selected, ...EXACT });
    const whole = readTree(summaries);
    await mapBinnedS3LogsToDandisets({ ...selected, restrictTo: [first], ...EXACT });
    assert.deepEqual(readTree(summaries), whole, "a selection over the same rows changes nothing");
  });

  test("rounded figures are <50 or multiples of 20 that agree with the exact ones; no address appears", async () => {
    await ready;
    const exact = path.join(root, "exact-2");
    const rounded = path.join(root, "rounded");
    await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: path.join(root, "mapped-exact-2"),
      catalog: catalogFile,
      summariesFolder: exact,
      ...EXACT,
    });
    await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: path.join(root, "mapped-rounded"),
      catalog: catalogFile,
      summariesFolder: rounded,
    });
    const exactTree = readTree(exact);
    const roundedTree = readTree(rounded);
    assert.deepEqual([...roundedTree.keys()], [...exactTree.keys()]);
    let below = 0;
    let multiples = 0;
    const agree = (shown: string | number, count: number, where: string) => {
      if (shown === "<50") {
        assert.ok(count < 50, `${where}: ${count} shown as <50`);
        below++;
      } else {
        assert.equal(typeof shown === "number" ? shown : Number(shown), Math.round(count / 20) * 20, where);
        assert.ok(count >= 50, where);
        assert.equal(Number(shown) % 20, 0, where);
        multiples++;
      }
    };
    for (const [file, text] of exactTree) {
      if (!file.endsWith(".tsv")) continue;
      const exactLines = text.split("\n");
      const roundedLines = roundedTree.get(file)!.split("\n");
      assert.equal(roundedLines.length, exactLines.length, file);
      for (let i = 1; i < exactLines.length - 1; i++) {
        const [key, bytes, requests, downloads] = exactLines[i].split("\t");
        const [rKey, rBytes, rRequests, rDownloads] = roundedLines[i].split("\t");
        assert.deepEqual([rKey, rBytes], [key, bytes], `${file}: bytes are never rounded`);
        agree(rRequests, Number(requests), `${file} ${key} requests`);
        agree(rDownloads, Number(downloads), `${file} ${key} downloads`);
      }
    }
    const exactTotals = JSON.parse(exactTree.get("totals.json")!) as Record<string, Record<string, number>>;
    const roundedTotals = JSON.parse(roundedTree.get("totals.json")!) as Record<
      string,
      Record<string, number | string>
    >;
    for (const [id, entry] of Object.entries(exactTotals)) {
      assert.equal(roundedTotals[id].total_bytes_sent, entry.total_bytes_sent);
      for (const field of ["total_number_of_requests", "total_number_of_downloads", "number_of_requesters"])
        if (id !== "unassociated" || field !== "number_of_requesters")
          agree(roundedTotals[id][field], entry[field], `${id} ${field}`);
    }
    assert.ok(below > 0 && multiples > 0, `${below} counts below the threshold, ${multiples} rounded`);

    // No address, of any form, in anything published.
    const ips = new Set(rows.map((row) => row.ip));
    for (const [file, text] of roundedTree)
      for (const ip of ips) assert.ok(!text.includes(ip), `${file} holds the address ${ip}`);
  });

  test("incremental summaries, with late rows and catalog changes, equal one run from scratch", async () => {
    const runRoot = tempFolder("summaries-incremental");
    const reduced = path.join(runRoot, "reduced");
    const incBinned = path.join(runRoot, "binned");
    const mapped = path.join(runRoot, "mapped");
    const summaries = path.join(runRoot, "summaries");
    const firstCatalog = path.join(runRoot, "catalog-1.json");
    writeCatalog(firstCatalog, catalog);
    const run = (catalogPath: string, summariesFolder = summaries, mappedFolder = mapped) =>
      mapBinnedS3LogsToDandisets({
        binnedFolder: incBinned,
        mappedFolder,
        catalog: catalogPath,
        summariesFolder,
        ...EXACT,
      });
    await binDays(reducedAll, [days[0], days[1], days[3]], reduced, incBinned);
    await run(firstCatalog);
    // Day 3 arrives late; then two unassociated objects join Dandiset 000001.
    await binDays(reducedAll, [days[2]], reduced, incBinned);
    await run(firstCatalog);
    const unlisted = [...new Set(rows.map((r) => r.key))].filter((key) => !listed.has(key)).slice(0, 2);
    const secondCatalog = path.join(runRoot, "catalog-2.json");
    writeCatalog(secondCatalog, catalogOf(rows, unlisted).catalog);
    const last = await run(secondCatalog);
    assert.ok(
      last.summaryFilesWritten > 0 && last.summaryFilesUnchanged > 0,
      "only what changed is rewritten",
    );

    const scratch = path.join(runRoot, "scratch");
    await run(secondCatalog, scratch, path.join(runRoot, "mapped-scratch"));
    assert.deepEqual(readTree(summaries), readTree(scratch));
    // Nothing new: nothing written.
    const again = await run(secondCatalog);
    assert.equal(again.summaryFilesWritten + again.summaryFilesRemoved, 0);
  });

  test("killed while writing the summaries, then run again, gives the uninterrupted result", async () => {
    await ready;
    const runRoot = tempFolder("summaries-kill");
    const reduced = path.join(runRoot, "reduced");
    const killBinned = path.join(runRoot, "binned");
    await binDays(reducedAll, [days[0], days[1]], reduced, killBinned);
    const base = path.join(runRoot, "base");
    const args = (folder: string) => [
      "map",
      "--binned_s3_logs_folder_path",
      killBinned,
      "--mapped_s3_logs_folder_path",
      path.join(folder, "mapped"),
      "--summaries_folder_path",
      path.join(folder, "summaries"),
      "--catalog",
      catalogFile,
      "--quiet",
    ];
    const runCli = async (folder: string) => {
      const child = startCli("main", args(folder));
      const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
      assert.equal(code, 0);
    };
    await runCli(base);
    await binDays(reducedAll, [days[2], days[3]], reduced, killBinned);
    const expected = path.join(runRoot, "expected");
    fs.cpSync(base, expected, { recursive: true });
    await runCli(expected);
    const before = readTree(path.join(base, "summaries"));
    const after = readTree(path.join(expected, "summaries"));
    const undoLog = (folder: string) =>
      path.join(folder, "mapped", ".map_state", "summaries_undo", "undo_log");

    for (const killAt of [1, 300, 900]) {
      const out = path.join(runRoot, `killed-${killAt}`);
      fs.cpSync(base, out, { recursive: true });
      const child = startCli("main", args(out));
      const exit = once(child, "exit");
      // Aim by what the run has written to the summaries: their undo log grows with every change.
      await waitUntil(
        child,
        () => (fs.statSync(undoLog(out), { throwIfNoEntry: false })?.size ?? 0) >= killAt,
        `${killAt} bytes of undo log`,
      );
      child.kill("SIGKILL");
      await exit;
      assert.ok(fs.existsSync(undoLog(out)), `killed at ${killAt} bytes: the run had finished`);
      // Every file is whole: as before the run, or as after it.
      for (const [file, content] of readTree(path.join(out, "summaries"))) {
        // The killed run's temporary files and its lock, which the next run removes.
        if (isTempFile(path.basename(file)) || file.startsWith(SUMMARIES_LOCK)) continue;
        assert.ok(content === before.get(file) || content === after.get(file), `${file} is half-written`);
      }
      await runCli(out);
      assert.deepEqual(readTree(path.join(out, "summaries")), after, `killed at ${killAt} bytes`);
      // The journal names the summaries folder, which differs between copies; the state beside it must not.
      const comparable = (folder: string) =>
        new Map(
          [...mapTree(path.join(folder, "mapped"))].map(([file, text]) => [
            file,
            text.replaceAll(folder, "<run>"),
          ]),
        );
      assert.deepEqual(comparable(out), comparable(expected));
    }
  });
});
