import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkFunction,
  checkOptionsObject,
  checkPath,
  checkSignal,
  checkWholeNumber,
  invalidOption,
} from "../check-options.js";
import { AbortedError, UsageError } from "../errors.js";
import { refuseInsideStepFolder } from "../formats/step-folders.js";
import { removeStaleTempFiles } from "../io/atomic-file.js";
import { isInside, requireFolder } from "../io/folders.js";
import { acquireRunLock } from "../io/run-lock.js";
import { VERSION } from "../version.js";
import { type DandisetPublished, dandisetPagePath } from "./dandiset-page.js";
import type { PageTask } from "./draw-page.js";
import { type DandisetSummary, renderIndexPage } from "./index-page.js";
import { ArchiveAccumulator, hasArchiveTables } from "./load-archive.js";
import { listDandisets } from "./load-dandiset.js";
import {
  loadPublishedSummaries,
  type PublishedSummaries,
  readAssetTypeWeeks,
  readPublishedTable,
} from "./load-summaries.js";
import { fingerprintDandiset } from "./page-fingerprint.js";
import type { PageContext } from "./page-parts.js";
import { drawPages } from "./page-pool.js";
import { AsideWriter, pagesWrittenBefore, removePagesGone, stagingWriter } from "./page-writer.js";
import {
  emptyState,
  type PageRecord,
  type ReportState,
  readState,
  readStatePages,
  writeState,
} from "./report-state.js";
import {
  commitStagingFolder,
  createStagingFolder,
  discardStagingFolder,
  recoverSideFolders,
} from "./staging-folder.js";
import type { RequestSource } from "./usage.js";

export interface BuildReportOptions {
  /** The map step's output: `<dandiset>/<version>/…` tables. */
  mappedFolder: string;
  /**
   * The published summaries map wrote (`--summaries_folder_path`), for downloads, views, requesters,
   * bytes by asset type and the traffic on objects of no Dandiset; the report leaves those out without it.
   */
  summariesFolder?: string;
  /** Where the site goes; a previous report there is brought up to date, anything else is refused. */
  outputFolder: string;
  /**
   * Aborting stops between pages, removes what was drawn, leaves the previous report as it was and
   * rejects with `AbortedError`.
   */
  signal?: AbortSignal;
  /** Called after each page drawn; `total` counts the Dandiset pages to draw again and the index. */
  onProgress?: (progress: { done: number; total: number }) => void;
  /** The time the index says the report was generated (now, unless a test fixes it). */
  generatedAt?: Date;
  /**
   * Threads that draw pages at once: the main thread and `workers - 1` worker threads. The pages are the
   * same whichever thread draws them. Default 1.
   */
  workers?: number;
}

export interface ReportSummary {
  outputFolder: string;
  indexPath: string;
  /** Pages drawn by this run: the Dandiset pages whose tables changed, and the index. */
  pagesWritten: number;
  /** Dandiset pages kept as they were, their tables unchanged since they were drawn. */
  pagesUnchanged: number;
  /** Pages of Dandisets no longer in the mapped folder, removed. */
  pagesRemoved: number;
  /** True when every page was drawn afresh (no earlier report, or one made by another version). */
  drawnFromScratch: boolean;
  dandisets: number;
  /** Dandisets by where their request counts came from. */
  requestSources: Record<RequestSource, number>;
  /**
   * Messages from the chart renderer, which Vega gave for charts drawn from odd data. The charts are
   * drawn directly now (draw-charts.ts), which says nothing: kept empty for callers that read it.
   */
  chartWarnings: string[];
  seconds: number;
}

/** The file that marks a folder as a report, so a rerun may replace it and nothing else. */
export const REPORT_MARKER = "report.json";

const FOLDER_OPTIONS = ["outputFolder", "mappedFolder"];
const INDEX = "index.html";

