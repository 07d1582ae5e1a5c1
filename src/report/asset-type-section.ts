import { assetTypeColors, type TypeBucket, type TypeSeries } from "./chart-data.js";
import { drawAssetTypeChart } from "./draw-charts.js";
import { escapeHtml, renderFigure } from "./html.js";
import type { AssetTypeWeeks } from "./load-summaries.js";
import { labelSvg } from "./page-parts.js";
import { formatBytes, formatShare } from "./units.js";

const DAY_MS = 86_400_000;
/** Past this span a bar per week would be a pixel or two wide: weeks are then summed into months, as the bytes-over-time chart does. */
const WEEKLY_MAX_SPAN_DAYS = 3 * 366;

/** The weeks of `by_asset_type_per_week.tsv` as bars: one per week, or per month over long spans. */
export function typeSeries(table: AssetTypeWeeks): TypeSeries {
  const weeks = table.weeks.map((row) => ({ at: Date.parse(`${row.week}T00:00:00Z`), bytes: row.bytes }));
  const span = weeks.length === 0 ? 0 : (weeks[weeks.length - 1].at - weeks[0].at) / DAY_MS + 7;
  const granularity = span <= WEEKLY_MAX_SPAN_DAYS ? "week" : "month";
  const buckets: TypeBucket[] = [];
  for (const { at, bytes } of weeks) {
    const start = granularity === "week" ? at : monthStart(at);
    let bucket = buckets.at(-1);
    if (bucket === undefined || bucket.start !== start) {
      const end = granularity === "week" ? at + 7 * DAY_MS : monthStart(at, 1);
      bucket = { start, end, bytes: table.types.map(() => 0) };
      buckets.push(bucket);
    }
    for (const [i, value] of bytes.entries()) bucket.bytes[i] += value;
  }
  return { granularity, types: table.types, buckets };
}

function monthStart(at: number, monthsLater = 0): number {
  const date = new Date(at);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + monthsLater, 1);
}

const GRANULARITY_NOTES = {
  week: "Each bar is a week, Monday to Sunday.",
  month: "Weeks span more than three years, so each bar sums the weeks that start in a calendar month.",
};

/**
 * "What was downloaded": bytes by asset type over time, from the published `by_asset_type_per_week.tsv`.
 * Nothing when the summaries hold no such table (none given, or written by an earlier version).
 */
export function renderAssetTypeSection(table: AssetTypeWeeks | null, title: string): string[] {
  if (table === null) return [];
  const sections = ['<h2 id="asset-types">Bytes sent by asset type</h2>'];
  const series = typeSeries(table);
  const totals = series.types.map(() => 0);
  for (const bucket of series.buckets) for (const [i, bytes] of bucket.bytes.entries()) totals[i] += bytes;
  const all = totals.reduce((sum, bytes) => sum + bytes, 0);
  if (all === 0) return [...sections, '<p class="note">No bytes recorded by asset type.</p>'];
  const inAll = series.types
    .map((type, i) => `${escapeHtml(type)} ${formatBytes(totals[i])} (${formatShare(totals[i], all)})`)
    .join(", ");
  const fullTitle = `${title} per ${series.granularity}`;
  const colors = assetTypeColors(series.types);
  const legend = series.types
    .map(
      (type, i) =>
        `<span class="key"><span class="swatch" style="background-color:${colors[i]}" aria-hidden="true"></span>${escapeHtml(type)}</span>`,
    )
    .join(" ");
  sections.push(
    renderFigure(
      labelSvg(drawAssetTypeChart(fullTitle, series), fullTitle),
      `<span class="legend">${legend}</span>${GRANULARITY_NOTES[series.granularity]} Types are told by file name: NWB files are Neurophysiology; ` +
        `NIfTI, OME, TIFF and Zarr images Microscopy; videos Video; the rest Miscellaneous. In all: ${inAll}.`,
    ),
  );
  return sections;
}
