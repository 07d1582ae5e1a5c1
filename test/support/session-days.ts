import * as fs from "node:fs";
import * as path from "node:path";
import { makeAssetPool, makeIpPool } from "../../src/generate/pools.ts";
import { Random } from "../../src/generate/random.ts";
import { REDUCED_HEADER } from "../../src/io/table-headers.ts";

/** One reduced row, as the summaries are computed from it here, independently of map. */
export interface SessionRow {
  timestamp: string;
  ip: string;
  key: string;
  bytes: number;
  status: number;
}

export interface SessionDaysOptions {
  seed: number;
  days: number;
  startDate: string;
  blobCount: number;
  zarrCount: number;
  ipCount: number;
  visitsPerDay: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * Reduced day files (with the HTTP status) whose requests come as visits of one address to one
 * object, shaped to test views: bursts of 206 answers minutes apart, whole downloads (200), other
 * 2xx answers, and 206 answers exactly 8 hours apart (one view), 8 hours and a second apart (two),
 * and just before and after midnight (one view, across day files and so across runs). Each row
 * goes to the day file of its own timestamp. Returns the files in order, and every row.
 */
export function generateSessionDays(
  folder: string,
  options: SessionDaysOptions,
): { days: string[]; rows: SessionRow[] } {
  const random = new Random(options.seed);
  const pool = makeAssetPool(new Random(options.seed ^ 0x5eed), options.blobCount, options.zarrCount);
  const ips = makeIpPool(new Random(options.seed ^ 0x1b5), options.ipCount);
  const objects = [
    ...pool.blobs.map((b) => ({
      key: `blobs/${b.id.slice(0, 3)}/${b.id.slice(3, 6)}/${b.id}`,
      size: b.size,
    })),
    ...pool.zarrs.map((z) => ({ key: `zarr/${z.id}`, size: z.chunkSize })),
  ];
  const start = Date.parse(`${options.startDate}T00:00:00Z`) / 1000;
  const end = start + options.days * DAY;
  const rows: (SessionRow & { at: number })[] = [];
  const add = (at: number, ip: string, object: (typeof objects)[number], status: number) => {
    if (at < start || at >= end) return;
    const bytes = status === 200 ? object.size : random.int(1, Math.max(1, Math.min(object.size, 8_000_000)));
    rows.push({
      at,
      timestamp: new Date(at * 1000).toISOString().slice(0, 19),
      ip,
      key: object.key,
      bytes,
      status,
    });
  };
  for (let day = 0; day < options.days; day++) {
    for (let visit = 0; visit < options.visitsPerDay; visit++) {
      const ip = random.pick(ips);
      const object = random.pick(objects);
      let at = start + day * DAY + random.int(0, DAY - 1);
      const shape = random.weighted([
        ["burst", 10],
        ["download", 5],
        ["other", 1],
        ["eight hours", 1],
        ["eight hours and a second", 1],
        ["midnight", 2],
      ] as const);
      if (shape === "burst") {
        for (let n = random.int(1, 6); n > 0; n--) {
          add(at, ip, object, 206);
          at += random.int(0, 900);
        }
      } else if (shape === "download") add(at, ip, object, 200);
      else if (shape === "other") add(at, ip, object, random.pick([201, 203, 204]));
      else if (shape === "midnight") {
        const midnight = start + (day + 1) * DAY;
        add(midnight - random.int(1, 1200), ip, object, 206);
        add(midnight + random.int(0, 1200), ip, object, 206);
      } else {
        add(at, ip, object, 206);
        add(at + 8 * HOUR + (shape === "eight hours" ? 0 : 1), ip, object, 206);
      }
    }
  }
  rows.sort((a, b) => a.at - b.at);
  const byFile = new Map<string, string[]>();
  for (const row of rows) {
    const file = `${row.timestamp.slice(0, 4)}/${row.timestamp.slice(5, 7)}/${row.timestamp.slice(8, 10)}.tsv`;
    const lines = byFile.get(file) ?? [REDUCED_HEADER];
    lines.push(`${row.timestamp}\t${row.ip}\t${row.key}\t${row.bytes}\t${row.status}\n`);
    byFile.set(file, lines);
  }
  const days = [...byFile.keys()].sort();
  for (const day of days) {
    fs.mkdirSync(path.dirname(path.join(folder, day)), { recursive: true });
    fs.writeFileSync(path.join(folder, day), byFile.get(day)!.join(""));
  }
  return { days, rows: rows.map(({ at: _at, ...row }) => row) };
}
