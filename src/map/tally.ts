import { countryOf } from "../formats/mapped-folder.js";

/**
 * Bytes, requests, downloads (requests answered 200) and views (sessions of 206 answers, counted
 * where they began) per key (a date, a region, an asset path, a week). Bytes add up as `bigint`:
 * one object's bytes fit a double exactly, but an archive's bytes over years can pass 2^53 (9 PB).
 */
export class Tally {
  readonly bytes = new Map<string, bigint>();
  readonly requests = new Map<string, number>();
  readonly downloads = new Map<string, number>();
  readonly views = new Map<string, number>();

  add(key: string, bytes: bigint, requests: number, downloads = 0, views = 0): void {
    this.bytes.set(key, (this.bytes.get(key) ?? 0n) + bytes);
    this.requests.set(key, (this.requests.get(key) ?? 0) + requests);
    this.downloads.set(key, (this.downloads.get(key) ?? 0) + downloads);
    this.views.set(key, (this.views.get(key) ?? 0) + views);
  }

  addAll(other: Tally, sign: 1 | -1 = 1): void {
    for (const [key, bytes] of other.bytes)
      this.add(
        key,
        sign === 1 ? bytes : -bytes,
        sign * (other.requests.get(key) ?? 0),
        sign * (other.downloads.get(key) ?? 0),
        sign * (other.views.get(key) ?? 0),
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

  totalViews(): number {
    let total = 0;
    for (const views of this.views.values()) total += views;
    return total;
  }
}

/**
 * The activity of a set of objects, by day, region and asset path, and bytes by week: keyed
 * `<monday>\t<asset path>` for a Dandiset, `<monday>\t<asset type>` for the listed objects.
 */
export interface Activity {
  byDay: Tally;
  byRegion: Tally;
  byAsset: Tally;
  byWeek: Tally;
}

export function emptyActivity(): Activity {
  return { byDay: new Tally(), byRegion: new Tally(), byAsset: new Tally(), byWeek: new Tally() };
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
    if (region === "unknown" || region === "bogon") continue;
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

/** Adds the bytes and requests of `byDay` to `byWeek` under `<monday>\t<name>`: an asset's path, or a type. */
export function addWeeks(byWeek: Tally, byDay: Tally, name: string, sign: 1 | -1 = 1): void {
  for (const [day, bytes] of byDay.bytes)
    byWeek.add(`${weekOf(day)}\t${name}`, sign === 1 ? bytes : -bytes, sign * (byDay.requests.get(day) ?? 0));
}

const weekOfDay = new Map<string, string>();

/** The Monday of a date's week (`2024-01-04` -> `2024-01-01`), as DANDI's weekly tables start them. */
export function weekOf(day: string): string {
  let week = weekOfDay.get(day);
  if (week === undefined) {
    const time = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
    const sinceMonday = (new Date(time).getUTCDay() + 6) % 7;
    week = new Date(time - sinceMonday * 86_400_000).toISOString().slice(0, 10);
    weekOfDay.set(day, week);
  }
  return week;
}

/**
 * Adds (or with -1 takes off) an object's activity by day and region to `activity`, and its bytes by
 * week under its asset type when it has one (the listed objects' numbers, by which the archive's
 * bytes by type are told).
 */
export function addActivity(
  activity: Activity,
  delta: { byDay: Tally; byRegion: Tally },
  sign: 1 | -1,
  type: string | null,
): void {
  activity.byDay.addAll(delta.byDay, sign);
  activity.byRegion.addAll(delta.byRegion, sign);
  if (type !== null) addWeeks(activity.byWeek, delta.byDay, type, sign);
}
