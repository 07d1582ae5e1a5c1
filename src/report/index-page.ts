import { DEFAULT_REGION_DISCLOSURE_THRESHOLD } from "../formats/summaries-folder.js";
import { renderAssetTypeSection } from "./asset-type-section.js";
import { renderTopBarsFigure } from "./bar-figure.js";
import { dandisetPagePath } from "./dandiset-page.js";
import { drawTimeChart } from "./draw-charts.js";
import { escapeHtml, renderFigure, renderPage, renderStats, renderTable } from "./html.js";
import type { PublishedSummaries, UndeterminedTraffic } from "./load-summaries.js";
import {
  bytesCell,
  countCell,
  dateRange,
  labelSvg,
  type PageContext,
  publishedNote,
  renderFooter,
  shareCell,
} from "./page-parts.js";
import { renderRegionSection } from "./region-section.js";
import { bucketByTime } from "./time-buckets.js";
import { formatCount } from "./units.js";
import type { ArchiveUsage, DandisetUsage } from "./usage.js";
import { renderWorldMap } from "./world-map.js";

/** What the index keeps of each Dandiset once its page is written. */
export interface DandisetSummary {
  id: string;
  /** The Dandiset's title from the catalog; null when unknown. */
  name: string | null;
  bytes: number;
  requests: number | null;
  versions: number;
  assets: number;
  uniqueCountries: number;
  firstDate: string | null;
  lastDate: string | null;
  /** From the published summaries; absent without them, null where they give none. */
  downloads?: number | null;
  views?: number | null;
}

export function summarizeDandiset(dandiset: DandisetUsage): DandisetSummary {
  return {
    id: dandiset.id,
    name: dandiset.name,
    bytes: dandiset.bytes,
    requests: dandiset.requests,
    versions: dandiset.versions.length,
    assets: dandiset.byAsset.length,
    uniqueCountries: dandiset.uniqueCountries,
    firstDate: dandiset.firstDate,
    lastDate: dandiset.lastDate,
  };
}

const TOP_REGIONS = 15;
const TOP_DANDISETS = 20;

export async function renderIndexPage(
  archive: ArchiveUsage,
  dandisets: readonly DandisetSummary[],
  context: PageContext,
  published: PublishedSummaries | null = null,
): Promise<string> {
  const ranked = [...dandisets].sort((a, b) => b.bytes - a.bytes || (a.id < b.id ? -1 : 1));
  const sections: string[] = [
    "<h1>DANDI Archive usage</h1>",
    `<p class="lede">Downloads of DANDI assets from ${dateRange(archive.firstDate, archive.lastDate)}, ` +
      "read from the access logs of the archive's S3 bucket.</p>",
    renderStats("Archive-wide totals", [
      { label: "Bytes sent", value: bytesCell(archive.bytes) },
      { label: "Requests", value: countCell(archive.requests) },
      ...(published?.archive
        ? [
            { label: "Downloads", value: countCell(published.archive.downloads) },
            { label: "Views", value: countCell(published.archive.views) },
            { label: "Requesters", value: countCell(published.archive.requesters) },
          ]
        : []),
      { label: "Dandisets", value: countCell(archive.dandisets) },
      { label: "Regions", value: countCell(archive.uniqueRegions) },
      { label: "Countries", value: countCell(archive.uniqueCountries) },
      {
        label: "Period",
        value:
          archive.firstDate === null
            ? "–"
            : `<time datetime="${archive.firstDate}">${archive.firstDate}</time> to<br><time datetime="${archive.lastDate}">${archive.lastDate}</time>`,
        small: true,
      },
    ]),
  ];

  sections.push('<h2 id="time">Bytes sent over time</h2>');
  if (archive.byDay.length > 0) {
    const series = bucketByTime(archive.byDay);
    const title = `All Dandisets: bytes sent per ${series.granularity}`;
    sections.push(
      renderFigure(
        labelSvg(drawTimeChart(title, series), `${title}, with the running total`),
        `Bars: bytes sent in each ${series.granularity} (left axis). Line: running total (right axis).` +
          (series.granularity === "day"
            ? ""
            : ` Days are summed into ${series.granularity}s to keep bars readable.`),
      ),
    );
  } else {
    sections.push('<p class="note">No downloads recorded.</p>');
  }

  sections.push(
    ...renderAssetTypeSection(
      published?.archiveAssetTypes ?? null,
      "All Dandisets: bytes sent by asset type",
    ),
    ...renderRegionSection(archive.byRegion, archive.bytes, {
      title: "Bytes sent by region, all Dandisets",
      topCount: TOP_REGIONS,
      everyRegionNote: "Every region that downloaded from the archive.",
    }),
    await renderWorldMap(archive.byRegion, "All Dandisets: bytes sent by country"),
  );
  if (published?.undetermined) sections.push(...renderUndetermined(published.undetermined, archive.bytes));

  sections.push('<h2 id="dandisets">Dandisets</h2>');
  if (ranked.length > 0) {
    const top = ranked.slice(0, TOP_DANDISETS);
    sections.push(
      renderTopBarsFigure({
        title: "Bytes sent by Dandiset",
        bars: top.map((dandiset) => ({ label: dandiset.id, bytes: dandiset.bytes })),
        of: ranked.length,
        what: "Dandisets that sent most",
        moreNote: "; all are in the table below",
        everyNote: "Every Dandiset with downloads.",
      }),
      renderTable(
        "Dandisets ranked by bytes sent; each links to its own page",
        [
          { title: "Rank", numeric: true },
          { title: "Dandiset", rowHeader: true },
          { title: "Bytes sent", numeric: true },
          { title: "Share", numeric: true },
          { title: "Requests", numeric: true },
          ...(published === null
            ? []
            : [
                { title: "Downloads", numeric: true },
                { title: "Views", numeric: true },
              ]),
          { title: "Versions", numeric: true },
          { title: "Assets", numeric: true },
          { title: "Countries", numeric: true },
          { title: "First download" },
          { title: "Last download" },
        ],
        ranked.map((dandiset, i) => [
          formatCount(i + 1),
          `<a href="${dandisetPagePath(dandiset.id)}">${escapeHtml(dandiset.id)}</a>` +
            (dandiset.name === null ? "" : ` <span class="name">${escapeHtml(dandiset.name)}</span>`),
          bytesCell(dandiset.bytes),
          shareCell(dandiset.bytes, archive.bytes),
          countCell(dandiset.requests),
          ...(published === null
            ? []
            : [countCell(dandiset.downloads ?? null), countCell(dandiset.views ?? null)]),
          formatCount(dandiset.versions),
          formatCount(dandiset.assets),
          formatCount(dandiset.uniqueCountries),
          dandiset.firstDate ?? "–",
          dandiset.lastDate ?? "–",
        ]),
      ),
    );
  } else {
    sections.push('<p class="note">The mapped folder holds no Dandisets.</p>');
  }

  const notes = [
    archive.fromArchiveTables
      ? "Archive-wide figures come from the archive tables of the map step."
      : "This folder has no archive tables, so archive-wide figures are sums over the Dandisets " +
        "(an object shared by two Dandisets counts in both).",
    archive.requests === null ? "Request counts are not available for every Dandiset of this folder." : "",
    published === null ? "" : publishedNote(),
  ].filter((note) => note !== "");
  return renderPage({
    title: "DANDI Archive usage",
    root: "",
    body: sections.join("\n"),
    footer: renderFooter(context, notes.map(escapeHtml)),
  });
}

