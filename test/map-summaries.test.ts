import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import type { Catalog, CatalogAsset } from "../src/dandi/catalog.ts";
import { writeCatalog } from "../src/dandi/catalog.ts";
import { countryOfPublished, isCloudRegion, publishedRegionOf } from "../src/geo/published-regions.ts";
import { RegionResolver } from "../src/geo/region-resolver.ts";
import { isTempFile } from "../src/io/atomic-file.ts";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import { assetTypeOf } from "../src/summaries/asset-types.ts";
import { SUMMARIES_LOCK } from "../src/summaries/publish.ts";
import { readTree, runCli, startCli, tempFolder, waitUntil } from "./helpers.ts";
import { mapTree } from "./support/map-tree.ts";
import { generateSessionDays, type SessionRow } from "./support/session-days.ts";
import { pageProblems } from "./support/usage-page-reader.ts";

/** Where an object is listed: its Dandiset and its path there (in both versions when listed twice). */
interface Listed {
  dandiset: string;
  path: string;
}

const SUFFIXES = [".nwb", ".nii.gz", ".mp4", ".json", ".nwb", ".ome.tif"];

/**
 * Five Dandisets over the rows' objects, a sixth of one object, and about two sevenths of the
 * objects in none (the undetermined traffic); each with a draft and a published version holding half its assets, so that an object
 * counts once over versions. Paths end in suffixes of every asset type; Zarrs are `.ome.zarr`.
 */
function catalogOf(
  rows: SessionRow[],
  moved: string[] = [],
  dropped: string | null = null,
): { catalog: Catalog; listed: Map<string, Listed> } {
  const keys = [...new Set(rows.map((row) => row.key))].sort();
  const listed = new Map<string, Listed>();
  const byDandiset = new Map<string, CatalogAsset[]>();
  keys.forEach((key, i) => {
    const slot = i % 7;
    // Five Dandisets of many objects, a sixth of one (too few regions to disclose), and none.
    const dandiset = moved.includes(key)
      ? "000001"
      : slot < 5
        ? String(slot + 1).padStart(6, "0")
        : i === 5
          ? "000006"
          : null;
    if (dandiset === null || dandiset === dropped) return;
    const id = key.slice(key.lastIndexOf("/") + 1);
    const zarr = key.startsWith("zarr/");
    const assetPath = `sub-${i % 11}/file-${i}${zarr ? ".ome.zarr" : SUFFIXES[i % SUFFIXES.length]}`;
    listed.set(key, { dandiset, path: assetPath });
    const asset: CatalogAsset = zarr
      ? { asset_id: `a-${i}`, path: assetPath, blob: null, zarr: id, size: 1 }
      : { asset_id: `a-${i}`, path: assetPath, blob: id, zarr: null, size: 1 };
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
  views: number;
}

interface Group {
  byDay: Map<string, Figures>;
  byRegion: Map<string, Figures>;
  byAsset: Map<string, Figures>;
  /** Bytes by `<monday>\t<asset path or type>`. */
  weeks: Map<string, bigint>;
  requesters: Set<string>;
}

/** The Monday of a date's week, computed here without map's code. */
function mondayOf(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7));
  return date.toISOString().slice(0, 10);
}

/**
 * The summaries as computed from the rows, by the definitions alone: per Dandiset, `archive` and
 * `undetermined`. A view begins at a 206 answer more than 8 hours after the address's previous 206
 * answer for the object (or its first), and counts on that row's day and region.
 */
