import { renderTopBarsFigure } from "./bar-figure.js";
import { renderTable } from "./html.js";
import { groupRegions, REGION_GROUP_COLUMNS, regionGroupRows } from "./page-parts.js";
import type { UsageRow } from "./usage.js";

/**
 * "Where the downloads went", as both the index and the Dandiset pages show it: bars for the top
 * regions, then a table by country, cloud provider or other network.
 */
export function renderRegionSection(
  byRegion: readonly UsageRow[],
  totalBytes: number,
  options: { title: string; topCount: number; everyRegionNote: string },
): string[] {
  const sections = ['<h2 id="regions">Where the downloads went</h2>'];
  if (byRegion.length === 0) return [...sections, '<p class="note">No regions recorded.</p>'];
  const top = byRegion.slice(0, options.topCount);
  sections.push(
    renderTopBarsFigure({
      title: options.title,
      bars: top.map((row) => ({ label: row.key, bytes: row.bytes })),
      of: byRegion.length,
      what: "regions that received most",
      everyNote: options.everyRegionNote,
    }),
    renderTable(
      "By country, cloud provider or other network",
      REGION_GROUP_COLUMNS,
      regionGroupRows(groupRegions(byRegion), totalBytes),
    ),
  );
  return sections;
}
