import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkFunction,
  checkOptionsObject,
  checkPath,
  checkSignal,
  invalidOption,
} from "../check-options.js";
import { AbortedError, UsageError } from "../errors.js";
import { isInside, requireFolder } from "../io/folders.js";
import { VERSION } from "../version.js";
import { dandisetPagePath, renderDandisetPage } from "./dandiset-page.js";
import { type DandisetSummary, renderIndexPage, summarizeDandiset } from "./index-page.js";
import { ArchiveAccumulator } from "./load-archive.js";
import { listDandisets, loadDandiset } from "./load-dandiset.js";
import type { PageContext } from "./page-parts.js";
import { commitStagingFolder, createStagingFolder, discardStagingFolder } from "./staging-folder.js";
import type { RequestSource } from "./usage.js";

export interface BuildReportOptions {
  /** The map step's output: `<dandiset>/<version>/…` tables. */
  mappedFolder: string;
  /** Where the site goes; a previous report there is replaced, anything else is refused. */
  outputFolder: string;
  /** Aborting stops between pages, removes the unfinished report and rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Called after each page; `total` counts the Dandiset pages and the index. */
  onProgress?: (progress: { done: number; total: number }) => void;
  /** The time the pages say they were generated (now, unless a test fixes it). */
  generatedAt?: Date;
}

export interface ReportSummary {
  outputFolder: string;
  indexPath: string;
  pagesWritten: number;
  dandisets: number;
  /** Dandisets by where their request counts came from. */
  requestSources: Record<RequestSource, number>;
  /** Messages from the chart renderer; empty unless a chart was drawn from odd data. */
  chartWarnings: string[];
  seconds: number;
}

/** The file that marks a folder as a report, so a rerun may replace it and nothing else. */
export const REPORT_MARKER = "report.json";

const FOLDER_OPTIONS = ["outputFolder", "mappedFolder"];

/**
 * Builds the static usage site from a mapped folder: `index.html` ranking the Dandisets, and one page per
 * Dandiset under `dandisets/`. Charts are SVG drawn here, so the pages need no script and no network.
 * Reads one Dandiset at a time, so memory stays that of the largest Dandiset's tables.
 */
export async function buildReport(options: BuildReportOptions): Promise<ReportSummary> {
  const started = performance.now();
  checkOptions(options);
  const mappedFolder = requireFolder(options.mappedFolder, "mappedFolder");
  const outputFolder = checkOutputFolder(options.outputFolder, mappedFolder);
  const { signal } = options;
  if (signal?.aborted) throw new AbortedError("report was interrupted before it started");

  const context: PageContext = {
    generatedAt: options.generatedAt ?? new Date(),
    sourceName: path.basename(mappedFolder),
    generator: `dandi-s3-log-parser ${VERSION}`,
  };
  const ids = listDandisets(mappedFolder);
  const total = ids.length + 1;
  const chartWarnings: string[] = [];
  const requestSources: Record<RequestSource, number> = { tables: 0, "asset files": 0, none: 0 };
  const summaries: DandisetSummary[] = [];
  const archive = new ArchiveAccumulator();

  fs.mkdirSync(path.dirname(outputFolder), { recursive: true });
  const staging = createStagingFolder(outputFolder);
  try {
    fs.mkdirSync(path.join(staging, "dandisets"));
    for (const id of ids) {
      if (signal?.aborted) throw new AbortedError("report was interrupted; the previous report is unchanged");
      const dandiset = loadDandiset(mappedFolder, id);
      const html = await renderDandisetPage(dandiset, context, chartWarnings);
      fs.writeFileSync(path.join(staging, dandisetPagePath(id)), html);
      archive.add(dandiset);
      summaries.push(summarizeDandiset(dandiset));
      requestSources[dandiset.requestSource]++;
      options.onProgress?.({ done: summaries.length, total });
    }
    if (signal?.aborted) throw new AbortedError("report was interrupted; the previous report is unchanged");
    const indexHtml = await renderIndexPage(archive.finish(mappedFolder), summaries, context, chartWarnings);
    fs.writeFileSync(path.join(staging, "index.html"), indexHtml);
    fs.writeFileSync(
      path.join(staging, REPORT_MARKER),
      `${JSON.stringify(
        {
          generator: context.generator,
          generated_at: context.generatedAt.toISOString(),
          source: context.sourceName,
          dandisets: ids.length,
          pages: total,
        },
        null,
        2,
      )}\n`,
    );
    commitStagingFolder(staging, outputFolder);
  } catch (error) {
    discardStagingFolder(staging);
    throw error;
  }
  options.onProgress?.({ done: total, total });
  return {
    outputFolder,
    indexPath: path.join(outputFolder, "index.html"),
    pagesWritten: total,
    dandisets: ids.length,
    requestSources,
    chartWarnings,
    seconds: (performance.now() - started) / 1000,
  };
}

function checkOptions(options: BuildReportOptions): void {
  checkOptionsObject(options, "buildReport");
  checkPath(options.mappedFolder, "mappedFolder", true);
  checkPath(options.outputFolder, "outputFolder", true);
  checkSignal(options.signal);
  checkFunction(options.onProgress, "onProgress");
  const at = options.generatedAt;
  if (at !== undefined && !(at instanceof Date && Number.isFinite(at.getTime())))
    throw invalidOption("generatedAt", "must be a valid Date");
}

/**
 * The output folder is replaced wholesale, so it must not hold the input, lie inside it, or be a folder
 * of something else that a mistyped flag would wipe.
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
      `\`outputFolder\` ${outputFolder} is not empty and holds no earlier report (no ${REPORT_MARKER}), ` +
        "and it would be replaced; choose a new or empty folder",
      { code: "ERR_OUTPUT_NOT_A_REPORT", optionNames: ["outputFolder"] },
    );
  }
  return resolved;
}
