import * as path from "node:path";
import { renderAssetTypeSection } from "./asset-type-section.js";
import { renderTopBarsFigure } from "./bar-figure.js";
import { drawBarChart, drawTimeChart } from "./draw-charts.js";
import { escapeHtml, renderFigure, renderPage, renderStats, renderTable } from "./html.js";
import type { AssetTypeWeeks, PublishedTotals } from "./load-summaries.js";
import {
  bytesCell,
  countCell,
  dateRange,
  labelSvg,
  type PageContext,
  publishedNote,
  renderFooter,
  requestNote,
  shareCell,
  shortLabels,
} from "./page-parts.js";
import { renderRegionSection } from "./region-section.js";
import { bucketByTime } from "./time-buckets.js";
import { formatCount } from "./units.js";
import type { DandisetUsage } from "./usage.js";
import { renderWorldMap } from "./world-map.js";

/** What the published summaries add to a Dandiset's page: downloads, views, requesters, bytes by asset type. */
export interface DandisetPublished {
  totals: PublishedTotals | null;
  /** Downloads and views per asset path, as `by_asset.tsv` gives them. */
  assetCounts: Map<string, AssetCounts>;
  /** `by_asset_type_per_week.tsv`; null when the summaries hold none for this Dandiset. */
  assetTypes: AssetTypeWeeks | null;
}

export interface AssetCounts {
  downloads: number | null;
  views: number | null;
}

/** Caps that keep a page light for Dandisets with thousands of assets or versions. */
export const LIMITS = {
  regionBars: 15,
  assetBars: 20,
  assetRows: 50,
  versionBars: 25,
  versionRows: 200,
};

/** Where a Dandiset's page goes, relative to the report folder. */
export function dandisetPagePath(id: string): string {
  return `dandisets/${id.replace(/[^A-Za-z0-9._-]/g, "_")}.html`;
}

/** A link to the Dandiset (or one of its versions) in the archive's web app, for real six-digit ids. */
export function archiveLink(id: string, version?: string): string | null {
  if (!/^\d{6}$/.test(id)) return null;
  const tail = version === undefined ? "" : `/${encodeURIComponent(version)}`;
  return `https://dandiarchive.org/dandiset/${id}${tail}`;
}

const GRANULARITY_NOTES = {
  day: "One bar per day with downloads.",
  week: "Downloads span more than four months, so each bar sums a week (Monday to Sunday).",
  month: "Downloads span more than three years, so each bar sums a calendar month.",
};

