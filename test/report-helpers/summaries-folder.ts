/**
 * Hand-written summaries folders for the report's tests, beside a mapped folder made by
 * writeMappedFolder: today's layout (src/formats/summaries-folder.ts), or an earlier version's
 * (privacy-rounded `<50` cells, tables without views or downloads, `unassociated`). The figures are
 * made up from the mapped tables, not computed as map would: the tests compare the pages with these
 * files, not with the logs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { listDandisets } from "../../src/report/load-dandiset.ts";

export interface TodaysFolderOptions {
  /** Leave out every `by_region.tsv`, as map does until one names more than 5 regions. */
  withoutRegions?: boolean;
  /** Columns of `by_asset_type_per_week.tsv`, and each one's share of a week's bytes (integers summing to 100). */
  typeShares?: [string, number][];
}

const DAY_MS = 86_400_000;
const DEFAULT_SHARES: [string, number][] = [
  ["Neurophysiology", 70],
  ["Microscopy", 20],
  ["Miscellaneous", 10],
];

/** A table of the mapped folder as `[key, number]` rows, header dropped. */
function mappedRows(file: string): [string, number][] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .slice(1)
    .filter((line) => line !== "")
    .map((line) => {
      const tab = line.lastIndexOf("\t");
      return [line.slice(0, tab), Number(line.slice(tab + 1))];
    });
}

/** Bytes, requests, downloads and views of each key: downloads a third of the requests, views a quarter. */
function countRows(folder: string, level: string, key: string): string[][] {
  const requests = new Map(mappedRows(path.join(folder, `${level}_requests_by_${key}.tsv`)));
  return mappedRows(path.join(folder, `${level}_summary_by_${key}.tsv`)).map(([name, bytes]) => {
    const n = requests.get(name) ?? 0;
    return [name, String(bytes), String(n), String(Math.floor(n / 3)), String(Math.floor(n / 4))];
  });
}

function mondayOf(date: string): string {
  const at = Date.parse(`${date}T00:00:00Z`);
  return new Date(at - ((new Date(at).getUTCDay() + 6) % 7) * DAY_MS).toISOString().slice(0, 10);
}

function tableText(header: string[], rows: string[][]): string {
  return [header, ...rows].map((row) => `${row.join("\t")}\n`).join("");
}

function totalsOf(rows: string[][], requesters: number) {
  let bytes = 0;
  let requests = 0;
  let downloads = 0;
  let views = 0;
  for (const row of rows) {
    bytes += Number(row[1]);
    requests += Number(row[2]);
    downloads += Number(row[3]);
    views += Number(row[4]);
  }
  return {
    number_of_requesters: requesters,
    number_of_unique_countries: 2,
    number_of_unique_regions: 6,
    total_bytes_sent: bytes,
    total_number_of_downloads: downloads,
    total_number_of_requests: requests,
    total_number_of_views: views,
  };
}

const VALUE_HEADER = ["bytes_sent", "number_of_requests", "number_of_downloads", "number_of_views"];

/**
 * Today's layout for the Dandisets of `mappedFolder` (which needs its request tables), the archive
 * and `undetermined`; bytes by week are the mapped bytes by day summed into weeks, shared out by type.
 */