/**
 * Builds the static usage site from a mapped folder: `index.html` ranking the Dandisets, and one page per
 * Dandiset under `dandisets/`. Charts are SVG drawn here, so the pages need no script and no network.
 * Reads one Dandiset at a time, so memory stays that of the largest Dandiset's tables.
 *
 * A rerun redraws only the pages of Dandisets whose tables changed (see `fingerprintDandiset`), removes
 * those of Dandisets gone, and draws the index from what the state file keeps of the others, so a daily
 * run costs what the new day changed. The result is the same, byte for byte, as drawing from scratch.
 */
export async function buildReport(options: BuildReportOptions): Promise<ReportSummary> {
  const started = performance.now();
  checkOptions(options);
  const mappedFolder = requireFolder(options.mappedFolder, "mappedFolder");
  const outputFolder = checkOutputFolder(options.outputFolder, mappedFolder);
  if (options.signal?.aborted) throw new AbortedError("report was interrupted before it started");
  fs.mkdirSync(path.dirname(outputFolder), { recursive: true });
  // Pages are now updated in place, so two runs on one report must not interleave.
  const release = acquireRunLock(lockPathFor(outputFolder));
  try {
    return await updateReport(options, mappedFolder, outputFolder, started);
  } finally {
    release();
  }
}

/** Beside the report rather than in it, so that swapping a report in whole does not move the lock. */
function lockPathFor(outputFolder: string): string {
  return path.join(path.dirname(outputFolder), `.${path.basename(outputFolder)}.lock`);
}

async function updateReport(
  options: BuildReportOptions,
  mappedFolder: string,
  outputFolder: string,
  started: number,
): Promise<ReportSummary> {
  const { signal } = options;
  const context: PageContext = {
    generatedAt: options.generatedAt ?? new Date(),
    sourceName: path.basename(mappedFolder),
    generator: `dandi-s3-log-parser ${VERSION}`,
  };
  const archiveTables = hasArchiveTables(mappedFolder);
  const published =
    options.summariesFolder === undefined
      ? null
      : loadPublishedSummaries(path.resolve(options.summariesFolder));
  const setting = JSON.stringify({
    generator: context.generator,
    source: context.sourceName,
    archiveTables,
    // Pages with the world map and the published counts are drawn differently: a change redraws all.
    pages: "world-map",
    published: published !== null,
  });
  recoverSideFolders(outputFolder);
  if (fs.existsSync(outputFolder)) removeStaleTempFiles(outputFolder);
  const exists = fs.existsSync(outputFolder);
  const previous = exists ? readState(outputFolder, setting) : emptyState(setting);
  const previousPages = exists
    ? pagesWrittenBefore(outputFolder, readStatePages(outputFolder, dandisetPagePath))
    : [];

  const ids = listDandisets(mappedFolder);
  const pagePaths = new Set(ids.map(dandisetPagePath));
  const fingerprints = new Map(
    ids.map((id) => [
      id,
      fingerprintDandiset(path.join(mappedFolder, id)) +
        publishedFingerprint(dandisetPublished(published, id)),
    ]),
  );
  const existing = new Set(previousPages);
  const toDraw = ids.filter(
    (id) => previous.pages[id]?.fingerprint !== fingerprints.get(id) || !existing.has(dandisetPagePath(id)),
  );
  // Without a state nothing is known of the pages there: every page is drawn.
  const fromScratch = Object.keys(previous.pages).length === 0;
  const total = toDraw.length + 1;

  // A first report appears whole: drawn in a staging folder and renamed into place. Into a folder
  // that exists, pages go in place, as on any rerun: swapping the folder would drop what else it
  // holds (a CNAME, a logo), or replace a link to a site's folder with a folder of its own.
  const staging = exists ? null : createStagingFolder(outputFolder);
  const aside = staging === null ? new AsideWriter(outputFolder) : null;
  const writer = staging === null ? aside! : stagingWriter(staging);
  const state = emptyState(setting);
  let chartWarnings: string[] = [];
  let pagesRemoved = 0;
  const requestSources: Record<RequestSource, number> = { tables: 0, "asset files": 0, none: 0 };
  try {
    fs.mkdirSync(path.join(staging ?? outputFolder, "dandisets"), { recursive: true });
    const drawn = new Map<string, PageRecord>();
    // Made as each page is handed out: the published rows of every Dandiset at once could be many.
    const taskFor = (id: string): PageTask => ({
      mappedFolder,
      id,
      context,
      published: dandisetPublished(published, id),
      keepShare: !archiveTables,
    });
    await drawPages(
      toDraw,
      taskFor,
      options.workers ?? 1,
      (task, page) => {
        writer.write(dandisetPagePath(task.id), page.html);
        drawn.set(task.id, { fingerprint: fingerprints.get(task.id)!, ...page.record });
        options.onProgress?.({ done: drawn.size, total });
      },
      signal,
    );

    // Every Dandiset in id order, as a run from scratch would take them.
    const archive = new ArchiveAccumulator();
    const summaries: DandisetSummary[] = [];
    for (const id of ids) {
      const record = drawn.get(id) ?? previous.pages[id];
      state.pages[id] = record;
      summaries.push(record.summary);
      archive.add({
        ...record.summary,
        byDay: record.share?.byDay ?? [],
        byRegion: record.share?.byRegion ?? [],
      });
      requestSources[record.requestSource]++;
      chartWarnings = chartWarnings.concat(record.chartWarnings);
    }
    if (signal?.aborted) throw new AbortedError("report was interrupted; the previous report is unchanged");
    writer.write(INDEX, await renderIndexPage(archive.finish(mappedFolder), summaries, context, published));
    writer.write(REPORT_MARKER, describeReport(context, ids.length));
    options.onProgress?.({ done: total, total });
    if (signal?.aborted) throw new AbortedError("report was interrupted; the previous report is unchanged");

    if (staging !== null) {
      writeState(staging, state);
      commitStagingFolder(staging, outputFolder);
    } else {
      pagesRemoved = commitInPlace(outputFolder, aside!, previous, toDraw, state, pagePaths, previousPages);
    }
  } catch (error) {
    if (staging !== null) discardStagingFolder(staging);
    aside?.discard();
    throw error;
  }
  return {
    outputFolder,
    indexPath: path.join(outputFolder, INDEX),
    pagesWritten: total,
    pagesUnchanged: ids.length - toDraw.length,
    pagesRemoved,
    drawnFromScratch: fromScratch,
    dandisets: ids.length,
    requestSources,
    chartWarnings,
    seconds: (performance.now() - started) / 1000,
  };
}

