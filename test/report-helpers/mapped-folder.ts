/**
 * Writes mapped folders for the report's tests and timing, laid out as the map step writes them: asset
 * files, version and Dandiset summaries and, unless asked not to, the request tables and totals.json
 * files. Seeded, so the same options give the same folder.
 *
 * As a script: node --import tsx test/report-helpers/mapped-folder.ts <folder> <dandisets> [--original-only]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Random } from "../../src/generate/random.ts";

export interface MappedFolderOptions {
  dandisets: number;
  seed?: number;
  /** Only the tables of the original tool: no request tables, no totals.json, no archive tables. */
  originalOnly?: boolean;
  /** One Dandiset (the first) gets this many assets and a span of years, to exercise caps and monthly bars. */
  bigDandisetAssets?: number;
  /** Titles recorded in the Dandisets' totals.json (`"name"`), by id; the others get `null`, as map writes for a catalog without names. */
  names?: Record<string, string>;
}

export interface ExpectedFigures {
  bytes: number;
  requests: number;
  dandisets: { id: string; bytes: number; requests: number; versions: number; assets: number }[];
  regions: string[];
}

const REGIONS: [string, number][] = [
  ["US/California", 20],
  ["US/Virginia", 10],
  ["US/Texas", 5],
  ["DE", 6],
  ["GB/England", 5],
  ["FR/Île-de-France", 3],
  ["JP/Tokyo", 3],
  ["CN/Beijing", 2],
  ["BR/São Paulo", 1],
  ["AWS/us-east-2", 12],
  ["AWS/us-west-2", 4],
  ["GCP/us-central1", 4],
  ["Azure/eastus", 2],
  ["GitHub", 2],
  ["unknown", 6],
];

interface Request {
  timestamp: string;
  bytes: number;
  region: string;
}

const DAY_MS = 86_400_000;

export function writeMappedFolder(folder: string, options: MappedFolderOptions): ExpectedFigures {
  const random = new Random(options.seed ?? 1);
  const expected: ExpectedFigures = { bytes: 0, requests: 0, dandisets: [], regions: [] };
  const archiveDays = new Map<string, [number, number]>();
  const archiveRegions = new Map<string, [number, number]>();
  const archiveStart = Date.UTC(2021, 0, 1);
  for (let d = 0; d < options.dandisets; d++) {
    const id = String(d + 1).padStart(6, "0");
    const big = d === 0 && options.bigDandisetAssets !== undefined;
    const assetCount = big ? options.bigDandisetAssets! : random.int(1, random.chance(0.1) ? 60 : 8);
    const spanDays = big ? 1500 : random.chance(0.5) ? random.int(1, 90) : random.int(91, 900);
    const start = archiveStart + random.int(0, 400) * DAY_MS;
    const assets = Array.from({ length: assetCount }, (_, a) => {
      const subject = `sub-${String(a % 7).padStart(2, "0")}`;
      const zarr = a % 11 === 10;
      const assetPath = zarr
        ? `${subject}/micr/${subject}_sample-${a}_SPIM.ome.zarr`
        : `${subject}/${subject}_ses-${a}_behavior+ecephys.nwb`;
      const count = random.chance(0.05) ? random.int(50, 400) : random.int(1, 12);
      const requests: Request[] = Array.from({ length: count }, () => ({
        timestamp: new Date(
          start + random.int(0, spanDays - 1) * DAY_MS + random.int(0, DAY_MS / 1000 - 1) * 1000,
        )
          .toISOString()
          .slice(0, 19),
        bytes: random.chance(0.3) ? random.int(1, 5_000_000_000) : random.int(1, 2_000_000),
        region: random.weighted(REGIONS),
      }));
      requests.sort((x, y) => (x.timestamp < y.timestamp ? -1 : x.timestamp > y.timestamp ? 1 : 0));
      return { path: assetPath, requests };
    });
    const published = random.int(0, 3);
    const versions = [{ id: "draft", assets }];
    for (let v = 0; v < published; v++) {
      const day = new Date(start + v * 40 * DAY_MS).toISOString();
      const version = `0.${day.slice(2, 4)}${day.slice(5, 7)}${day.slice(8, 10)}.${String(1000 + v * 111).slice(0, 4)}`;
      versions.push({ id: version, assets: assets.slice(0, Math.max(1, assets.length - v)) });
    }
    const dandisetFolder = path.join(folder, id);
    for (const version of versions) {
      const versionFolder = path.join(dandisetFolder, version.id);
      fs.mkdirSync(versionFolder, { recursive: true });
      for (const asset of version.assets) {
        const name = `${path.posix.basename(asset.path).replaceAll(".", "_")}.tsv`;
        const rows = asset.requests.map((r, i) => `${i}\t${r.timestamp}\t${r.bytes}\t${r.region}\n`);
        fs.writeFileSync(path.join(versionFolder, name), `\ttimestamp\tbytes_sent\tregion\n${rows.join("")}`);
      }
      writeSummaries(versionFolder, "version", version.assets, options.originalOnly === true);
    }
    const sums = writeSummaries(dandisetFolder, "dandiset", assets, options.originalOnly === true);
    if (!options.originalOnly) {
      fs.writeFileSync(
        path.join(dandisetFolder, "totals.json"),
        `${JSON.stringify({
          dandiset_id: id,
          ...(options.names === undefined ? {} : { name: options.names[id] ?? null }),
          bytes_sent: sums.bytes,
          requests: sums.requests,
          unique_regions: sums.regions.filter((r) => r !== "unknown").length,
          unique_countries: new Set(
            sums.regions.filter((r) => /^[A-Z]{2}(\/|$)/.test(r)).map((r) => r.slice(0, 2)),
          ).size,
          first_date: sums.firstDate,
          last_date: sums.lastDate,
          versions: versions.length,
        })}\n`,
      );
    }
    for (const asset of assets) {
      for (const r of asset.requests) {
        add(archiveDays, r.timestamp.slice(0, 10), r.bytes);
        add(archiveRegions, r.region, r.bytes);
      }
    }
    expected.bytes += sums.bytes;
    expected.requests += sums.requests;
    expected.dandisets.push({
      id,
      bytes: sums.bytes,
      requests: sums.requests,
      versions: versions.length,
      assets: assets.length,
    });
  }
  expected.regions = [...archiveRegions.keys()].sort();
  if (!options.originalOnly) {
    writeTable(path.join(folder, "archive_summary_by_day.tsv"), "date", "bytes_sent", byKey(archiveDays, 0));
    writeTable(
      path.join(folder, "archive_summary_by_region.tsv"),
      "region",
      "bytes_sent",
      largestFirst(archiveRegions, 0),
    );
    writeTable(path.join(folder, "archive_requests_by_day.tsv"), "date", "requests", byKey(archiveDays, 1));
    writeTable(
      path.join(folder, "archive_requests_by_region.tsv"),
      "region",
      "requests",
      largestFirst(archiveRegions, 1),
    );
    const days = [...archiveDays.keys()].sort();
    const known = expected.regions.filter((r) => r !== "unknown");
    fs.writeFileSync(
      path.join(folder, "totals.json"),
      `${JSON.stringify({
        bytes_sent: expected.bytes,
        requests: expected.requests,
        unique_regions: known.length,
        unique_countries: new Set(known.filter((r) => /^[A-Z]{2}(\/|$)/.test(r)).map((r) => r.slice(0, 2)))
          .size,
        dandisets: options.dandisets,
        first_date: days[0] ?? null,
        last_date: days.at(-1) ?? null,
      })}\n`,
    );
  }
  return expected;
}

