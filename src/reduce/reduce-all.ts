import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkBoolean,
  checkBufferBytes,
  checkExcludedIps,
  checkExcludedYears,
  checkFunction,
  checkOptionsObject,
  checkPath,
  checkSignal,
  checkWholeNumber,
} from "../check-options.js";
import { removeStaleTempFiles } from "../io/atomic-file.js";
import { ErrorLog } from "../io/error-log.js";
import { listFiles, prepareOutputFolder, requireFolder } from "../io/folders.js";
import { checkIpKey, type IpKey } from "../privacy/ip-key.js";
import { claimIpMode, ipModeOf } from "../privacy/ip-mode.js";
import { DEFAULT_OPERATION } from "../s3log/fields.js";
import { checkReducerOptions } from "./check-reducer-options.js";
import { emptyLineCounts, type LineCounts } from "./line-counts.js";
import { DEFAULT_MAX_LINE_BYTES } from "./log-reducer.js";
import { type DayFile, planPieces } from "./plan-pieces.js";
import { type PoolContext, ReducePool, reducedPathOf } from "./reduce-pool.js";
import { ProgressTracker, type ReduceProgress } from "./reduce-progress.js";

export interface ReduceAllOptions {
  rawFolder: string;
  reducedFolder: string;
  /**
   * Threads that reduce at once: the main thread and `workers - 1` worker threads. Each takes a
   * whole day file, or a range of a large one.
   */
  workers?: number;
  /** Approximate memory for buffers, in bytes, shared by all workers. */
  bufferBytes?: number;
  excludedYears?: readonly (string | number)[];
  excludedIps?: readonly string[];
  operation?: string;
  maxLineBytes?: number;
  /** Write each address as its token under this key (see privacy/ip-token.ts); in clear without. */
  ipKey?: IpKey | null;
  /** Error-log lines as read, addresses included, rather than with addresses masked (for debugging). */
  keepRawLines?: boolean;
  /**
   * With several workers, a day file of 16 MiB or more is cut into byte ranges (moved to line
   * starts) of at most this many bytes, 64 MiB unless told, reduced by whichever worker is free, and
   * its output assembled in order. Tests force small ranges with it.
   */
  rangeBytes?: number;
  /** Called on the main thread as work advances. */
  onProgress?: (progress: ReduceProgress) => void;
  /** Aborting stops the workers and removes unfinished outputs; the run rejects with `AbortedError`. */
  signal?: AbortSignal;
}

export type { ReduceProgress };

export interface ReduceSummary {
  /** Day files found in the raw folder. */
  filesFound: number;
  filesReduced: number;
  /** Already reduced by an earlier run: their output exists. */
  filesAlreadyReduced: number;
  /** In a year folder that was excluded. */
  filesInExcludedYears: number;
  /** `.log` files that are not a day file `YYYY/MM/DD.log` of a real date, and why; never reduced. */
  filesSkipped: { file: string; reason: string }[];
  failures: { file: string; message: string }[];
  bytesRead: number;
  counts: LineCounts;
  /** The error log with every malformed line, or null when there was none. */
  errorLogPath: string | null;
  seconds: number;
}

export const DEFAULT_BUFFER_BYTES = 1000 * 1024 * 1024;
const MIN_READ_BUFFER_BYTES = 64 * 1024;
const MAX_READ_BUFFER_BYTES = 1024 * 1024;
const LOG_FILE = /\.log$/;
const DAY_PATH = /^(\d{4})\/(\d{2})\/(\d{2})\.log$/;

/** A raw day file is `.../YYYY/MM/DD.log`; its year is the name of the folder two levels up. */
function yearFolderOf(relativePath: string): string {
  const parts = relativePath.split("/");
  return parts.length >= 3 ? parts[parts.length - 3] : "";
}

export { reducedPathOf };

/**
 * Why a `.log` file is not a day file, or null when it is one: `YYYY/MM/DD.log` (two-digit month
 * and day) of a date that exists. `4.log` beside `04.log` would count a day twice, and `13/01.log`
 * or `02/31.log` name no day at all.
 */
export function dayFileProblem(relativePath: string): string | null {
  const match = DAY_PATH.exec(relativePath.split("/").slice(-3).join("/"));
  if (match === null) return "not named YYYY/MM/DD.log (four-digit year, two-digit month and day)";
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return `${match[1]}-${match[2]}-${match[3]} is not a date`;
  return null;
}

