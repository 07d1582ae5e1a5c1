/**
 * The mapped folder's format, in one place: the map step writes through these names and the report
 * reads through them, so the two cannot drift apart. Everything here is what the original tool
 * wrote (asset tables, `*_summary_by_*`) or what this project added beside it (`*_requests_by_*`,
 * `totals.json`); none of it may change without a new name.
 */

/** The header of a mapped asset table: an unnamed index column first, as the original writes it. */
export const MAPPED_HEADER = "\ttimestamp\tbytes_sent\tregion\n";

/** Who a summary covers: one version, one Dandiset (each object once), or the whole archive. */
export type SummaryLevel = "version" | "dandiset" | "archive";
/** What a summary is keyed by. */
export type SummaryKey = "day" | "region" | "asset";
/** What it counts: bytes sent (the original's tables) or requests. */
export type SummaryMeasure = "bytes" | "requests";

export const SUMMARY_KEYS: readonly SummaryKey[] = ["day", "region", "asset"];

/** `version_summary_by_day.tsv`, `dandiset_requests_by_region.tsv`, … */
export function summaryFileName(level: SummaryLevel, measure: SummaryMeasure, key: SummaryKey): string {
  return `${level}_${measure === "bytes" ? "summary" : "requests"}_by_${key}.tsv`;
}

/** The first column's header of a summary keyed by `key`. */
export const KEY_COLUMN: Record<SummaryKey, string> = { day: "date", region: "region", asset: "asset_path" };
/** The second column's header of a summary counting `measure`. */
export const VALUE_COLUMN: Record<SummaryMeasure, string> = { bytes: "bytes_sent", requests: "requests" };

/** Per Dandiset and for the archive: bytes, requests, unique regions and countries, first and last date. */
export const TOTALS_FILE = "totals.json";

/** `US/California` -> `US`, `AWS/us-east-2` -> `AWS`, `unknown` -> `unknown`. */
export function firstPartOf(region: string): string {
  const slash = region.indexOf("/");
  return slash === -1 ? region : region.slice(0, slash);
}

const COUNTRY_CODE = /^[A-Z]{2}$/;

/**
 * The country of a region: its first part when that is a two-letter code (`US/California`, `DE`),
 * null for networks (`AWS/…`, `GitHub`) and `unknown`. Map counts countries by this rule; the
 * report groups by it.
 */
export function countryOf(region: string): string | null {
  const first = firstPartOf(region);
  return COUNTRY_CODE.test(first) ? first : null;
}
