import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkBoolean,
  checkBufferBytes,
  checkExcludedIps,
  checkExcludedYears,
  checkFunction,
  checkNumber,
  checkOptionsObject,
  checkPath,
  checkSignal,
  checkWholeNumber,
  invalidOption,
  MAX_TIMER_MS,
} from "../check-options.js";
import { RunError } from "../errors.js";
import { claimReducedSource } from "../formats/reduced-source.js";
import { claimReducedFolder } from "../formats/work-formats.js";
import { removeStaleTempFiles, tempPathFor } from "../io/atomic-file.js";
import { ErrorLog } from "../io/error-log.js";
import { prepareOutputFolder, requireFolder } from "../io/folders.js";
import { gunzipFile, isGzipFile } from "../io/gzip.js";
import { acquireRunLock } from "../io/run-lock.js";
import { checkIpKey, type IpKey } from "../privacy/ip-key.js";
import { claimIpMode, ipModeOf } from "../privacy/ip-mode.js";
import { holdsLogObjects, LocalObjectFolder } from "../s3/local-objects.js";
import type { LogObjectSource } from "../s3/log-objects.js";
import { DEFAULT_SETTLE_HOURS } from "../s3/settle.js";
import { DEFAULT_OPERATION } from "../s3log/fields.js";
import { checkReducerOptions } from "./check-reducer-options.js";
import { dayFileProblem, planDayFile } from "./day-file-plan.js";
import { readDayRecords, writeDayRecords } from "./day-records.js";
import { emptyLineCounts, type LineCounts } from "./line-counts.js";
import { DEFAULT_MAX_LINE_BYTES } from "./log-reducer.js";
import { type DayFile, planPieces } from "./plan-pieces.js";
import { listRawLogFiles } from "./raw-day-files.js";
import { type ObjectSummary, reduceLogObjects } from "./reduce-objects.js";
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
  /**
   * For log objects (a folder of them, or `s3://bucket/prefix/`): hours after its end that a day is
   * taken as complete, 3 unless told (see reduce-objects.ts).
   */
  settleHours?: number;
  /** For a bucket: read the keys from this S3 Inventory `manifest.json` (a path or `s3://` URL) instead of listing. */
  inventory?: string;
  /**
   * For a bucket: how long a request may send nothing (no connection, no answer, no byte of a body)
   * before it is given up and retried; a request that times out three times fails the run, naming
   * its object. 60 seconds unless told.
   */
  networkTimeoutMs?: number;
  /** The time settling is judged at; now unless told (tests). */
  now?: Date;
}

export type { ReduceProgress };

export interface ReduceSummary {
  /** Day files found in the raw folder. */
  filesFound: number;
  filesReduced: number;
  /** Already reduced by an earlier run, and unchanged since. */
  filesAlreadyReduced: number;
  /** Day files that grew after they were reduced: their new lines were reduced as a further unit. */
  filesGrown: number;
  /** Day files of today or yesterday modified in the last few minutes: left for the next run. */
  filesStillBeingWritten: string[];
  /** In a year folder that was excluded. */
  filesInExcludedYears: number;
  /** `.log` files that are not a day file `YYYY/MM/DD.log` of a real date, and why; never reduced. */
  filesSkipped: { file: string; reason: string }[];
  failures: { file: string; message: string }[];
  bytesRead: number;
  counts: LineCounts;
  /** The error log with every malformed line, or null when there was none. */
  errorLogPath: string | null;
  /** When the raw logs are log objects as AWS delivers them: what was done with them; else null. */
  objects: ObjectSummary | null;
  seconds: number;
}

export const DEFAULT_BUFFER_BYTES = 1000 * 1024 * 1024;
const MIN_READ_BUFFER_BYTES = 64 * 1024;
const MAX_READ_BUFFER_BYTES = 1024 * 1024;
/** A raw day file is `.../YYYY/MM/DD.log`; its year is the name of the folder two levels up. */
function yearFolderOf(relativePath: string): string {
  const parts = relativePath.split("/");
  return parts.length >= 3 ? parts[parts.length - 3] : "";
}

export { reducedPathOf };

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
  checkNumber(options.settleHours, "settleHours", 0, 24 * 365);
  checkPath(options.inventory, "inventory", false);
  checkNumber(options.networkTimeoutMs, "networkTimeoutMs", 1, MAX_TIMER_MS);
  if (options.now !== undefined && !(options.now instanceof Date && Number.isFinite(options.now.getTime())))
    throw invalidOption("now", "must be a valid Date");
  if (options.inventory !== undefined && !isS3Url(options.rawFolder))
    throw invalidOption("inventory", "is for a bucket: give `rawFolder` as s3://bucket/prefix/");
  return {
    workers: options.workers ?? 1,
    bufferBytes: options.bufferBytes ?? DEFAULT_BUFFER_BYTES,
    years: (options.excludedYears ?? []).map((year) => Number(String(year).trim())),
  };
}

