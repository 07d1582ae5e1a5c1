import {
  ASSET_PER_WEEK_TSV,
  ASSET_TYPE_PER_WEEK_TSV,
  REQUESTER_COUNT_TSV,
  SUMMARIES_SUBFOLDER,
  type SummaryTableKey,
  summaryTableName,
} from "../formats/summaries-folder.js";
import type { Tally } from "../map/tally.js";
import { decideRegionTable } from "./region-disclosure.js";
import {
  assetsPerWeekText,
  assetTypesPerWeekText,
  publishedRegions,
  requesterCountText,
  summaryTableText,
} from "./summary-tables.js";
import { type SummaryTotals, totalsOf } from "./totals.js";

/** What the summaries folder is written through: map's writer, which keeps every change undoable. */
export interface SummaryWriter {
  write(relativePath: string, data: string | Buffer): void;
  read(relativePath: string): Buffer | null;
  remove(relativePath: string): void;
}

/** The numbers of one published folder: a Dandiset, `undetermined` or the archive. */
export interface EntityNumbers {
  byDay: Tally;
  /** By region as the mapped tables name them; published under DANDI's labels. */
  byRegion: Tally;
  /** By asset path; null for the archive, which has no table by asset. */
  byAsset: Tally | null;
  /** Bytes by `<monday>\t<asset path>`, or by `<monday>\t<asset type>` when `weeksByType`. */
  weeks: Tally;
  weeksByType: boolean;
  requesters: number;
}

export function summaryFilePath(folder: string, name: string): string {
  return `${SUMMARIES_SUBFOLDER}/${folder}/${name}`;
}

function tablePath(folder: string, key: SummaryTableKey): string {
  return summaryFilePath(folder, summaryTableName(key));
}

/**
 * Writes one folder's tables (each only if its content changed) and returns its totals. The table by
 * region follows DANDI's disclosure rule (region-disclosure.ts) against the one published.
 */
export function publishEntity(
  writer: SummaryWriter,
  folder: string,
  numbers: EntityNumbers,
  threshold: number,
): SummaryTotals {
  writer.write(tablePath(folder, "day"), summaryTableText("day", numbers.byDay));
  if (numbers.byAsset !== null)
    writer.write(tablePath(folder, "asset"), summaryTableText("asset", numbers.byAsset));
  const regions = summaryTableText("region", publishedRegions(numbers.byRegion));
  let previous = writer.read(tablePath(folder, "region"))?.toString("utf8") ?? null;
  // A table of an earlier version (`<50` cells, four columns) is not one the page can read: it
  // goes, and the rule starts afresh, as for a folder that never had one.
  const stale = previous !== null && !previous.startsWith(regions.slice(0, regions.indexOf("\n") + 1));
  if (stale) previous = null;
  const decision = decideRegionTable(regions, previous, threshold);
  if (decision.write) writer.write(tablePath(folder, "region"), regions);
  else if (stale) writer.remove(tablePath(folder, "region"));
  if (!numbers.weeksByType)
    writer.write(summaryFilePath(folder, ASSET_PER_WEEK_TSV), assetsPerWeekText(numbers.weeks));
  writer.write(
    summaryFilePath(folder, ASSET_TYPE_PER_WEEK_TSV),
    assetTypesPerWeekText(numbers.weeks, numbers.weeksByType),
  );
  writer.write(summaryFilePath(folder, REQUESTER_COUNT_TSV), requesterCountText(numbers.requesters));
  return totalsOf(numbers.byDay, decision.published, numbers.requesters);
}
