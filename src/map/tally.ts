import { countryOf } from "../formats/mapped-folder.js";

/**
 * Bytes, requests and downloads (requests that sent the whole object) per key (a date, a region or
 * an asset path). Bytes add up as `bigint`: one object's bytes fit a double exactly, but an
 * archive's bytes over years can pass 2^53 (9 PB).
 */
export class Tally {
  readonly bytes = new Map<string, bigint>();
  readonly requests = new Map<string, number>();
  readonly downloads = new Map<string, number>();

  add(key: string, bytes: bigint, requests: number, downloads = 0): void {
    this.bytes.set(key, (this.bytes.get(key) ?? 0n) + bytes);
    this.requests.set(key, (this.requests.get(key) ?? 0) + requests);
    this.downloads.set(key, (this.downloads.get(key) ?? 0) + downloads);
  }

  addAll(other: Tally, sign: 1 | -1 = 1): void {
    for (const [key, bytes] of other.bytes)
      this.add(
        key,
        sign === 1 ? bytes : -bytes,
        sign * (other.requests.get(key) ?? 0),
        sign * (other.downloads.get(key) ?? 0),
      );
  }

  get size(): number {
    return this.bytes.size;
  }

  totalBytes(): bigint {
    let total = 0n;
    for (const bytes of this.bytes.values()) total += bytes;
    return total;
  }

  totalRequests(): number {
    let total = 0;
    for (const requests of this.requests.values()) total += requests;
    return total;
  }

  totalDownloads(): number {
    let total = 0;
    for (const downloads of this.downloads.values()) total += downloads;
    return total;
  }
}

/** The activity of a set of objects, by day, region and asset path. */
export interface Activity {
  byDay: Tally;
  byRegion: Tally;
  byAsset: Tally;
}

export function emptyActivity(): Activity {
  return { byDay: new Tally(), byRegion: new Tally(), byAsset: new Tally() };
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Dates oldest first; regions and assets largest first, ties by name. */
export function sortedKeys<V extends bigint | number>(
  values: Map<string, V>,
  order: "key" | "largest",
): string[] {
  const keys = [...values.keys()];
  if (order === "key") return keys.sort(byName);
  return keys.sort((a, b) => {
    const va = values.get(a)!;
    const vb = values.get(b)!;
    return va > vb ? -1 : va < vb ? 1 : byName(a, b);
  });
}

/** A two-column summary table: `header\tcolumn` then one row per key. */
export function summaryTable<V extends bigint | number>(
  keyHeader: string,
  valueHeader: string,
  values: Map<string, V>,
  order: "key" | "largest",
): string {
  let text = `${keyHeader}\t${valueHeader}\n`;
  for (const key of sortedKeys(values, order)) text += `${key}\t${values.get(key)}\n`;
  return text;
}

export interface Totals {
  bytes_sent: bigint;
  requests: number;
  unique_regions: number;
  unique_countries: number;
  first_date: string | null;
  last_date: string | null;
}

export function totalsOf(activity: Activity): Totals {
  const days = sortedKeys(activity.byDay.bytes, "key");
  const countries = new Set<string>();
  let regions = 0;
  for (const region of activity.byRegion.bytes.keys()) {
    if (region === "unknown") continue;
    regions++;
    const country = countryOf(region);
    if (country !== null) countries.add(country);
  }
  return {
    bytes_sent: activity.byDay.totalBytes(),
    requests: activity.byDay.totalRequests(),
    unique_regions: regions,
    unique_countries: countries.size,
    first_date: days[0] ?? null,
    last_date: days[days.length - 1] ?? null,
  };
}

/** Pretty JSON (2 spaces, trailing newline) for flat objects whose numbers may be `bigint`. */
export function flatJson(values: Record<string, string | number | bigint | null>): string {
  const lines = Object.entries(values).map(
    ([key, value]) =>
      `  ${JSON.stringify(key)}: ${typeof value === "bigint" ? value.toString() : JSON.stringify(value)}`,
  );
  return `{\n${lines.join(",\n")}\n}\n`;
}
