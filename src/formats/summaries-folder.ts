/**
 * The published summaries folder, in the layout of DANDI's access summaries (the `content/` folder
 * that usage.dandiarchive.org reads). Map writes through these names and the report reads through
 * them, so the two cannot drift apart.
 *
 *   summaries/<dandiset>/by_day.tsv      date, bytes_sent, number_of_requests, number_of_downloads
 *   summaries/<dandiset>/by_asset.tsv    asset_path, …
 *   summaries/<dandiset>/by_region.tsv   region, …
 *   summaries/archive/by_{day,region}.tsv
 *   summaries/unassociated/by_{day,region}.tsv
 *   totals.json, archive_totals.json, region_codes_to_coordinates.yaml
 */

export const SUMMARIES_SUBFOLDER = "summaries";
export const ARCHIVE_FOLDER = "archive";
export const UNASSOCIATED_FOLDER = "unassociated";
export const TOTALS_JSON = "totals.json";
export const ARCHIVE_TOTALS_JSON = "archive_totals.json";
export const COORDINATES_YAML = "region_codes_to_coordinates.yaml";

export type SummaryTableKey = "day" | "asset" | "region";

/** `by_day.tsv`, … */
export function summaryTableName(key: SummaryTableKey): string {
  return `by_${key}.tsv`;
}

/** The first column's header of a table keyed by `key`. */
export const SUMMARY_KEY_COLUMN: Record<SummaryTableKey, string> = {
  day: "date",
  asset: "asset_path",
  region: "region",
};

export const SUMMARY_VALUE_COLUMNS = ["bytes_sent", "number_of_requests", "number_of_downloads"] as const;

/** The fields of one entry of `totals.json`, and of `archive_totals.json`. */
export const TOTALS_FIELDS = [
  "total_bytes_sent",
  "number_of_unique_regions",
  "number_of_unique_countries",
  "total_number_of_requests",
  "total_number_of_downloads",
  "number_of_requesters",
] as const;

/** What a count below the privacy threshold is written as. */
export function belowThresholdText(threshold: number): string {
  return `<${threshold}`;
}

export interface PrivacyRounding {
  /** Counts below this are written `<threshold`; 0 writes every count. */
  threshold: number;
  /** Other counts are rounded to the nearest multiple of this; 1 keeps them exact. */
  rounding: number;
}

export const DEFAULT_PRIVACY: PrivacyRounding = { threshold: 50, rounding: 20 };

/** A count of requests, downloads or requesters as published: `<50`, or rounded to the nearest 20 (halves up). */
export function roundedCount(count: number, privacy: PrivacyRounding): number | string {
  if (count < privacy.threshold) return belowThresholdText(privacy.threshold);
  return Math.round(count / privacy.rounding) * privacy.rounding;
}

/** A published count read back: a number, or null for a count below the threshold. */
export function parseRoundedCount(text: string): number | null {
  return text.startsWith("<") ? null : Number(text);
}
