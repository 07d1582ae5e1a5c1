import { TOTALS_KEYS, type TotalsKey } from "../formats/summaries-folder.js";
import { countryOfPublished, isResolvedRegion } from "../geo/published-regions.js";
import type { Tally } from "../map/tally.js";

/** The seven figures of one entry of `totals.json` (or of `archive_totals.json`), exact. */
export type SummaryTotals = Record<TotalsKey, string | number>;

/**
 * The totals of a Dandiset, `undetermined` or the archive: bytes, requests, downloads and views
 * from its table by day (always current), regions and countries from its published table by
 * region as DANDI counts them (every row is a region; countries are those of the resolved
 * regions; none while no table is published), and its requesters.
 */
export function totalsOf(
  byDay: Tally,
  publishedRegions: readonly string[],
  requesters: number,
): SummaryTotals {
  const countries = new Set<string>();
  for (const label of publishedRegions) {
    if (!isResolvedRegion(label)) continue;
    const country = countryOfPublished(label);
    if (country !== null) countries.add(country);
  }
  return {
    number_of_requesters: requesters,
    number_of_unique_countries: countries.size,
    number_of_unique_regions: publishedRegions.length,
    // Digits, not a number: past 2^53 bytes (9 PB) a double would lose some.
    total_bytes_sent: byDay.totalBytes().toString(),
    total_number_of_downloads: byDay.totalDownloads(),
    total_number_of_requests: byDay.totalRequests(),
    total_number_of_views: byDay.totalViews(),
  };
}

/** One entry as DANDI writes it (`json.dump(…, indent=2, sort_keys=True)`), indented by `indent`. */
function entryText(totals: SummaryTotals, indent: string): string {
  const lines = TOTALS_KEYS.map((key) => `${indent}  ${JSON.stringify(key)}: ${totals[key]}`);
  return `{\n${lines.join(",\n")}\n${indent}}`;
}

/** `totals.json`: an entry per Dandiset and `undetermined`, keys sorted; no line end after the last brace, as DANDI's. */
export function totalsJsonText(entries: ReadonlyMap<string, SummaryTotals>): string {
  const ids = [...entries.keys()].sort();
  if (ids.length === 0) return "{}";
  return `{\n${ids.map((id) => `  ${JSON.stringify(id)}: ${entryText(entries.get(id)!, "  ")}`).join(",\n")}\n}`;
}

/** `archive_totals.json`: the archive's seven figures. */
export function archiveTotalsJsonText(totals: SummaryTotals): string {
  return entryText(totals, "");
}
