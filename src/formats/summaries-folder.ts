/**
 * The published summaries folder, in the layout of DANDI's access summaries (the `content/` folder
 * of dandi/access-summaries that usage.dandiarchive.org reads). The page reads every table by
 * column position with `parseInt`, so no name, column or order here may change: every cell past the
 * first is a plain integer. Map writes through these names and the report reads through them.
 *
 *   summaries/<id>/by_day.tsv                 date, bytes_sent, number_of_requests, number_of_downloads, number_of_views
 *   summaries/<id>/by_asset.tsv               asset_path, …                      (Dandisets and undetermined)
 *   summaries/<id>/by_region.tsv              region, …                          (once it discloses enough regions)
 *   summaries/<id>/by_asset_per_week.tsv      week_start, one column of bytes per asset path
 *   summaries/<id>/by_asset_type_per_week.tsv week_start, Neurophysiology, Microscopy, Video, Miscellaneous (those present)
 *   summaries/<id>/requester_count.tsv        one integer, no header, no line end
 *   summaries/archive/…                       by_day, by_region, by_asset_type_per_week, requester_count
 *   summaries/undetermined/…                  the traffic of objects no Dandiset lists, as a Dandiset's
 *   totals.json                               per Dandiset and `undetermined`: the seven TOTALS_KEYS
 *   archive_totals.json                       the same seven for the archive
 *   region_codes_to_coordinates.yaml          REGION: {latitude, longitude}, null for labels that are not places
 */

export const SUMMARIES_SUBFOLDER = "summaries";
export const ARCHIVE_FOLDER = "archive";
/** The traffic of objects no Dandiset lists; DANDI's page shows this name apart from the Dandisets. */
export const UNDETERMINED_FOLDER = "undetermined";
export const TOTALS_JSON = "totals.json";
export const ARCHIVE_TOTALS_JSON = "archive_totals.json";
export const COORDINATES_YAML = "region_codes_to_coordinates.yaml";

export type SummaryTableKey = "day" | "asset" | "region";

/** `by_day.tsv`, … */
export function summaryTableName(key: SummaryTableKey): string {
  return `by_${key}.tsv`;
}

export const ASSET_PER_WEEK_TSV = "by_asset_per_week.tsv";
export const ASSET_TYPE_PER_WEEK_TSV = "by_asset_type_per_week.tsv";
export const REQUESTER_COUNT_TSV = "requester_count.tsv";
/** The first column's header of the weekly tables. */
export const WEEK_COLUMN = "week_start";

/** The first column's header of a table keyed by `key`. */
export const SUMMARY_KEY_COLUMN: Record<SummaryTableKey, string> = {
  day: "date",
  asset: "asset_path",
  region: "region",
};

export const SUMMARY_VALUE_COLUMNS = [
  "bytes_sent",
  "number_of_requests",
  "number_of_downloads",
  "number_of_views",
] as const;

/** The keys of one entry of `totals.json`, and of `archive_totals.json`, in the sorted order written. */
export const TOTALS_KEYS = [
  "number_of_requesters",
  "number_of_unique_countries",
  "number_of_unique_regions",
  "total_bytes_sent",
  "total_number_of_downloads",
  "total_number_of_requests",
  "total_number_of_views",
] as const;

export type TotalsKey = (typeof TOTALS_KEYS)[number];

/**
 * A `by_region.tsv` is first published once it names more than this many resolved regions
 * (`USA/CA`, `AWS/us-east-1`), and replaced only when more than this many of them change; until
 * then the totals say 0 regions and 0 countries (DANDI's rule since exact counts replaced rounding).
 */
export const DEFAULT_REGION_DISCLOSURE_THRESHOLD = 5;
