import * as fs from "node:fs";
import * as path from "node:path";
import type { Worker } from "node:worker_threads";
import {
  checkBufferBytes,
  checkExcludedIps,
  checkExcludedYears,
  checkFunction,
  checkOptionsObject,
  checkPath,
  checkSignal,
  checkWholeNumber,
} from "../check-options.js";
import { AbortedError, RunError } from "../errors.js";
import { removeStaleTempFiles, tempPathFor } from "../io/atomic-file.js";
import { ErrorLog } from "../io/error-log.js";
import { listFiles, prepareOutputFolder, requireFolder } from "../io/folders.js";
import { startWorker } from "../io/worker-thread.js";
import { DEFAULT_OPERATION } from "../s3log/fields.js";
import { checkReducerOptions } from "./check-reducer-options.js";
import { addLineCounts, emptyLineCounts, type LineCounts } from "./line-counts.js";
import { DEFAULT_MAX_LINE_BYTES } from "./log-reducer.js";
import { DayFileReduction } from "./reduce-file.js";
import { type ReduceTask, reductionOptionsOf, type WorkerMessage } from "./worker-protocol.js";

export interface ReduceAllOptions {
  rawFolder: string;
  reducedFolder: string;
  /** Day files reduced at once, each in its own worker thread. */
  workers?: number;
  /** Approximate memory for buffers, in bytes, shared by all workers. */
  bufferBytes?: number;
  excludedYears?: readonly (string | number)[];
  excludedIps?: readonly string[];
  operation?: string;
  maxLineBytes?: number;
  /** Called on the main thread as work advances. */
  onProgress?: (progress: ReduceProgress) => void;
  /** Aborting stops the workers and removes unfinished outputs; the run rejects with `AbortedError`. */
  signal?: AbortSignal;
}