const TOP_UNDETERMINED_REGIONS = 10;

/** The traffic on objects that no Dandiset of the catalog lists: how much, and where it went. */
function renderUndetermined(undetermined: UndeterminedTraffic, archiveBytes: number): string[] {
  const { totals, byRegion } = undetermined;
  const bytes = totals.bytes ?? 0;
  const sections = [
    '<h2 id="undetermined">Undetermined: objects of no Dandiset</h2>',
    '<p class="note">Requests for objects of the bucket that no Dandiset of the catalog lists ' +
      "(deleted or replaced assets, uploads never published). They count in the archive-wide totals above.</p>",
    renderStats("Traffic on objects of no Dandiset", [
      { label: "Bytes sent", value: totals.bytes === null ? countCell(null) : bytesCell(bytes) },
      { label: "Share of all bytes", value: shareCell(bytes, archiveBytes) },
      { label: "Requests", value: countCell(totals.requests) },
      { label: "Downloads", value: countCell(totals.downloads) },
      { label: "Views", value: countCell(totals.views) },
      { label: "Requesters", value: countCell(totals.requesters) },
      ...(byRegion === null ? [] : [{ label: "Regions", value: countCell(byRegion.length) }]),
    ]),
  ];
  if (byRegion === null) {
    sections.push(
      '<p class="note">Its regions are not published yet: a table by region is first published once it names ' +
        `enough regions (by default more than ${DEFAULT_REGION_DISCLOSURE_THRESHOLD}).</p>`,
    );
  } else if (byRegion.length > 0) {
    const top = byRegion.slice(0, TOP_UNDETERMINED_REGIONS);
    sections.push(
      renderTable(
        top.length < byRegion.length
          ? `The ${top.length} regions that received most of it, of ${formatCount(byRegion.length)}`
          : "Every region that received it",
        [
          { title: "Region", rowHeader: true },
          { title: "Bytes sent", numeric: true },
          { title: "Share", numeric: true },
          { title: "Requests", numeric: true },
          { title: "Downloads", numeric: true },
          { title: "Views", numeric: true },
        ],
        top.map((row) => [
          escapeHtml(row.key),
          bytesCell(row.bytes),
          shareCell(row.bytes, bytes),
          countCell(row.requests),
          countCell(row.downloads),
          countCell(row.views),
        ]),
      ),
    );
  }
  return sections;
}