/** The lock a reduce holds on its reduced folder, which rekey takes too. */
export const REDUCE_LOCK_NAME = ".reduce_lock";

/**
 * Reduces every raw day file (`YYYY/MM/DD.log`) not yet reduced into `YYYY/MM/DD.tsv`, spreading
 * day files, and ranges of large ones, over the main thread and worker threads. Each output is renamed into place only when complete, so a run killed
 * at any moment leaves finished days and nothing else, and the next run picks up where it stopped.
 */
export async function reduceAllDandiRawS3Logs(options: ReduceAllOptions): Promise<ReduceSummary> {
  const started = Date.now();
  const { workers: maxWorkers, bufferBytes, years } = validate(options);
  if (isS3Url(options.rawFolder)) {
    const reducedFolder = path.resolve(options.reducedFolder);
    fs.mkdirSync(reducedFolder, { recursive: true });
    const release = lockReducedFolder(reducedFolder);
    try {
      claimReducedFolder(reducedFolder);
      claimReducedSource(reducedFolder, "log objects", options.rawFolder);
      const { S3ObjectSource } = await import("../s3/s3-source.js");
      const source = await S3ObjectSource.open(options.rawFolder, {
        inventory: options.inventory,
        timeoutMs: options.networkTimeoutMs,
      });
      try {
        return await reduceObjects(source, reducedFolder, options, {
          maxWorkers,
          bufferBytes,
          years,
          started,
        });
      } finally {
        source.close();
      }
    } finally {
      release();
    }
  }
  const rawFolder = requireFolder(options.rawFolder, "rawFolder");
  const reducedFolder = prepareOutputFolder(options.reducedFolder, rawFolder, "reducedFolder", "rawFolder");
  const release = lockReducedFolder(reducedFolder);
  try {
    // Before anything is written: a folder of rows without the status is refused, a new one marked.
    claimReducedFolder(reducedFolder);
    const objects = holdsLogObjects(rawFolder);
    claimReducedSource(reducedFolder, objects ? "log objects" : "day files", rawFolder);
    if (objects)
      return await reduceObjects(new LocalObjectFolder(rawFolder), reducedFolder, options, {
        maxWorkers,
        bufferBytes,
        years,
        started,
      });
    return await reduceDayFiles(rawFolder, reducedFolder, options, {
      maxWorkers,
      bufferBytes,
      years,
      started,
    });
  } finally {
    release();
  }
}

/**
 * Reduce keeps state across runs (the journal of log objects, the rows held for days not settled,
 * the records of day files and their further units), and rekey rewrites the folder: a second
 * reduce, or a rekey, beside this one would commit over it or leave rows of the old key behind.
 */
function lockReducedFolder(reducedFolder: string): () => void {
  return acquireRunLock(path.join(reducedFolder, REDUCE_LOCK_NAME));
}

