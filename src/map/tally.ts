import { countryOf } from "../formats/mapped-folder.js";

/** One key's numbers. */
interface Cell {
  bytes: bigint;
  requests: number;
  downloads: number;
  views: number;
}

/**
 * Bytes, requests, downloads (requests answered 200) and views (sessions of 206 answers, counted
 * where they began) per key (a date, a region, an asset path, a week). Bytes add up as `bigint`:
 * one object's bytes fit a double exactly, but an archive's bytes over years can pass 2^53 (9 PB).
 *
 * Kept as one record per key, changed in place: adding to a key costs one lookup, where four maps
 * (one per number) cost eight, and adding is most of what map does with tallies (about 14% of a
 * full map's time went to it). The four maps the readers use are made from the records when first
 * read after a change.
 */
export class Tally {
  private readonly cells = new Map<string, Cell>();
  private maps: {
    bytes: Map<string, bigint>;
    requests: Map<string, number>;
    downloads: Map<string, number>;
    views: Map<string, number>;
  } | null = null;

  add(key: string, bytes: bigint, requests: number, downloads = 0, views = 0): void {
    const cell = this.cells.get(key);
    // From zero, as a sum: the same numbers (never a negative zero) as adding to a fresh key.
    if (cell === undefined)
      this.cells.set(key, {
        bytes: 0n + bytes,
        requests: 0 + requests,
        downloads: 0 + downloads,
        views: 0 + views,
      });
    else {
      cell.bytes += bytes;
      cell.requests += requests;
      cell.downloads += downloads;
      cell.views += views;
    }
    this.maps = null;
  }

  addAll(other: Tally, sign: 1 | -1 = 1): void {
    for (const [key, cell] of other.cells)
      this.add(
        key,
        sign === 1 ? cell.bytes : -cell.bytes,
        sign * cell.requests,
        sign * cell.downloads,
        sign * cell.views,
      );
  }

  get bytes(): ReadonlyMap<string, bigint> {
    return this.readable().bytes;
  }

  get requests(): ReadonlyMap<string, number> {
    return this.readable().requests;
  }

  get downloads(): ReadonlyMap<string, number> {
    return this.readable().downloads;
  }

  get views(): ReadonlyMap<string, number> {
    return this.readable().views;
  }

  get size(): number {
    return this.cells.size;
  }

  /** Each key with its numbers, in the order keys came: for readers of every number, with no map made. */
  forEach(
    visit: (key: string, bytes: bigint, requests: number, downloads: number, views: number) => void,
  ): void {
    for (const [key, cell] of this.cells) visit(key, cell.bytes, cell.requests, cell.downloads, cell.views);
  }

  totalBytes(): bigint {
    let total = 0n;
    for (const cell of this.cells.values()) total += cell.bytes;
    return total;
  }

  totalRequests(): number {
    let total = 0;
    for (const cell of this.cells.values()) total += cell.requests;
    return total;
  }

  totalDownloads(): number {
    let total = 0;
    for (const cell of this.cells.values()) total += cell.downloads;
    return total;
  }

  totalViews(): number {
    let total = 0;
    for (const cell of this.cells.values()) total += cell.views;
    return total;
  }

  private readable(): NonNullable<Tally["maps"]> {
    if (this.maps === null) {
      const maps = { bytes: new Map(), requests: new Map(), downloads: new Map(), views: new Map() };
      for (const [key, cell] of this.cells) {
        maps.bytes.set(key, cell.bytes);
        maps.requests.set(key, cell.requests);
        maps.downloads.set(key, cell.downloads);
        maps.views.set(key, cell.views);
      }
      this.maps = maps;
    }
    return this.maps;
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
  values: ReadonlyMap<string, V>,
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
  values: ReadonlyMap<string, V>,
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
  byDay.forEach((day, bytes, requests) => {
    byWeek.add(`${weekOf(day)}\t${name}`, sign === 1 ? bytes : -bytes, sign * requests);
  });
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