function expectedGroups(rows: SessionRow[], listed: Map<string, Listed>): Map<string, Group> {
  const resolver = RegionResolver.create();
  const last = new Map<string, number>();
  const groups = new Map<string, Group>();
  const groupOf = (name: string) => {
    let group = groups.get(name);
    if (group === undefined) {
      group = {
        byDay: new Map(),
        byRegion: new Map(),
        byAsset: new Map(),
        weeks: new Map(),
        requesters: new Set(),
      };
      groups.set(name, group);
    }
    return group;
  };
  const ordered = [...rows].sort((a, b) =>
    a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0,
  );
  for (const row of ordered) {
    const seconds = Date.parse(`${row.timestamp}Z`) / 1000;
    let view = 0;
    if (row.status === 206) {
      const session = `${row.key} ${row.ip}`;
      const previous = last.get(session);
      if (previous === undefined || seconds - previous > 8 * 3600) view = 1;
      last.set(session, seconds);
    }
    const region = resolver.regionOf(row.ip);
    const entry = listed.get(row.key);
    const day = row.timestamp.slice(0, 10);
    const targets: [string, string, string][] = [
      ["archive", "", entry === undefined ? "Miscellaneous" : assetTypeOf(entry.path)],
      entry === undefined
        ? ["undetermined", "undetermined", "undetermined"]
        : [entry.dandiset, entry.path, entry.path],
    ];
    for (const [name, asset, weekColumn] of targets) {
      const group = groupOf(name);
      for (const [map, key] of [
        [group.byDay, day],
        [group.byRegion, publishedRegionOf(region)],
        [group.byAsset, asset],
      ] as const) {
        if (key === "") continue;
        const f = map.get(key) ?? { bytes: 0n, requests: 0, downloads: 0, views: 0 };
        f.bytes += BigInt(row.bytes);
        f.requests++;
        f.downloads += row.status === 200 ? 1 : 0;
        f.views += view;
        map.set(key, f);
      }
      const week = `${mondayOf(day)}\t${weekColumn}`;
      group.weeks.set(week, (group.weeks.get(week) ?? 0n) + BigInt(row.bytes));
      if (!isCloudRegion(region)) group.requesters.add(row.ip);
    }
  }
  return groups;
}

function tableText(keyColumn: string, map: Map<string, Figures>, order: "key" | "largest"): string {
  const keys = [...map.keys()].sort((a, b) => {
    if (order === "largest") {
      const x = map.get(a)!.bytes;
      const y = map.get(b)!.bytes;
      if (x !== y) return x > y ? -1 : 1;
    }
    return a < b ? -1 : 1;
  });
  let text = `${keyColumn}\tbytes_sent\tnumber_of_requests\tnumber_of_downloads\tnumber_of_views\n`;
  for (const key of keys) {
    const f = map.get(key)!;
    text += `${key}\t${f.bytes}\t${f.requests}\t${f.downloads}\t${f.views}\n`;
  }
  return text;
}

/** A weekly table: weeks in order, columns as given, 0 where nothing was sent. */
function weeklyText(weeks: Map<string, bigint>, columns: string[]): string {
  const mondays = [...new Set([...weeks.keys()].map((key) => key.slice(0, 10)))].sort();
  const lines = [["week_start", ...columns].join("\t")];
  for (const monday of mondays)
    lines.push(
      [monday, ...columns.map((column) => String(weeks.get(`${monday}\t${column}`) ?? 0n))].join("\t"),
    );
  return `${lines.join("\n")}\n`;
}

function typeWeeks(group: Group, byPath: boolean): { weeks: Map<string, bigint>; types: string[] } {
  const weeks = new Map<string, bigint>();
  for (const [key, bytes] of group.weeks) {
    const [monday, column] = key.split("\t");
    const type = byPath ? assetTypeOf(column) : column;
    weeks.set(`${monday}\t${type}`, (weeks.get(`${monday}\t${type}`) ?? 0n) + bytes);
  }
  const present = new Set([...weeks.keys()].map((key) => key.split("\t")[1]));
  return {
    weeks,
    types: ["Neurophysiology", "Microscopy", "Video", "Miscellaneous"].filter((t) => present.has(t)),
  };
}

function totalsOf(group: Group): Record<string, number> {
  const all = [...group.byDay.values()];
  const regions = [...group.byRegion.keys()];
  const countries = new Set(regions.filter((r) => r.includes("/")).map(countryOfPublished));
  countries.delete(null);
  return {
    number_of_requesters: group.requesters.size,
    number_of_unique_countries: countries.size,
    number_of_unique_regions: regions.length,
    total_bytes_sent: Number(all.reduce((s, f) => s + f.bytes, 0n)),
    total_number_of_downloads: all.reduce((s, f) => s + f.downloads, 0),
    total_number_of_requests: all.reduce((s, f) => s + f.requests, 0),
    total_number_of_views: all.reduce((s, f) => s + f.views, 0),
  };
}

async function binDays(reducedAll: string, days: string[], reduced: string, binned: string): Promise<void> {
  for (const day of days) {
    fs.mkdirSync(path.dirname(path.join(reduced, day)), { recursive: true });
    fs.copyFileSync(path.join(reducedAll, day), path.join(reduced, day));
  }
  await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
}

/** Every change of a by_region.tsv published: the folders are then those of one run over everything. */
const EVERY_CHANGE = { regionDisclosureThreshold: 0 };

