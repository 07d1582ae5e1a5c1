import type { TableRow } from "./read-table.js";

/** One row of a usage breakdown: a date, region or asset path with its bytes and, when known, requests. */
export interface UsageRow {
  key: string;
  bytes: number;
  requests: number | null;
}

/** Where request figures came from, said on the pages so readers know how far to trust them. */
export type RequestSource = "tables" | "asset files" | "none";

export interface VersionUsage {
  id: string;
  bytes: number;
  requests: number | null;
  /** Assets of this version with at least one download. */
  assets: number;
  firstDate: string | null;
  lastDate: string | null;
}

export interface DandisetUsage {
  id: string;
  /** The Dandiset's title from the catalog, as map recorded it; null when unknown. */
  name: string | null;
  bytes: number;
  requests: number | null;
  firstDate: string | null;
  lastDate: string | null;
  uniqueRegions: number;
  uniqueCountries: number;
  byDay: UsageRow[];
  byRegion: UsageRow[];
  byAsset: UsageRow[];
  versions: VersionUsage[];
  requestSource: RequestSource;
}

export interface ArchiveUsage {
  bytes: number;
  requests: number | null;
  dandisets: number;
  uniqueRegions: number;
  uniqueCountries: number;
  firstDate: string | null;
  lastDate: string | null;
  byDay: UsageRow[];
  byRegion: UsageRow[];
  /** True when the archive's own tables were read, false when they were summed over the Dandisets. */
  fromArchiveTables: boolean;
}

/** Pairs each row of bytes with its requests, keeping the order of the bytes table (largest first). */
export function joinRequests(bytes: TableRow[], requests: ReadonlyMap<string, number> | null): UsageRow[] {
  return bytes.map((row) => ({ key: row.key, bytes: row.value, requests: requests?.get(row.key) ?? null }));
}

export function toMap(rows: TableRow[] | null): Map<string, number> | null {
  if (rows === null) return null;
  const map = new Map<string, number>();
  for (const row of rows) map.set(row.key, (map.get(row.key) ?? 0) + row.value);
  return map;
}

export function sumBytes(rows: readonly UsageRow[]): number {
  let total = 0;
  for (const row of rows) total += row.bytes;
  return total;
}

/** The sum of the requests, or null when any row's requests are unknown. */
export function sumRequests(rows: readonly UsageRow[]): number | null {
  let total = 0;
  for (const row of rows) {
    if (row.requests === null) return null;
    total += row.requests;
  }
  return total;
}
