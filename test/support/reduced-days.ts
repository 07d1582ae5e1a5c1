import * as fs from "node:fs";
import * as path from "node:path";
import { makeAssetPool, makeIpPool } from "../../src/generate/pools.ts";
import { Random } from "../../src/generate/random.ts";
import { REDUCED_HEADER, REDUCED_HEADER_WITHOUT_STATUS } from "../../src/io/table-headers.ts";

export interface GenerateReducedDaysOptions {
  /** Same seed, same bytes. */
  seed?: number;
  /** First day, `YYYY-MM-DD`. */
  startDate?: string;
  days?: number;
  rowsPerDay?: number;
  blobCount?: number;
  zarrCount?: number;
  ipCount?: number;
  /**
   * `spread`: rows over the whole day in log order with a little disorder, and a few stamped in the
   * last minute of the day before (as S3 delivers them). `ties`: every row on one of a few seconds
   * around midnights and noon, so many rows of one object share a second, across days too.
   */
  timing?: "spread" | "ties";
  /**
   * Rows with the HTTP status (200 or 206, in reduce's current format; true unless told), or the
   * original format's four columns. Statuses come from a random source of their own, so the other
   * columns are the same either way.
   */
  status?: boolean;
}

/** Partial reads (206) are about a quarter of the kept GETs in real logs. */
const STATUSES = ["200", "200", "200", "206"];

const DAY_SECONDS = 86_400;

/**
 * Writes reduced day files (`<folder>/YYYY/MM/DD.tsv`, the reduce step's format) for tests and
 * benchmarks of binning. Returns their relative paths, in order.
 */
export function generateReducedDays(folder: string, options: GenerateReducedDaysOptions = {}): string[] {
  const seed = options.seed ?? 1;
  const random = new Random(seed);
  const pool = makeAssetPool(new Random(seed ^ 0x5eed), options.blobCount ?? 400, options.zarrCount ?? 40);
  const ips = makeIpPool(new Random(seed ^ 0x1b5), options.ipCount ?? 300);
  const withStatus = options.status ?? true;
  const statuses = new Random(seed ^ 0x5747);
  const keys = [
    ...pool.blobs.map((b) => `blobs/${b.id.slice(0, 3)}/${b.id.slice(3, 6)}/${b.id}`),
    ...pool.zarrs.map((z) => `zarr/${z.id}`),
  ];
  const sizes = [...pool.blobs.map((b) => b.size), ...pool.zarrs.map((z) => z.chunkSize)];
  const rowsPerDay = options.rowsPerDay ?? 1000;
  const start = Date.parse(`${options.startDate ?? "2024-01-01"}T00:00:00Z`) / 1000;
  const written: string[] = [];
  for (let day = 0; day < (options.days ?? 1); day++) {
    const dayStart = start + day * DAY_SECONDS;
    const date = new Date(dayStart * 1000).toISOString();
    const relativePath = `${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}.tsv`;
    const lines = [withStatus ? REDUCED_HEADER : REDUCED_HEADER_WITHOUT_STATUS];
    const ties = [-2, -1, 0, 1, DAY_SECONDS / 2, DAY_SECONDS - 2, DAY_SECONDS - 1];
    for (let i = 0; i < rowsPerDay; i++) {
      let when: number;
      if (options.timing === "ties") when = dayStart + random.pick(ties);
      else if (i < rowsPerDay / 100) when = dayStart - random.int(1, 60);
      else {
        const even = dayStart + Math.floor((i * DAY_SECONDS) / rowsPerDay);
        when = Math.min(dayStart + DAY_SECONDS - 1, Math.max(dayStart, even + random.int(-30, 30)));
      }
      const object = random.int(0, keys.length - 1);
      const stamp = new Date(when * 1000).toISOString().slice(0, 19);
      const row = `${stamp}\t${random.pick(ips)}\t${keys[object]}\t${random.int(0, sizes[object])}`;
      lines.push(withStatus ? `${row}\t${statuses.pick(STATUSES)}\n` : `${row}\n`);
    }
    const file = path.join(folder, relativePath);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, lines.join(""));
    written.push(relativePath);
  }
  return written;
}