describe("access summaries", () => {
  const root = tempFolder("summaries");
  const reducedAll = path.join(root, "reduced-all");
  const { days, rows } = generateSessionDays(reducedAll, {
    seed: 7,
    days: 5,
    startDate: "2024-02-28",
    blobCount: 300,
    zarrCount: 20,
    ipCount: 400,
    visitsPerDay: 700,
  });
  const { catalog, listed } = catalogOf(rows);
  const catalogFile = path.join(root, "catalog.json");
  writeCatalog(catalogFile, catalog);
  const binned = path.join(root, "binned");
  const ready = binDays(reducedAll, days, path.join(root, "reduced"), binned);
  const expected = expectedGroups(rows, listed);

  test("every figure equals what the rows give by DANDI's definitions, for each Dandiset, undetermined and the archive", async () => {
    await ready;
    const summaries = path.join(root, "exact");
    const summary = await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: path.join(root, "mapped-exact"),
      catalog: catalogFile,
      summariesFolder: summaries,
      ...EVERY_CHANGE,
    });
    const tree = readTree(summaries);
    const totals = JSON.parse(tree.get("totals.json")!) as Record<string, Record<string, number>>;
    const dandisets = [...expected.keys()].filter((g) => /^\d{6}$/.test(g)).sort();
    assert.equal(dandisets.length, 6);
    assert.deepEqual(Object.keys(totals), [...dandisets, "undetermined"]);
    let views = 0;
    for (const id of [...dandisets, "undetermined"]) {
      const g = expected.get(id)!;
      const file = (name: string) => tree.get(`summaries/${id}/${name}`);
      assert.equal(file("by_day.tsv"), tableText("date", g.byDay, "key"), `${id} by day`);
      assert.equal(file("by_region.tsv"), tableText("region", g.byRegion, "largest"), `${id} by region`);
      assert.equal(file("by_asset.tsv"), tableText("asset_path", g.byAsset, "largest"), `${id} by asset`);
      const paths = [...g.byAsset.keys()].sort();
      assert.equal(file("by_asset_per_week.tsv"), weeklyText(g.weeks, paths), `${id} by asset per week`);
      const { weeks, types } = typeWeeks(g, true);
      assert.equal(
        file("by_asset_type_per_week.tsv"),
        weeklyText(weeks, types),
        `${id} by asset type per week`,
      );
      assert.equal(file("requester_count.tsv"), String(g.requesters.size), `${id} requesters`);
      assert.deepEqual(totals[id], totalsOf(g), `${id} totals`);
      views += totalsOf(g).total_number_of_views;
    }
    const archive = expected.get("archive")!;
    assert.equal(tree.get("summaries/archive/by_day.tsv"), tableText("date", archive.byDay, "key"));
    assert.equal(
      tree.get("summaries/archive/by_region.tsv"),
      tableText("region", archive.byRegion, "largest"),
    );
    const { weeks, types } = typeWeeks(archive, false);
    assert.equal(tree.get("summaries/archive/by_asset_type_per_week.tsv"), weeklyText(weeks, types));
    assert.deepEqual(types, ["Neurophysiology", "Microscopy", "Video", "Miscellaneous"]);
    assert.equal(tree.get("summaries/archive/requester_count.tsv"), String(archive.requesters.size));
    assert.deepEqual(JSON.parse(tree.get("archive_totals.json")!), totalsOf(archive));
    assert.equal(
      totalsOf(archive).total_number_of_views,
      views,
      "every view is some Dandiset's or undetermined",
    );
    assert.ok(
      views > 500 && totalsOf(archive).total_number_of_downloads > 500,
      "the logs hold views and downloads",
    );
    assert.equal(summary.requesters, archive.requesters.size);
    assert.ok(
      archive.requesters.size < new Set(rows.map((r) => r.ip)).size,
      "cloud addresses are no requesters",
    );
    // The key the requesters are hashed under is readable by its owner only, and kept outside what is published.
    assert.equal(
      fs.statSync(path.join(root, "mapped-exact", ".map_state", "requester_key")).mode & 0o777,
      0o600,
    );

    // Coordinates for every region label, null for those that are not places.
    const yaml = parseYaml(tree.get("region_codes_to_coordinates.yaml")!) as Record<
      string,
      { latitude: number | null; longitude: number | null }
    >;
    assert.deepEqual(Object.keys(yaml).sort(), [...archive.byRegion.keys()].sort());
    for (const [region, at] of Object.entries(yaml)) {
      if (at.latitude === null)
        assert.ok(!region.includes("/") || isCloudRegion(region), `${region} has no place`);
      else assert.ok(Math.abs(at.latitude) <= 90 && Math.abs(at.longitude!) <= 180, region);
    }
    assert.ok(Object.values(yaml).some((at) => at.latitude !== null));
    assert.deepEqual(pageProblems(summaries), []);
  });

  test("with the default rule, by_region.tsv appears only with more than 5 resolved regions; the page reads everything; no address anywhere", async () => {
    await ready;
    const summaries = path.join(root, "default-rule");
    const mapped = path.join(root, "mapped-default-rule");
    // The folder an earlier version published: `<50` cells, four columns, `unassociated/`.
    const old = "region\tbytes_sent\tnumber_of_requests\tnumber_of_downloads\nUS/California\t5\t<50\t<50\n";
    for (const id of [...expected.keys()].filter((g) => g !== "archive" && g !== "undetermined"))
      fs.mkdirSync(path.join(summaries, "summaries", id), { recursive: true });
    for (const id of ["000001", "000002", "000003", "000004", "000005", "archive", "unassociated"]) {
      fs.mkdirSync(path.join(summaries, "summaries", id), { recursive: true });
      fs.writeFileSync(path.join(summaries, "summaries", id, "by_region.tsv"), old);
    }
    fs.writeFileSync(
      path.join(summaries, "totals.json"),
      '{"unassociated": {"total_number_of_requests": "<50"}}\n',
    );
    await mapBinnedS3LogsToDandisets({
      binnedFolder: binned,
      mappedFolder: mapped,
      catalog: catalogFile,
      summariesFolder: summaries,
    });
    const tree = readTree(summaries);
    const totals = JSON.parse(tree.get("totals.json")!) as Record<string, Record<string, number>>;
    let hidden = 0;
    for (const id of Object.keys(totals)) {
      const resolved = [...expected.get(id)!.byRegion.keys()].filter((r) => r.includes("/")).length;
      const shown = tree.has(`summaries/${id}/by_region.tsv`);
      assert.equal(shown, resolved > 5, `${id}: ${resolved} resolved regions`);
      if (!shown) {
        hidden++;
        assert.equal(totals[id].number_of_unique_regions, 0, `${id}: no regions while none are published`);
        assert.equal(totals[id].number_of_unique_countries, 0);
      } else assert.deepEqual(totals[id], totalsOf(expected.get(id)!));
    }
    assert.deepEqual(pageProblems(summaries), []);
    for (const [file, text] of tree) assert.ok(!text.includes("<50"), `${file} still holds <50`);
    assert.ok(!fs.existsSync(path.join(summaries, "summaries", "unassociated")));
    // No address, in any form, in anything published or kept by map.
    const addresses = [...new Set(rows.map((row) => row.ip))];
    for (const [name, folder] of [
      ["summaries", summaries],
      ["mapped", mapped],
    ] as const) {
      for (const [file, text] of readTree(folder))
        for (const ip of addresses) assert.ok(!text.includes(ip), `${name}/${file} holds the address ${ip}`);
    }
    assert.ok(hidden > 0, "some Dandiset shows too few regions to publish them");
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
    await assert.rejects(mapBinnedS3LogsToDandisets({ ...selected, restrictTo: [first] }), {
      code: "ERR_SUMMARIES_NEED_WHOLE_CATALOG",
    });
    assert.deepEqual(readTree(summaries), new Map(), "nothing was published");
    await mapBinnedS3LogsToDandisets(selected);
    const whole = readTree(summaries);
    await mapBinnedS3LogsToDandisets({ ...selected, restrictTo: [first] });
    assert.deepEqual(readTree(summaries), whole, "a selection over the same rows changes nothing");
  });

  test("views continue across runs and late days: run after run, with catalog changes, equals one run from scratch", async () => {
    const runRoot = tempFolder("summaries-incremental");
    const reduced = path.join(runRoot, "reduced");
    const incBinned = path.join(runRoot, "binned");
    const mapped = path.join(runRoot, "mapped");
    const summaries = path.join(runRoot, "summaries");
    const run = (catalogPath: string, summariesFolder = summaries, mappedFolder = mapped) =>
      mapBinnedS3LogsToDandisets({
        binnedFolder: incBinned,
        mappedFolder,
        catalog: catalogPath,
        summariesFolder,
        ...EVERY_CHANGE,
      });
    // Days 1, 2 and 4, one run each: views that began before midnight go on in the next run.
    for (const day of [days[0], days[1], days[3]]) {
      await binDays(reducedAll, [day], reduced, incBinned);
      await run(catalogFile);
    }
    // Day 3 comes late, binned into place between days 2 and 4.
    await binDays(reducedAll, [days[2]], reduced, incBinned);
    await run(catalogFile);
    // Two undetermined objects join Dandiset 000001, Dandiset 000004 is deleted (its objects become
    // undetermined), and the last day comes.
    const unlisted = [...new Set(rows.map((r) => r.key))].filter((key) => !listed.has(key)).slice(0, 2);
    const secondCatalog = path.join(runRoot, "catalog-2.json");
    writeCatalog(secondCatalog, catalogOf(rows, unlisted, "000004").catalog);
    await binDays(reducedAll, days.slice(4), reduced, incBinned);
    const last = await run(secondCatalog);
    assert.ok(
      last.summaryFilesWritten > 0 && last.summaryFilesUnchanged > 0,
      "only what changed is rewritten",
    );

    const scratch = path.join(runRoot, "scratch");
    await run(secondCatalog, scratch, path.join(runRoot, "mapped-scratch"));
    assert.deepEqual(readTree(summaries), readTree(scratch));
    const totals = JSON.parse(fs.readFileSync(path.join(scratch, "archive_totals.json"), "utf8"));
    assert.equal(totals.total_number_of_views, totalsOf(expected.get("archive")!).total_number_of_views);
    // Nothing new: nothing written.
    const again = await run(secondCatalog);
    assert.equal(again.summaryFilesWritten + again.summaryFilesRemoved, 0);
  });

  test("killed while mapping and publishing, then run again, gives the uninterrupted result", async () => {
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
      "--region_disclosure_threshold",
      "0",
      "--quiet",
    ];
    const mapCli = async (folder: string) => {
      const child = startCli("main", args(folder));
      const [code] = await once(child, "exit");
      assert.equal(code, 0);
    };
    await mapCli(base);
    await binDays(reducedAll, days.slice(2), reduced, killBinned);
    const expectedFolder = path.join(runRoot, "expected");
    fs.cpSync(base, expectedFolder, { recursive: true });
    await mapCli(expectedFolder);
    const before = readTree(path.join(base, "summaries"));
    const after = readTree(path.join(expectedFolder, "summaries"));
    const undoLog = (folder: string, log: string) =>
      path.join(folder, "mapped", ".map_state", log, "undo_log");

    for (const [log, killAt] of [
      [".", 2000],
      [".", 60_000],
      ["summaries_undo", 1],
      ["summaries_undo", 900],
    ] as const) {
      const out = path.join(runRoot, `killed-${log}-${killAt}`);
      fs.cpSync(base, out, { recursive: true });
      const child = startCli("main", args(out));
      const exit = once(child, "exit");
      // Aim by what the run has written: its undo logs grow with every change.
      await waitUntil(
        child,
        () => (fs.statSync(undoLog(out, log), { throwIfNoEntry: false })?.size ?? 0) >= killAt,
        `${killAt} bytes of ${log} undo log`,
      );
      child.kill("SIGKILL");
      await exit;
      // Every published file is whole: as before the run, or as after it.
      for (const [file, content] of readTree(path.join(out, "summaries"))) {
        if (isTempFile(path.basename(file)) || file.startsWith(SUMMARIES_LOCK)) continue;
        assert.ok(content === before.get(file) || content === after.get(file), `${file} is half-written`);
      }
      await mapCli(out);
      assert.deepEqual(readTree(path.join(out, "summaries")), after, `killed at ${killAt} bytes of ${log}`);
      // The journal names the summaries folder, which differs between copies; the state beside it must not.
      const comparable = (folder: string) =>
        new Map(
          [...mapTree(path.join(folder, "mapped"))].map(([file, text]) => [
            file,
            text.replaceAll(folder, "<run>"),
          ]),
        );
      assert.deepEqual(comparable(out), comparable(expectedFolder));
    }
  });

  test("the retired privacy flags stop map with exit code 2 and the rule that replaced them", async () => {
    await ready;
    for (const flag of ["--privacy_threshold", "--privacy_rounding"]) {
      const result = runCli("main", [
        "map",
        "--binned_s3_logs_folder_path",
        binned,
        "--mapped_s3_logs_folder_path",
        path.join(root, "mapped-retired"),
        "--catalog",
        catalogFile,
        flag,
        "20",
      ]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`${flag} is gone: .*exact counts.*--region_disclosure_threshold`),
      );
      assert.equal(fs.existsSync(path.join(root, "mapped-retired")), false, "nothing was mapped");
    }
  });
});
