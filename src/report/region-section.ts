import { barChart } from "./chart-specs.js";
import { renderFigure, renderTable } from "./html.js";
import { groupRegions, REGION_GROUP_COLUMNS, regionGroupRows } from "./page-parts.js";
import type { renderSvg } from "./render-svg.js";
import { formatCount } from "./units.js";
import type { UsageRow } from "./usage.js";

export type ChartRenderer = (spec: Parameters<typeof renderSvg>[0], label: string) => Promise<string>;

/**
 * "Where the downloads went", as both the index and the Dandiset pages show it: bars for the top
 * regions, then a table by country, cloud provider or other network.
 */
export async function renderRegionSection(
  byRegion: readonly UsageRow[],
  totalBytes: number,
  options: { title: string; topCount: number; everyRegionNote: string; chart: ChartRenderer },
): Promise<string[]> {
  const sections = ['<h2 id="regions">Where the downloads went</h2>'];
  if (byRegion.length === 0) return [...sections, '<p class="note">No regions recorded.</p>'];
  const top = byRegion.slice(0, options.topCount);
  sections.push(
    renderFigure(
      await options.chart(
        barChart(
          options.title,
          top.map((row) => ({ label: row.key, bytes: row.bytes })),
        ),
        options.title,
      ),
      top.length < byRegion.length
        ? `The ${top.length} regions that received most, of ${formatCount(byRegion.length)}.`
        : options.everyRegionNote,
    ),
    renderTable(
      "By country, cloud provider or other network",
      REGION_GROUP_COLUMNS,
      regionGroupRows(groupRegions(byRegion), totalBytes),
    ),
  );
  return sections;
}