function validate(options: ReduceAllOptions): { workers: number; bufferBytes: number; years: number[] } {
  checkOptionsObject(options, "reduceAllDandiRawS3Logs");
  checkPath(options.rawFolder, "rawFolder", true);
  checkPath(options.reducedFolder, "reducedFolder", true);
  checkWholeNumber(options.workers, "workers", 1);
  checkBufferBytes(options.bufferBytes);
  checkExcludedYears(options.excludedYears);
  checkExcludedIps(options.excludedIps);
  checkReducerOptions(options);
  checkWholeNumber(options.rangeBytes, "rangeBytes", 1);
  checkIpKey(options.ipKey);
  checkBoolean(options.keepRawLines, "keepRawLines");
  checkFunction(options.onProgress, "onProgress");
  checkSignal(options.signal);
  return {
    workers: options.workers ?? 1,
    bufferBytes: options.bufferBytes ?? DEFAULT_BUFFER_BYTES,
    years: (options.excludedYears ?? []).map((year) => Number(String(year).trim())),
  };
}

/**
 * Reduces every raw day file (`YYYY/MM/DD.log`) not yet reduced into `YYYY/MM/DD.tsv`, spreading
 * day files, and ranges of large ones, over the main thread and worker threads. Each output is renamed into place only when complete, so a run killed
 * at any moment leaves finished days and nothing else, and the next run picks up where it stopped.
 */
export async function reduceAllDandiRawS3Logs(options: ReduceAllOptions): Promise<ReduceSummary> {
  const started = Date.now();
  const { workers: maxWorkers, bufferBytes, years } = validate(options);
  const rawFolder = requireFolder(options.rawFolder, "rawFolder");
  const reducedFolder = prepareOutputFolder(options.reducedFolder, rawFolder, "reducedFolder", "rawFolder");
  removeStaleTempFiles(reducedFolder);
  claimIpMode(reducedFolder, ipModeOf(options.ipKey ?? null));

  const excludedYearNames = new Set(years.map(String));
  const filesSkipped: ReduceSummary["filesSkipped"] = [];
  const found = listFiles(rawFolder, (name) => LOG_FILE.test(name)).filter((file) => {
    const reason = dayFileProblem(file);
    if (reason !== null) filesSkipped.push({ file, reason });
    return reason === null;
  });
  const summary: ReduceSummary = {
    filesFound: found.length,
    filesReduced: 0,
    filesAlreadyReduced: 0,
    filesInExcludedYears: 0,
    filesSkipped,
    failures: [],
    bytesRead: 0,
    counts: emptyLineCounts(),
    errorLogPath: null,
    seconds: 0,
  };
  const todo: DayFile[] = [];
  for (const relativePath of found) {
    if (excludedYearNames.has(yearFolderOf(relativePath))) summary.filesInExcludedYears++;
    else if (fs.existsSync(path.join(reducedFolder, reducedPathOf(relativePath))))
      summary.filesAlreadyReduced++;
    else todo.push({ relativePath, size: fs.statSync(path.join(rawFolder, relativePath)).size });
  }
  // Largest first: the last file to start is then a small one, so workers finish together.
  todo.sort((a, b) => b.size - a.size || (a.relativePath < b.relativePath ? -1 : 1));

  const errorLog = new ErrorLog("reduce", undefined, options.keepRawLines);
  const context: PoolContext = {
    rawFolder,
    reducedFolder,
    readBufferBytes: Math.min(
      MAX_READ_BUFFER_BYTES,
      Math.max(MIN_READ_BUFFER_BYTES, Math.floor(bufferBytes / maxWorkers / 16)),
    ),
    operation: options.operation ?? DEFAULT_OPERATION,
    years,
    excludedIps: [...(options.excludedIps ?? [])],
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    ipKeyBytes: options.ipKey?.bytes ?? null,
    summary,
    errorLog,
    progress: new ProgressTracker(todo, options.onProgress),
    signal: options.signal,
  };
  try {
    const pieces = planPieces(todo, maxWorkers, options.rangeBytes);
    await new ReducePool(todo, pieces, context).run(maxWorkers);
  } finally {
    errorLog.close();
  }
  summary.errorLogPath = errorLog.count > 0 ? errorLog.path : null;
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}
