import * as fs from "node:fs";
import * as path from "node:path";
import { type BinSummary, binAllReducedS3LogsByObjectKey } from "../bin/bin-all.js";
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
import { checkApiClientOptions, type DandiApiClientOptions } from "../dandi/api-client.js";
import { refuseInsideStepFolder } from "../formats/step-folders.js";
import { prepareOutputFolder, requireFolder } from "../io/folders.js";
import { acquireRunLock } from "../io/run-lock.js";
import { type MapSummary, mapBinnedS3LogsToDandisets } from "../map/map-binned.js";
import { checkIpKey, type IpKey } from "../privacy/ip-key.js";
import { isS3Url, type ReduceSummary, reduceAllDandiRawS3Logs } from "../reduce/reduce-all.js";
import type { ReportSummary } from "../report/build-report.js";
import {
  checkWorkFolderFormat,
  finishInterruptedRebuild,
  missingDays,
  moveAsidePrevious,
  type RebuildSummary,
} from "./rebuild.js";

export type StepName = "reduce" | "bin" | "map" | "report";

export interface RunAllOptions {
  rawFolder: string;
  /** Holds `reduced/`, `binned/`, `mapped/` and `report/`, and the lock of the run. */
  workFolder: string;
  /** Catalog snapshot; the API is read when absent. */
  catalog?: string;
  api?: DandiApiClientOptions;
  ipRangesFolder?: string;
  /** Threads for reduce, bin and map (each step's `workers`) and for drawing the report's pages (of `buildReport`). */
  workers?: number;
  bufferBytes?: number;
  excludedYears?: readonly string[];
  excludedIps?: readonly string[];
  /** For log objects: hours after its end that a day is complete (reduce's `settleHours`). */
  settleHours?: number;
  /** For a bucket: an S3 Inventory manifest to take the keys from (reduce's `inventory`). */
  inventory?: string;
  /**
   * How long a request may send nothing before it is given up and retried: reduce's S3 requests
   * (its `networkTimeoutMs`) and map's API pages (`api.timeoutMs`, unless given there). 60 s unless told.
   */
  networkTimeoutMs?: number;
  /** Reduce writes addresses as tokens under this key, and map decodes them; in clear without. */
  ipKey?: IpKey | null;
  /** Error-log lines as read, addresses included (for debugging). */
  keepRawLines?: boolean;
  /** The summaries' `by_region.tsv` disclosure threshold (map's `regionDisclosureThreshold`). */
  regionDisclosureThreshold?: number;
  /** Publish Dandisets that are not open to all (map's `publishEmbargoed`). */
  publishEmbargoed?: boolean;
  /**
   * Rebuild from the raw logs: reduced/, binned/ and mapped/ are moved to `previous-<time>/` first,
   * then every step runs as on an empty work folder (after an upgrade that changed the rows).
   */
  rebuild?: boolean;
  /** Leave the report out (tables only). */
  skipReport?: boolean;
  /** The time the report's index says it was generated (now, unless a test fixes it). */
  generatedAt?: Date;
  /** Step starts, and progress within the step, as `done` of `total` (in the step's own unit). */
  onProgress?: (step: StepName, done: number, total: number) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface RunAllSummary {
  folders: Record<"reduced" | "binned" | "mapped" | "summaries" | "report", string>;
  reduce: ReduceSummary;
  bin: BinSummary;
  map: MapSummary;
  report: ReportSummary | null;
  /** After a rebuild: where the previous folders went, and the days they held that the raw logs no longer gave. */
  rebuilt: RebuildSummary | null;
  seconds: number;
}

function createFolder(folder: string): string {
  const resolved = path.resolve(folder);
  refuseInsideStepFolder(resolved, "workFolder");
  fs.mkdirSync(resolved, { recursive: true });
  return resolved;
}

/** The folders of a work folder, by step. */
export function workFoldersOf(workFolder: string): RunAllSummary["folders"] {
  const root = path.resolve(workFolder);
  return {
    reduced: path.join(root, "reduced"),
    binned: path.join(root, "binned"),
    mapped: path.join(root, "mapped"),
    summaries: path.join(root, "summaries"),
    report: path.join(root, "report"),
  };
}

/** Every option, before the first step starts: a bad map option must not wait for reduce and bin to finish. */
function validate(options: RunAllOptions): void {
  checkOptionsObject(options, "runAll");
  checkPath(options.rawFolder, "rawFolder", true);
  checkPath(options.workFolder, "workFolder", true);
  checkPath(options.catalog, "catalog", false);
  checkApiClientOptions(options.api, "api.");
  checkPath(options.ipRangesFolder, "ipRangesFolder", false);
  checkWholeNumber(options.workers, "workers", 1);
  checkBufferBytes(options.bufferBytes);
  checkExcludedYears(options.excludedYears);
  checkExcludedIps(options.excludedIps);
  checkNumber(options.settleHours, "settleHours", 0, 24 * 365);
  checkPath(options.inventory, "inventory", false);
  checkNumber(options.networkTimeoutMs, "networkTimeoutMs", 1, MAX_TIMER_MS);
  checkBoolean(options.skipReport, "skipReport");
  checkBoolean(options.rebuild, "rebuild");
  checkWholeNumber(options.regionDisclosureThreshold, "regionDisclosureThreshold", 0);
  checkBoolean(options.publishEmbargoed, "publishEmbargoed");
  checkIpKey(options.ipKey);
  checkBoolean(options.keepRawLines, "keepRawLines");
  if (
    options.generatedAt !== undefined &&
    !(options.generatedAt instanceof Date && Number.isFinite(options.generatedAt.getTime()))
  )
    throw invalidOption("generatedAt", "must be a valid Date");
  checkFunction(options.onProgress, "onProgress");
  checkFunction(options.onWarning, "onWarning");
  checkSignal(options.signal);
}

/**
 * The daily job: reduce the new raw days, bin the new reduced days, map, and rebuild the report.
 * Each step is incremental and crash-safe on its own, so the chain is too: a run killed anywhere is
 * finished by the next. A lock in the work folder keeps two runs (two cron jobs) from overlapping.
 */
export async function runAll(options: RunAllOptions): Promise<RunAllSummary> {
  const started = Date.now();
  validate(options);
  // A bucket (s3://bucket/prefix/) is read by reduce; a folder must exist, and the work folder be outside it.
  const rawFolder = isS3Url(options.rawFolder)
    ? options.rawFolder
    : requireFolder(options.rawFolder, "rawFolder");
  const workFolder = isS3Url(rawFolder)
    ? createFolder(options.workFolder)
    : prepareOutputFolder(options.workFolder, rawFolder, "workFolder", "rawFolder");
  const folders = workFoldersOf(workFolder);
  const release = acquireRunLock(path.join(workFolder, ".run.lock"));
  const { signal, onProgress } = options;
  try {
    // A rebuild moves the steps' folders aside first; a run finds a rebuild a kill cut and finishes it.
    const previous = options.rebuild ? moveAsidePrevious(workFolder) : null;
    if (!options.rebuild) finishInterruptedRebuild(workFolder);
    checkWorkFolderFormat(folders);
    onProgress?.("reduce", 0, 0);
    const reduce = await reduceAllDandiRawS3Logs({
      rawFolder,
      reducedFolder: folders.reduced,
      workers: options.workers,
      bufferBytes: options.bufferBytes,
      excludedYears: options.excludedYears,
      excludedIps: options.excludedIps,
      settleHours: options.settleHours,
      inventory: options.inventory,
      networkTimeoutMs: options.networkTimeoutMs,
      ipKey: options.ipKey,
      keepRawLines: options.keepRawLines,
      signal,
      onProgress: (p) => onProgress?.("reduce", p.bytesDone, p.bytesTotal),
    });
    onProgress?.("bin", 0, 0);
    const bin = await binAllReducedS3LogsByObjectKey({
      reducedFolder: folders.reduced,
      binnedFolder: folders.binned,
      workers: options.workers,
      bufferBytes: options.bufferBytes,
      keepRawLines: options.keepRawLines,
      signal,
      onProgress: (p) => onProgress?.("bin", p.bytesDone, p.bytesTotal),
    });
    onProgress?.("map", 0, 0);
    const map = await mapBinnedS3LogsToDandisets({
      binnedFolder: folders.binned,
      mappedFolder: folders.mapped,
      summariesFolder: folders.summaries,
      regionDisclosureThreshold: options.regionDisclosureThreshold,
      publishEmbargoed: options.publishEmbargoed,
      catalog: options.catalog,
      api:
        options.networkTimeoutMs === undefined
          ? options.api
          : { timeoutMs: options.networkTimeoutMs, ...options.api },
      ipRangesFolder: options.ipRangesFolder,
      ipKey: options.ipKey,
      keepRawLines: options.keepRawLines,
      workers: options.workers,
      signal,
      onWarning: options.onWarning,
      onProgress: (p) => onProgress?.("map", p.done, p.total),
    });
    let report: ReportSummary | null = null;
    if (!options.skipReport) {
      onProgress?.("report", 0, 0);
      // Loaded here: the chart renderer is a third of a second of start-up that the other steps do not need.
      const { buildReport } = await import("../report/build-report.js");
      report = await buildReport({
        mappedFolder: folders.mapped,
        summariesFolder: folders.summaries,
        outputFolder: folders.report,
        generatedAt: options.generatedAt,
        workers: options.workers,
        signal,
        onProgress: (p) => onProgress?.("report", p.done, p.total),
      });
    }
    const rebuilt =
      previous === null ? null : { previous, missingDays: missingDays(previous, folders.reduced) };
    return { folders, reduce, bin, map, report, rebuilt, seconds: (Date.now() - started) / 1000 };
  } finally {
    release();
  }
}