export function writeTodaysSummaries(
  mappedFolder: string,
  summariesFolder: string,
  options: TodaysFolderOptions = {},
): void {
  const shares = options.typeShares ?? DEFAULT_SHARES;
  const totals: Record<string, object> = {};
  const archiveWeeks = new Map<string, number>();
  const write = (group: string, name: string, text: string) => {
    fs.mkdirSync(path.join(summariesFolder, "summaries", group), { recursive: true });
    fs.writeFileSync(path.join(summariesFolder, "summaries", group, name), text);
  };
  const writeWeeks = (group: string, weeks: Map<string, number>) => {
    const rows = [...weeks].sort(([a], [b]) => (a < b ? -1 : 1));
    write(
      group,
      "by_asset_type_per_week.tsv",
      tableText(
        ["week_start", ...shares.map(([type]) => type)],
        rows.map(([week, bytes]) => {
          const parts = shares.map(([, share]) => Math.floor((bytes * share) / 100));
          parts[0] += bytes - parts.reduce((sum, part) => sum + part, 0);
          return [week, ...parts.map(String)];
        }),
      ),
    );
  };
  for (const [n, id] of listDandisets(mappedFolder).entries()) {
    const folder = path.join(mappedFolder, id);
    const byDay = countRows(folder, "dandiset", "day");
    write(id, "by_day.tsv", tableText(["date", ...VALUE_HEADER], byDay));
    write(
      id,
      "by_asset.tsv",
      tableText(["asset_path", ...VALUE_HEADER], countRows(folder, "dandiset", "asset")),
    );
    if (!options.withoutRegions)
      write(
        id,
        "by_region.tsv",
        tableText(["region", ...VALUE_HEADER], countRows(folder, "dandiset", "region")),
      );
    const weeks = new Map<string, number>();
    for (const row of byDay) {
      const week = mondayOf(row[0]);
      weeks.set(week, (weeks.get(week) ?? 0) + Number(row[1]));
      archiveWeeks.set(week, (archiveWeeks.get(week) ?? 0) + Number(row[1]));
    }
    writeWeeks(id, weeks);
    totals[id] = totalsOf(byDay, 10 + n);
  }
  const undetermined = [["2021-03-01", "5000000", "12", "4", "3"]];
  write("undetermined", "by_day.tsv", tableText(["date", ...VALUE_HEADER], undetermined));
  write(
    "undetermined",
    "by_asset.tsv",
    tableText(["asset_path", ...VALUE_HEADER], [["undetermined", ...undetermined[0].slice(1)]]),
  );
  if (!options.withoutRegions)
    write(
      "undetermined",
      "by_region.tsv",
      tableText(
        ["region", ...VALUE_HEADER],
        [
          ["USA/CA", "4000000", "8", "3", "2"],
          ["AWS/us-east-1", "1000000", "4", "1", "1"],
        ],
      ),
    );
  totals.undetermined = totalsOf(undetermined, 7);
  const archiveDays = countRows(mappedFolder, "archive", "day");
  write("archive", "by_day.tsv", tableText(["date", ...VALUE_HEADER], archiveDays));
  writeWeeks("archive", archiveWeeks);
  fs.writeFileSync(path.join(summariesFolder, "totals.json"), `${JSON.stringify(totals, null, 2)}\n`);
  fs.writeFileSync(
    path.join(summariesFolder, "archive_totals.json"),
    `${JSON.stringify(totalsOf(archiveDays, 99), null, 2)}\n`,
  );
}

/**
 * An earlier version's folder: counts below 50 written `<50` and others rounded, tables by day and
 * by asset with three columns (no downloads) or four (no views), the traffic of objects no Dandiset
 * lists under `unassociated`, no table by week.
 */
export function writeEarlierSummaries(mappedFolder: string, summariesFolder: string): void {
  const ids = listDandisets(mappedFolder);
  const write = (group: string, name: string, text: string) => {
    fs.mkdirSync(path.join(summariesFolder, "summaries", group), { recursive: true });
    fs.writeFileSync(path.join(summariesFolder, "summaries", group, name), text);
  };
  const rounded = (n: number) => (n < 50 ? "<50" : String(Math.round(n / 20) * 20));
  const totals: Record<string, object> = {};
  for (const [n, id] of ids.entries()) {
    const folder = path.join(mappedFolder, id);
    const rows = countRows(folder, "dandiset", "asset");
    // The first Dandiset's tables have three columns, the others four with rounded downloads.
    const cells = (row: string[]) =>
      n === 0
        ? [row[0], row[1], rounded(Number(row[2]))]
        : [row[0], row[1], rounded(Number(row[2])), rounded(Number(row[3]))];
    const header =
      n === 0
        ? ["bytes_sent", "number_of_requests"]
        : ["bytes_sent", "number_of_requests", "number_of_downloads"];
    write(id, "by_asset.tsv", tableText(["asset_path", ...header], rows.map(cells)));
    write(id, "by_day.tsv", tableText(["date", ...header], countRows(folder, "dandiset", "day").map(cells)));
    const sums = totalsOf(rows, 0);
    totals[id] = {
      total_bytes_sent: sums.total_bytes_sent,
      number_of_unique_regions: 4,
      number_of_unique_countries: 2,
      total_number_of_requests: rounded(sums.total_number_of_requests),
      total_number_of_downloads: n === 0 ? "<50" : 60,
      number_of_requesters: "<50",
    };
  }
  totals.unassociated = {
    total_bytes_sent: 5000000,
    number_of_unique_regions: 2,
    number_of_unique_countries: 1,
    total_number_of_requests: "<50",
    total_number_of_downloads: 0,
    number_of_requesters: "<50",
  };
  write(
    "unassociated",
    "by_region.tsv",
    "region\tbytes_sent\tnumber_of_requests\tnumber_of_downloads\nUS/California\t4000000\t<50\t0\nAWS/us-east-2\t1000000\t<50\t0\n",
  );
  fs.writeFileSync(path.join(summariesFolder, "totals.json"), JSON.stringify(totals));
  fs.writeFileSync(
    path.join(summariesFolder, "archive_totals.json"),
    JSON.stringify({
      total_bytes_sent: 123456789,
      number_of_unique_regions: 9,
      number_of_unique_countries: 4,
      total_number_of_requests: 700,
      total_number_of_downloads: 260,
      number_of_requesters: "<50",
    }),
  );
}