/** What a Dandiset's page shows of the published summaries. */
function dandisetPublished(published: PublishedSummaries | null, id: string): DandisetPublished | null {
  if (published === null) return null;
  const rows = readPublishedTable(published.folder, id, "asset") ?? [];
  return {
    totals: published.totals.get(id) ?? null,
    assetCounts: new Map(rows.map((row) => [row.key, { downloads: row.downloads, views: row.views }])),
    assetTypes: readAssetTypeWeeks(published.folder, id),
  };
}

/** A digest of what a page shows of the published summaries, so that a change there redraws it. */
function publishedFingerprint(shown: DandisetPublished | null): string {
  if (shown === null) return "";
  return `:${createHash("sha256")
    .update(JSON.stringify([shown.totals, [...shown.assetCounts], shown.assetTypes]))
    .digest("hex")
    .slice(0, 32)}`;
}

function checkOptions(options: BuildReportOptions): void {
  checkOptionsObject(options, "buildReport");
  checkPath(options.mappedFolder, "mappedFolder", true);
  checkPath(options.outputFolder, "outputFolder", true);
  checkPath(options.summariesFolder, "summariesFolder", false);
  checkSignal(options.signal);
  checkFunction(options.onProgress, "onProgress");
  checkWholeNumber(options.workers, "workers", 1);
  const at = options.generatedAt;
  if (at !== undefined && !(at instanceof Date && Number.isFinite(at.getTime())))
    throw invalidOption("generatedAt", "must be a valid Date");
}