export interface ReduceProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface ReduceSummary {
  /** Day files found in the raw folder. */
  filesFound: number;
  filesReduced: number;
  /** Already reduced by an earlier run: their output exists. */
  filesAlreadyReduced: number;
  /** In a year folder that was excluded. */
  filesInExcludedYears: number;
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
const DAY_FILE = /^\d+\.log$/;

/** A raw day file is `.../YYYY/MM/DD.log`; its year is the name of the folder two levels up. */
function yearFolderOf(relativePath: string): string {
  const parts = relativePath.split("/");
  return parts.length >= 3 ? parts[parts.length - 3] : "";
}

/** `2020/01/01.log` reduces to `2020/01/01.tsv`. */
export function reducedPathOf(relativePath: string): string {
  return relativePath.replace(/\.log$/, ".tsv");
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
 * files over worker threads. Each output is renamed into place only when complete, so a run killed
 * at any moment leaves finished days and nothing else, and the next run picks up where it stopped.
 */
export async function reduceAllDandiRawS3Logs(options: ReduceAllOptions): Promise<ReduceSummary> {
  const started = Date.now();
  const { workers: maxWorkers, bufferBytes, years } = validate(options);
  const rawFolder = requireFolder(options.rawFolder, "rawFolder");
  const reducedFolder = prepareOutputFolder(options.reducedFolder, rawFolder, "reducedFolder", "rawFolder");
  removeStaleTempFiles(reducedFolder);

  const excludedYearNames = new Set(years.map(String));
  const found = listFiles(rawFolder, (name) => DAY_FILE.test(name));
  const summary: ReduceSummary = {
    filesFound: found.length,
    filesReduced: 0,
    filesAlreadyReduced: 0,
    filesInExcludedYears: 0,
    failures: [],
    bytesRead: 0,
    counts: emptyLineCounts(),
    errorLogPath: null,
    seconds: 0,
  };
  const todo: { relativePath: string; size: number }[] = [];
  for (const relativePath of found) {
    if (excludedYearNames.has(yearFolderOf(relativePath))) summary.filesInExcludedYears++;
    else if (fs.existsSync(path.join(reducedFolder, reducedPathOf(relativePath))))
      summary.filesAlreadyReduced++;
    else todo.push({ relativePath, size: fs.statSync(path.join(rawFolder, relativePath)).size });
  }
  // Largest first: the last file to start is then a small one, so workers finish together.
  todo.sort((a, b) => b.size - a.size || (a.relativePath < b.relativePath ? -1 : 1));

  const errorLog = new ErrorLog("reduce");
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
    summary,
    errorLog,
    progress: new ProgressTracker(todo, options.onProgress),
    signal: options.signal,
  };
  try {
    // One worker is the main thread itself: starting a thread would only add its start-up time.
    if (maxWorkers === 1) await reduceInThisThread(todo, context);
    else await reduceInWorkers(todo, Math.min(maxWorkers, todo.length), context);
  } finally {
    errorLog.close();
  }
  summary.errorLogPath = errorLog.count > 0 ? errorLog.path : null;
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

interface PoolContext {
  rawFolder: string;
  reducedFolder: string;
  readBufferBytes: number;
  operation: string;
  years: number[];
  excludedIps: string[];
  maxLineBytes: number;
  summary: ReduceSummary;
  errorLog: ErrorLog;
  progress: ProgressTracker;
  signal?: AbortSignal;
}

type DayFile = { relativePath: string; size: number };

/** Sums progress over finished files and the files in flight. */
class ProgressTracker {
  private filesDone = 0;
  private bytesDone = 0;
  private readonly bytesTotal: number;
  readonly inFlight = new Map<number, number>();

  constructor(
    private readonly todo: DayFile[],
    private readonly onProgress?: (progress: ReduceProgress) => void,
  ) {
    this.bytesTotal = todo.reduce((sum, file) => sum + file.size, 0);
  }

  advance(id: number, bytesRead: number): void {
    this.inFlight.set(id, bytesRead);
    this.report();
  }

  finish(id: number): void {
    this.inFlight.delete(id);
    this.filesDone++;
    this.bytesDone += this.todo[id].size;
    this.report();
  }

  private report(): void {
    let bytes = this.bytesDone;
    for (const read of this.inFlight.values()) bytes += read;
    this.onProgress?.({
      filesDone: this.filesDone,
      filesTotal: this.todo.length,
      bytesDone: bytes,
      bytesTotal: this.bytesTotal,
    });
  }
}

function taskFor(id: number, file: DayFile, context: PoolContext): ReduceTask {
  const output = path.join(context.reducedFolder, reducedPathOf(file.relativePath));
  fs.mkdirSync(path.dirname(output), { recursive: true });
  return {
    type: "reduce",
    id,
    input: path.join(context.rawFolder, file.relativePath),
    output,
    temp: tempPathFor(output),
    displayName: file.relativePath,
    operation: context.operation,
    excludedYears: context.years,
    excludedIps: context.excludedIps,
    readBufferBytes: context.readBufferBytes,
    maxLineBytes: context.maxLineBytes,
  };
}

function recordDone(context: PoolContext, bytesRead: number, counts: LineCounts): void {
  context.summary.filesReduced++;
  context.summary.bytesRead += bytesRead;
  addLineCounts(context.summary.counts, counts);
}

const EVENT_LOOP_TURN_MS = 20;
const INTERRUPTED = "reduce was interrupted; days already written are complete";

/** Reduces the files one after the other on the main thread, yielding to the event loop between chunks. */
async function reduceInThisThread(todo: DayFile[], context: PoolContext): Promise<void> {
  const { signal, progress } = context;
  let lastTurn = performance.now();
  for (const [id, file] of todo.entries()) {
    if (signal?.aborted) throw new AbortedError(INTERRUPTED);
    const task = taskFor(id, file, context);
    let reduction: DayFileReduction | null = null;
    try {
      reduction = new DayFileReduction(task.input, task.output, task.temp, {
        ...reductionOptionsOf(task),
        onMalformed: (error) => context.errorLog.record(error),
        onProgress: (bytesRead) => progress.advance(id, bytesRead),
      });
      while (reduction.step()) {
        // Lets signals and the progress display through every few milliseconds; a turn of the event
        // loop after every chunk cost a quarter of the run time with small buffers.
        if (performance.now() - lastTurn < EVENT_LOOP_TURN_MS) continue;
        await new Promise((resolve) => setImmediate(resolve));
        lastTurn = performance.now();
        if (signal?.aborted) throw new AbortedError(INTERRUPTED);
      }
      recordDone(context, reduction.bytesRead, reduction.commit());
    } catch (error) {
      if (error instanceof AbortedError) throw error;
      context.summary.failures.push({ file: task.displayName, message: (error as Error).message });
    } finally {
      reduction?.abort();
      progress.finish(id);
    }
  }
}

function reduceInWorkers(todo: DayFile[], workerCount: number, context: PoolContext): Promise<void> {
  const { summary, errorLog, signal, progress } = context;
  const inFlight = new Map<number, ReduceTask>();
  const workers: Worker[] = [];
  let next = 0;

  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(INTERRUPTED));
    if (todo.length === 0) return resolve();
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      for (const worker of workers) void worker.terminate();
      // Whatever was in flight is incomplete: its temporary file goes, its output never appeared.
      for (const task of inFlight.values()) fs.rmSync(task.temp, { force: true });
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => finish(new AbortedError(INTERRUPTED));
    signal?.addEventListener("abort", onAbort);

    const dispatch = (worker: Worker) => {
      if (next >= todo.length) {
        if (inFlight.size === 0) finish();
        return;
      }
      const id = next++;
      const task = taskFor(id, todo[id], context);
      inFlight.set(id, task);
      worker.postMessage(task);
    };

    for (let i = 0; i < workerCount; i++) {
      const worker = startWorker(import.meta.url, "worker");
      workers.push(worker);
      worker.on("message", (message: WorkerMessage) => {
        const task = inFlight.get(message.id);
        if (task === undefined || settled) return;
        for (const error of message.errors) errorLog.record(error);
        if (message.type === "progress") return progress.advance(message.id, message.bytesRead);
        inFlight.delete(message.id);
        if (message.type === "done") recordDone(context, message.bytesRead, message.counts);
        else summary.failures.push({ file: task.displayName, message: message.message });
        progress.finish(message.id);
        dispatch(worker);
      });
      worker.on("error", (error) =>
        finish(new RunError(`a reduce worker crashed: ${error.message}`, { cause: error })),
      );
      worker.on("exit", (code) => {
        if (!settled) finish(new RunError(`a reduce worker exited early with code ${code}`));
      });
      dispatch(worker);
    }
  });
}