/** Reduces the day files (`YYYY/MM/DD.log`) of `rawFolder` not reduced yet, and the new parts of those that grew. */
async function reduceDayFiles(
  rawFolder: string,
  reducedFolder: string,
  options: ReduceAllOptions,
  settings: Settings & { started: number },
): Promise<ReduceSummary> {
  const { maxWorkers, bufferBytes, years, started } = settings;
  removeStaleTempFiles(reducedFolder);
  claimIpMode(reducedFolder, ipModeOf(options.ipKey ?? null));

  const excludedYearNames = new Set(years.map(String));
  const listing = listRawLogFiles(rawFolder);
  const filesSkipped: ReduceSummary["filesSkipped"] = listing.skipped;
  const found = listing.files.filter((file) => {
    const reason = dayFileProblem(file.relativePath);
    if (reason !== null) filesSkipped.push({ file: file.relativePath, reason });
    return reason === null;
  });
  filesSkipped.sort((a, b) => (a.file < b.file ? -1 : 1));
  const summary = emptyReduceSummary(found.length, filesSkipped);
  const records = readDayRecords(reducedFolder);
  const todo: DayFile[] = [];
  const now = Date.now();
  for (const file of found) {
    if (excludedYearNames.has(yearFolderOf(file.relativePath))) {
      summary.filesInExcludedYears++;
      continue;
    }
    const plan = planDayFile(rawFolder, reducedFolder, file, records, now);
    if (plan.type === "done") summary.filesAlreadyReduced++;
    else if (plan.type === "waiting") summary.filesStillBeingWritten.push(file.relativePath);
    else if (plan.type === "changed")
      summary.failures.push({ file: file.relativePath, message: plan.message });
    else {
      if (plan.unit.start > 0) summary.filesGrown++;
      todo.push({
        relativePath: file.relativePath,
        size: plan.unit.end,
        start: plan.unit.start,
        output: plan.unit.unit,
      });
    }
  }
  // Recorded before they are reduced: a unit whose output is missing was cut short, and is planned again.
  if (todo.length > 0 || records.size > 0) writeDayRecords(reducedFolder, records);
  // Largest first: the last file to start is then a small one, so workers finish together.
  todo.sort((a, b) => b.size - a.size || (a.relativePath < b.relativePath ? -1 : 1));

  const errorLog = new ErrorLog("reduce", undefined, options.keepRawLines);
  const scratch: string[] = [];
  try {
    const readable = await decompressDayFiles(
      rawFolder,
      reducedFolder,
      todo,
      summary,
      scratch,
      options.signal,
    );
    const context: PoolContext = {
      ...reducerSettings(options, errorLog, { maxWorkers, bufferBytes, years }),
      rawFolder,
      reducedFolder,
      summary,
      progress: new ProgressTracker(readable, options.onProgress),
    };
    const pieces = planPieces(readable, maxWorkers, options.rangeBytes);
    await new ReducePool(readable, pieces, context).run(maxWorkers);
  } finally {
    errorLog.close();
    for (const file of scratch) fs.rmSync(file, { force: true });
  }
  summary.errorLogPath = errorLog.count > 0 ? errorLog.path : null;
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

/**
 * The day files to reduce as the reducer reads them: a gzip-compressed one (`DD.log.gz`, or any day
 * file that starts with gzip's magic number) decompressed first into a scratch file beside its
 * output, of the name a temporary file has (0600, removed at the end, or by the next run after a
 * kill). One that cannot be decompressed is a failure of its day, as an unreadable file is.
 */
async function decompressDayFiles(
  rawFolder: string,
  reducedFolder: string,
  todo: readonly DayFile[],
  summary: ReduceSummary,
  scratch: string[],
  signal?: AbortSignal,
): Promise<DayFile[]> {
  const readable: DayFile[] = [];
  for (const file of todo) {
    const input = path.join(rawFolder, file.relativePath);
    if (!isGzipFile(input)) {
      readable.push(file);
      continue;
    }
    const plain = tempPathFor(path.join(reducedFolder, file.output ?? reducedPathOf(file.relativePath)));
    fs.mkdirSync(path.dirname(plain), { recursive: true });
    scratch.push(plain);
    try {
      const size = await gunzipFile(input, plain, file.relativePath, signal);
      readable.push({ ...file, input: plain, size, start: 0 });
    } catch (error) {
      if (error instanceof RunError)
        summary.failures.push({ file: file.relativePath, message: error.message });
      else throw error;
    }
  }
  return readable;
}

interface Settings {
  maxWorkers: number;
  bufferBytes: number;
  years: number[];
}

function emptyReduceSummary(filesFound: number, filesSkipped: ReduceSummary["filesSkipped"]): ReduceSummary {
  return {
    filesFound,
    filesReduced: 0,
    filesAlreadyReduced: 0,
    filesGrown: 0,
    filesStillBeingWritten: [],
    filesInExcludedYears: 0,
    filesSkipped,
    failures: [],
    bytesRead: 0,
    counts: emptyLineCounts(),
    errorLogPath: null,
    objects: null,
    seconds: 0,
  };
}

function reducerSettings(options: ReduceAllOptions, errorLog: ErrorLog, settings: Settings) {
  return {
    readBufferBytes: Math.min(
      MAX_READ_BUFFER_BYTES,
      Math.max(MIN_READ_BUFFER_BYTES, Math.floor(settings.bufferBytes / settings.maxWorkers / 16)),
    ),
    operation: options.operation ?? DEFAULT_OPERATION,
    years: settings.years,
    excludedIps: [...(options.excludedIps ?? [])],
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    ipKeyBytes: options.ipKey?.bytes ?? null,
    errorLog,
    signal: options.signal,
  };
}

export function isS3Url(location: string): boolean {
  return location.startsWith("s3://");
}

/** Reduces log objects (a local folder of them, or a bucket): rows go to the days of their timestamps. */
async function reduceObjects(
  source: LogObjectSource,
  reducedFolder: string,
  options: ReduceAllOptions,
  settings: Settings & { started: number },
): Promise<ReduceSummary> {
  const summary = emptyReduceSummary(0, []);
  claimIpMode(reducedFolder, ipModeOf(options.ipKey ?? null));
  const errorLog = new ErrorLog("reduce", undefined, options.keepRawLines);
  try {
    const poolContext = reducerSettings(options, errorLog, settings);
    summary.objects = await reduceLogObjects({
      source,
      reducedFolder,
      workers: settings.maxWorkers,
      readBufferBytes: poolContext.readBufferBytes,
      settleHours: options.settleHours ?? DEFAULT_SETTLE_HOURS,
      now: (options.now ?? new Date()).getTime(),
      poolContext,
      summary,
      errorLog,
      onProgress: options.onProgress,
      signal: options.signal,
    });
  } finally {
    errorLog.close();
  }
  summary.filesReduced = summary.objects.daysWritten.length + summary.objects.lateUnits.length;
  summary.errorLogPath = errorLog.count > 0 ? errorLog.path : null;
  summary.seconds = (Date.now() - settings.started) / 1000;
  return summary;
}