export async function renderDandisetPage(
  dandiset: DandisetUsage,
  context: PageContext,
  published: DandisetPublished | null = null,
): Promise<string> {
  const id = escapeHtml(dandiset.id);
  const sections: string[] = [];

  const link = archiveLink(dandiset.id);
  const name = dandiset.name === null ? "" : ` <span class="subtitle">${escapeHtml(dandiset.name)}</span>`;
  sections.push(
    `<p><a href="../index.html">All Dandisets</a></p>`,
    `<h1>Dandiset ${id}${name}</h1>`,
    `<p class="lede">Downloads from ${dateRange(dandiset.firstDate, dandiset.lastDate)}` +
      (link === null ? "." : `. <a href="${link}">This Dandiset on dandiarchive.org</a>.`) +
      "</p>",
    renderStats("Totals", [
      { label: "Bytes sent", value: bytesCell(dandiset.bytes) },
      { label: "Requests", value: countCell(dandiset.requests) },
      ...(published?.totals
        ? [
            { label: "Downloads", value: countCell(published.totals.downloads) },
            { label: "Views", value: countCell(published.totals.views) },
            { label: "Requesters", value: countCell(published.totals.requesters) },
          ]
        : []),
      { label: "Versions", value: countCell(dandiset.versions.length) },
      { label: "Assets downloaded", value: countCell(dandiset.byAsset.length) },
      { label: "Regions", value: countCell(dandiset.uniqueRegions) },
      { label: "Countries", value: countCell(dandiset.uniqueCountries) },
    ]),
  );

  sections.push('<h2 id="time">Bytes sent over time</h2>');
  if (dandiset.byDay.length === 0) {
    sections.push('<p class="note">No downloads recorded.</p>');
  } else {
    const series = bucketByTime(dandiset.byDay);
    const title = `Dandiset ${dandiset.id}: bytes sent per ${series.granularity}`;
    sections.push(
      renderFigure(
        labelSvg(drawTimeChart(title, series), `${title}, with the running total`),
        `Bars: bytes sent in each ${series.granularity} (left axis). Line: running total (right axis). ` +
          GRANULARITY_NOTES[series.granularity],
      ),
    );
  }

  sections.push(
    ...renderAssetTypeSection(
      published?.assetTypes ?? null,
      `Dandiset ${dandiset.id}: bytes sent by asset type`,
    ),
    ...renderRegionSection(dandiset.byRegion, dandiset.bytes, {
      title: "Bytes sent by region",
      topCount: LIMITS.regionBars,
      everyRegionNote: "Every region that downloaded from this Dandiset.",
    }),
    await renderWorldMap(dandiset.byRegion, `Dandiset ${dandiset.id}: bytes sent by country`),
  );

  sections.push('<h2 id="assets">Top assets</h2>');
  if (dandiset.byAsset.length > 0) {
    const bars = dandiset.byAsset.slice(0, LIMITS.assetBars);
    const labels = shortLabels(bars.map((row) => path.posix.basename(row.key)));
    const rows = dandiset.byAsset.slice(0, LIMITS.assetRows);
    sections.push(
      renderFigure(
        labelSvg(
          drawBarChart(
            "Bytes sent by asset",
            bars.map((row, i) => ({ label: labels[i], bytes: row.bytes })),
          ),
          "Bytes sent by asset",
        ),
        bars.length < dandiset.byAsset.length
          ? `The ${bars.length} assets that sent most, of ${formatCount(dandiset.byAsset.length)}, by file name.`
          : "Every asset downloaded, by file name; the table gives full paths.",
      ),
      renderTable(
        rows.length < dandiset.byAsset.length
          ? `The ${rows.length} assets that sent most, of ${formatCount(dandiset.byAsset.length)} downloaded`
          : `All ${formatCount(rows.length)} assets downloaded`,
        [
          { title: "Asset path", path: true, rowHeader: true },
          { title: "Bytes sent", numeric: true },
          { title: "Share", numeric: true },
          { title: "Requests", numeric: true },
          ...(published === null
            ? []
            : [
                { title: "Downloads", numeric: true },
                { title: "Views", numeric: true },
              ]),
        ],
        rows.map((row) => {
          const counts = published?.assetCounts.get(row.key);
          return [
            escapeHtml(row.key),
            bytesCell(row.bytes),
            shareCell(row.bytes, dandiset.bytes),
            countCell(row.requests),
            ...(published === null
              ? []
              : [countCell(counts?.downloads ?? null), countCell(counts?.views ?? null)]),
          ];
        }),
      ),
    );
  } else {
    sections.push('<p class="note">No assets recorded.</p>');
  }

  sections.push('<h2 id="versions">Versions</h2>');
  const versions = dandiset.versions;
  if (versions.length > 1) {
    const bars = [...versions].sort((a, b) => b.bytes - a.bytes).slice(0, LIMITS.versionBars);
    sections.push(
      renderTopBarsFigure({
        title: "Bytes sent by version",
        bars: bars.map((version) => ({ label: version.id, bytes: version.bytes })),
        of: versions.length,
        what: "versions that sent most",
        everyNote: "Every version with downloads, largest first.",
      }),
    );
  }
  if (versions.length > 0) {
    const rows = versions.slice(0, LIMITS.versionRows);
    sections.push(
      renderTable(
        (rows.length < versions.length
          ? `The first ${rows.length} of ${formatCount(versions.length)} versions. `
          : "Each version's downloads. ") +
          "An asset in several versions counts in each, so versions can add up to more than the Dandiset's total.",
        [
          { title: "Version", rowHeader: true },
          { title: "Bytes sent", numeric: true },
          { title: "Requests", numeric: true },
          { title: "Assets downloaded", numeric: true },
          { title: "First download" },
          { title: "Last download" },
        ],
        rows.map((version) => {
          const versionLink = archiveLink(dandiset.id, version.id);
          const name = escapeHtml(version.id);
          return [
            versionLink === null ? name : `<a href="${versionLink}">${name}</a>`,
            bytesCell(version.bytes),
            countCell(version.requests),
            countCell(version.assets),
            version.firstDate ?? "–",
            version.lastDate ?? "–",
          ];
        }),
      ),
    );
  } else {
    sections.push('<p class="note">No version folders found.</p>');
  }

  const notes = [requestNote(dandiset.requestSource), ...(published === null ? [] : [publishedNote()])];
  return renderPage({
    title:
      dandiset.name === null
        ? `Dandiset ${dandiset.id}: usage`
        : `Dandiset ${dandiset.id} (${dandiset.name}): usage`,
    root: "../",
    body: sections.join("\n"),
    footer: renderFooter(context, notes.map(escapeHtml), false),
  });
}