/**
 * Brings the report in place up to date with the pages written aside. A kill can land between any two
 * steps; each leaves what the next run repairs:
 * 1. the state, without the pages about to change: a kill after this redraws them, whatever they hold;
 * 2. the new pages, then the index and report.json that link them, renamed into place;
 * 3. pages the report wrote of Dandisets gone removed, and nothing else (a kill before this leaves
 *    them listed in no state; the next run removes them as the pages of an earlier report);
 * 4. the full state, last: only now are the new pages known to be drawn from their tables.
 * Returns how many pages it removed.
 */
function commitInPlace(
  outputFolder: string,
  aside: AsideWriter,
  previous: ReportState,
  redrawn: readonly string[],
  state: ReportState,
  pagePaths: ReadonlySet<string>,
  writtenBefore: readonly string[],
): number {
  const pending = emptyState(state.setting);
  const changing = new Set(redrawn);
  for (const [id, record] of Object.entries(previous.pages)) {
    if (!changing.has(id) && state.pages[id] !== undefined) pending.pages[id] = record;
  }
  // Every page that may be there once the renames start, vouched for by no record: the new pages
  // and those about to be removed, so that a kill leaves none the next run would take for a user's.
  const vouched = new Set(Object.keys(pending.pages).map(dandisetPagePath));
  pending.otherPages = [...new Set([...writtenBefore, ...redrawn.map(dandisetPagePath)])].filter(
    (page) => !vouched.has(page),
  );
  writeState(outputFolder, pending);
  aside.commit();
  const removed = removePagesGone(outputFolder, writtenBefore, pagePaths);
  writeState(outputFolder, state);
  return removed;
}

function describeReport(context: PageContext, dandisets: number): string {
  return `${JSON.stringify(
    {
      generator: context.generator,
      generated_at: context.generatedAt.toISOString(),
      source: context.sourceName,
      dandisets,
      pages: dandisets + 1,
    },
    null,
    2,
  )}\n`;
}

/**
 * The report writes `index.html`, `report.json`, `report-state.json` and `dandisets/` into the output
 * folder, so it must not hold the input or lie inside it; a folder that already holds other things
 * but no report is refused, as a mistyped flag. A folder with a report in it may hold anything else
 * besides: the report only ever replaces or removes its own files.
 */
function checkOutputFolder(outputFolder: string, mappedFolder: string): string {
  const resolved = path.resolve(outputFolder);
  if (isInside(resolved, mappedFolder)) {
    throw new UsageError(
      `\`outputFolder\` ${outputFolder} is inside \`mappedFolder\` ${mappedFolder}; choose a folder outside it`,
      { code: "ERR_OUTPUT_INSIDE_INPUT", optionNames: FOLDER_OPTIONS },
    );
  }
  if (isInside(mappedFolder, resolved)) {
    throw new UsageError(
      `\`outputFolder\` ${outputFolder} holds \`mappedFolder\` ${mappedFolder} and would replace it; ` +
        "choose a folder of its own for the report",
      { code: "ERR_OUTPUT_HOLDS_INPUT", optionNames: FOLDER_OPTIONS },
    );
  }
  refuseInsideStepFolder(resolved, "outputFolder");
  let entries: string[];
  try {
    entries = fs.readdirSync(resolved);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return resolved;
    if (code === "ENOTDIR")
      throw new UsageError(`\`outputFolder\` ${outputFolder} is a file, not a folder`, {
        code: "ERR_NOT_A_FOLDER",
        optionNames: ["outputFolder"],
      });
    throw error;
  }
  if (entries.length > 0 && !entries.includes(REPORT_MARKER)) {
    throw new UsageError(
      `\`outputFolder\` ${outputFolder} is not empty and holds no earlier report (no ${REPORT_MARKER}); ` +
        "choose a new or empty folder (files added beside a report later are left alone)",
      { code: "ERR_OUTPUT_NOT_A_REPORT", optionNames: ["outputFolder"] },
    );
  }
  return resolved;
}