function writeSummaries(
  folder: string,
  level: "version" | "dandiset",
  assets: readonly { path: string; requests: Request[] }[],
  originalOnly: boolean,
) {
  const days = new Map<string, [number, number]>();
  const regions = new Map<string, [number, number]>();
  const byAsset = new Map<string, [number, number]>();
  for (const asset of assets) {
    for (const r of asset.requests) {
      add(days, r.timestamp.slice(0, 10), r.bytes);
      add(regions, r.region, r.bytes);
      add(byAsset, asset.path, r.bytes);
    }
  }
  const prefix = path.join(folder, level);
  writeTable(`${prefix}_summary_by_day.tsv`, "date", "bytes_sent", byKey(days, 0));
  writeTable(`${prefix}_summary_by_region.tsv`, "region", "bytes_sent", largestFirst(regions, 0));
  writeTable(`${prefix}_summary_by_asset.tsv`, "asset_path", "bytes_sent", largestFirst(byAsset, 0));
  if (!originalOnly) {
    writeTable(`${prefix}_requests_by_day.tsv`, "date", "requests", byKey(days, 1));
    writeTable(`${prefix}_requests_by_region.tsv`, "region", "requests", largestFirst(regions, 1));
    writeTable(`${prefix}_requests_by_asset.tsv`, "asset_path", "requests", largestFirst(byAsset, 1));
  }
  let bytes = 0;
  let requests = 0;
  for (const [b, n] of days.values()) {
    bytes += b;
    requests += n;
  }
  const sortedDays = [...days.keys()].sort();
  return {
    bytes,
    requests,
    regions: [...regions.keys()],
    firstDate: sortedDays[0],
    lastDate: sortedDays.at(-1),
  };
}

function add(map: Map<string, [number, number]>, key: string, bytes: number): void {
  const sum = map.get(key) ?? [0, 0];
  sum[0] += bytes;
  sum[1]++;
  map.set(key, sum);
}

function byKey(map: Map<string, [number, number]>, column: 0 | 1): [string, number][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, sums]) => [key, sums[column]]);
}

function largestFirst(map: Map<string, [number, number]>, column: 0 | 1): [string, number][] {
  return [...map]
    .map(([key, sums]): [string, number] => [key, sums[column]])
    .sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : 1));
}

function writeTable(file: string, keyColumn: string, valueColumn: string, rows: [string, number][]): void {
  fs.writeFileSync(file, `${keyColumn}\t${valueColumn}\n${rows.map(([k, v]) => `${k}\t${v}\n`).join("")}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [folder, count, ...flags] = process.argv.slice(2);
  if (folder === undefined || !(Number(count) > 0)) {
    process.stderr.write("usage: mapped-folder.ts <folder> <dandisets> [--original-only]\n");
    process.exit(2);
  }
  const expected = writeMappedFolder(folder, {
    dandisets: Number(count),
    originalOnly: flags.includes("--original-only"),
    bigDandisetAssets: 2000,
  });
  process.stdout.write(
    `${folder}: ${count} Dandisets, ${expected.requests} requests, ${expected.bytes} bytes\n`,
  );
}
