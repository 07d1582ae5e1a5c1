import { escapeHtml } from "./html.js";
import { firstPartOf, groupName } from "./regions.js";
import { formatBytes, formatCount, formatShare } from "./units.js";
import type { RequestSource, UsageRow } from "./usage.js";

/** What every page says about its making. */
export interface PageContext {
  generatedAt: Date;
  /** The name of the mapped folder the report was made from. */
  sourceName: string;
  generator: string;
}

/** Bytes in human units, with the exact number kept machine-readable in the `value` attribute. */
export function bytesCell(bytes: number): string {
  return `<data value="${bytes}">${formatBytes(bytes)}</data>`;
}

export function countCell(n: number | null): string {
  return n === null
    ? '<span title="not known for this folder">–</span>'
    : `<data value="${n}">${formatCount(n)}</data>`;
}

export function shareCell(part: number, whole: number): string {
  return escapeHtml(formatShare(part, whole));
}

export function dateRange(first: string | null, last: string | null): string {
  if (first === null || last === null) return "no downloads";
  return first === last
    ? `<time datetime="${first}">${first}</time>`
    : `<time datetime="${first}">${first}</time> to <time datetime="${last}">${last}</time>`;
}

const REQUEST_NOTES: Record<RequestSource, string> = {
  tables: "Requests come from the request tables of the map step.",
  "asset files":
    "This folder has no request tables, so requests were counted from the per-asset tables (one row per request).",
  none: "This folder has neither request tables nor per-asset tables, so request counts are not shown.",
};

export function requestNote(source: RequestSource): string {
  return REQUEST_NOTES[source];
}

/** What the figures of the published summaries count, said wherever they are shown. */
export function publishedNote(): string {
  return (
    "Downloads, views and requesters come from the published access summaries: a download is a request " +
    "answered with the whole object (HTTP 200); a view is a run of requests for parts of one object (HTTP 206) " +
    "from one address with no gap over 8 hours; a requester is a distinct address. A dash marks a figure " +
    "those summaries do not give."
  );
}

/**
 * The footer of a page. Only the index says when the report was generated: a Dandiset page is redrawn
 * only when its own tables change, so it names what it was drawn from and leaves the time to the index.
 */
export function renderFooter(context: PageContext, extra: string[] = [], withTime = true): string {
  const when = context.generatedAt
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
  const made = withTime
    ? `Generated <time datetime="${context.generatedAt.toISOString()}">${when}</time> by`
    : "Drawn, when these tables last changed, by";
  return [
    `<p>${made} ${escapeHtml(context.generator)} ` +
      `from the mapped usage tables in <code>${escapeHtml(context.sourceName)}</code>.</p>`,
    "<p>Bytes are those sent by the archive's S3 bucket in successful downloads, read from its access logs. " +
      "Dates are UTC; 1 kB is 1,000 bytes. Regions are coarse (country, state or cloud region); no IP address is kept.</p>",
    ...extra.map((text) => `<p>${text}</p>`),
  ].join("\n");
}

export interface RegionGroup {
  group: string;
  bytes: number;
  requests: number | null;
  regions: number;
}

/** Regions summed by country or network (`US/California` and `US/Texas` into `US`), largest first. */
export function groupRegions(byRegion: readonly UsageRow[]): RegionGroup[] {
  const groups = new Map<string, RegionGroup>();
  for (const row of byRegion) {
    const group = firstPartOf(row.key);
    const sum = groups.get(group) ?? { group, bytes: 0, requests: 0, regions: 0 };
    sum.bytes += row.bytes;
    sum.requests = sum.requests === null || row.requests === null ? null : sum.requests + row.requests;
    sum.regions++;
    groups.set(group, sum);
  }
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes || (a.group < b.group ? -1 : 1));
}

export function regionGroupRows(groups: readonly RegionGroup[], totalBytes: number): string[][] {
  return groups.map((group) => [
    escapeHtml(groupName(group.group)),
    escapeHtml(group.group),
    bytesCell(group.bytes),
    shareCell(group.bytes, totalBytes),
    countCell(group.requests),
    formatCount(group.regions),
  ]);
}

export const REGION_GROUP_COLUMNS = [
  { title: "Country or network", rowHeader: true },
  { title: "Code" },
  { title: "Bytes sent", numeric: true },
  { title: "Share", numeric: true },
  { title: "Requests", numeric: true },
  { title: "Regions", numeric: true },
];

/** A short, unique label per row for a chart's axis; tables show the full text. */
export function shortLabels(texts: readonly string[], maxLength = 44): string[] {
  const used = new Map<string, number>();
  return texts.map((text) => {
    let label =
      text.length <= maxLength ? text : `${text.slice(0, 20)}…${text.slice(text.length - (maxLength - 21))}`;
    const seen = used.get(label) ?? 0;
    used.set(label, seen + 1);
    if (seen > 0) label = `${label} (${seen + 1})`;
    return label;
  });
}

/** A chart SVG given a name for screen readers; its inner marks then read as one image. */
export function labelSvg(svg: string, label: string): string {
  return svg.replace(/^<svg /, `<svg role="img" aria-label="${escapeHtml(label)}" `);
}
