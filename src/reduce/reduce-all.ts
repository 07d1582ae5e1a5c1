import * as fs from "node:fs";
import * as path from "node:path";
import type { Worker } from "node:worker_threads";
import { AbortedError, RunError, UsageError } from "../errors.js";
import { removeStaleTempFiles, tempPathFor } from "../io/atomic-file.js";
import { ErrorLog } from "../io/error-log.js";
import { listFiles, prepareOutputFolder, requireFolder } from "../io/folders.js";
import { startWorker } from "../io/worker-thread.js";
import { DEFAULT_OPERATION } from "../s3log/fields.js";
import { DayAssembly } from "./day-assembly.js";
import { addLineCounts, emptyLineCounts, type LineCounts } from "./line-counts.js";
import { type ByteRange, splitIntoRanges, WHOLE_FILE } from "./line-range-reader.js";
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
  /**
   * With several workers, a day file larger than this is cut into byte ranges (moved to line starts)
   * reduced by any free worker, and its output assembled in order. Default: the input's size over
   * eight ranges per worker, between 8 and 64 MiB. Mostly for tests, which force small ranges.
   */
  rangeBytes?: number;
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
/**
 * Ranges are large enough that their fixed costs (a message, a part file, reading a line twice at
 * each edge) are lost in the noise, and small enough, several per worker, that workers finish
 * together even when the machine lends one of them less time.
 */
const MIN_RANGE_BYTES = 8 * 1024 * 1024;
const MAX_RANGE_BYTES = 64 * 1024 * 1024;
const RANGES_PER_WORKER = 8;

/** A raw day file is `.../YYYY/MM/DD.log`; its year is the name of the folder two levels up. */
function yearFolderOf(relativePath: string): string {
  const parts = relativePath.split("/");
  return parts.length >= 3 ? parts[parts.length - 3] : "";
}

/** `2020/01/01.log` reduces to `2020/01/01.tsv`. */
export function reducedPathOf(relativePath: string): string {
  return relativePath.replace(/\.log$/, ".tsv");
}

function validate(options: ReduceAllOptions): {
  workers: number;
  bufferBytes: number;
  years: number[];
} {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new UsageError(`--maximum_number_of_workers must be a whole number of 1 or more, not ${workers}`);
  }
  const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
  if (!Number.isFinite(bufferBytes) || bufferBytes < 1024 * 1024) {
    throw new UsageError(`--maximum_buffer_size_in_mb must be at least 1, not ${bufferBytes / 1024 / 1024}`);
  }
  const years = (options.excludedYears ?? []).map((year) => {
    const text = String(year).trim();
    if (!/^\d{4}$/.test(text))
      throw new UsageError(`--excluded_years takes four-digit years such as 2019,2020; got "${year}"`);
    return Number(text);
  });
  for (const ip of options.excludedIps ?? []) {
    if (!/^[0-9A-Fa-f.:]+$/.test(ip))
      throw new UsageError(`--excluded_ips takes IP addresses separated by commas; got "${ip}"`);
  }
  if (options.rangeBytes !== undefined && (!Number.isInteger(options.rangeBytes) || options.rangeBytes < 1)) {
    throw new UsageError(`rangeBytes must be a whole number of bytes, 1 or more, not ${options.rangeBytes}`);
  }
  return { workers, bufferBytes, years };
}

/** The pieces of work: whole day files, or, for a day file larger than `rangeBytes`, its ranges. */
function planPieces(todo: DayFile[], rangeBytes: number): Piece[] {
  const pieces: Piece[] = [];
  for (const [day, file] of todo.entries()) {
    const ranges = file.size > rangeBytes ? splitIntoRanges(file.size, rangeBytes) : [WHOLE_FILE];
    for (const [part, range] of ranges.entries()) {
      const bytes = ranges.length === 1 ? file.size : range.end - range.start;
      pieces.push({ id: pieces.length, day, part, parts: ranges.length, range, bytes });
    }
  }
  return pieces;
}

function defaultRangeBytes(todo: DayFile[], workers: number): number {
  const total = todo.reduce((sum, file) => sum + file.size, 0);
  return Math.min(MAX_RANGE_BYTES, Math.max(MIN_RANGE_BYTES, Math.ceil(total / workers / RANGES_PER_WORKER)));
}

/**
 * Reduces every raw day file (`YYYY/MM/DD.log`) not yet reduced into `YYYY/MM/DD.tsv`, spreading
 * files over worker threads. Each output is renamed into place only when complete, so a run killed
 * at any moment leaves finished days and nothing else, and the next run picks up where it stopped.
 */
export async function reduceAllDandiRawS3Logs(options: ReduceAllOptions): Promise<ReduceSummary> {
  const started = Date.now();
  const { workers: maxWorkers, bufferBytes, years } = validate(options);
  const rawFolder = requireFolder(options.rawFolder, "--raw_s3_logs_folder_path");
  const reducedFolder = prepareOutputFolder(
    options.reducedFolder,
    rawFolder,
    "--reduced_s3_logs_folder_path",
    "--raw_s3_logs_folder_path",
  );
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
    rangeBytes: options.rangeBytes ?? defaultRangeBytes(todo, maxWorkers),
    signal: options.signal,
  };
  try {
    // One worker is the main thread itself: starting a thread would only add its start-up time.
    if (maxWorkers === 1) await reduceInThisThread(todo, context);
    else await reduceInWorkers(todo, maxWorkers, context);
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
  rangeBytes: number;
  summary: ReduceSummary;
  errorLog: ErrorLog;
  progress: ProgressTracker;
  signal?: AbortSignal;
}

type DayFile = { relativePath: string; size: number };

/** What one worker reduces at a time: day `day` whole (`parts === 1`), or its range number `part`. */
interface Piece {
  id: number;
  day: number;
  part: number;
  parts: number;
  range: ByteRange;
  bytes: number;
}

/** Sums progress over finished pieces and the pieces in flight. */
class ProgressTracker {
  private filesDone = 0;
  private bytesDone = 0;
  private readonly bytesTotal: number;
  private readonly inFlight = new Map<number, number>();

  constructor(
    private readonly todo: DayFile[],
    private readonly onProgress?: (progress: ReduceProgress) => void,
  ) {
    this.bytesTotal = todo.reduce((sum, file) => sum + file.size, 0);
  }

  /** Piece `id` of `bytes` bytes has read `bytesRead` (which counts the edges read past its range). */
  advance(id: number, bytesRead: number, bytes: number): void {
    this.inFlight.set(id, Math.min(bytesRead, bytes));
    this.report();
  }

  pieceDone(id: number, bytes: number): void {
    this.inFlight.delete(id);
    this.bytesDone += bytes;
  }

  dayDone(): void {
    this.filesDone++;
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

function outputPathOf(file: DayFile, context: PoolContext): string {
  const output = path.join(context.reducedFolder, reducedPathOf(file.relativePath));
  fs.mkdirSync(path.dirname(output), { recursive: true });
  return output;
}

function taskFor(
  id: number,
  file: DayFile,
  context: PoolContext,
  part?: { range: ByteRange; temp: string },
): ReduceTask {
  const output = outputPathOf(file, context);
  return {
    type: "reduce",
    id,
    input: path.join(context.rawFolder, file.relativePath),
    output,
    temp: part?.temp ?? tempPathFor(output),
    range: part?.range ?? WHOLE_FILE,
    part: part !== undefined,
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
        onProgress: (bytesRead) => progress.advance(id, bytesRead, file.size),
      });
      while (reduction.step()) {
        // Lets signals and the progress display through every few milliseconds; a turn of the event
        // loop after every chunk cost a quarter of the run time with small buffers.
        if (performance.now() - lastTurn < EVENT_LOOP_TURN_MS) continue;
        await new Promise((resolve) => setImmediate(resolve));
        lastTurn = performance.now();
        if (signal?.aborted) throw new AbortedError(INTERRUPTED);
      }
      recordDone(context, file.size, reduction.commit());
    } catch (error) {
      if (error instanceof AbortedError) throw error;
      context.summary.failures.push({ file: task.displayName, message: (error as Error).message });
    } finally {
      reduction?.abort();
      progress.pieceDone(id, file.size);
      progress.dayDone();
    }
  }
}

/**
 * Hands the pieces to a pool of worker threads in order, each worker taking the next piece as soon
 * as it is free. A day cut into ranges is assembled by a `DayAssembly` as its parts come back.
 */
function reduceInWorkers(todo: DayFile[], maxWorkers: number, context: PoolContext): Promise<void> {
  const { summary, errorLog, signal, progress } = context;
  const pieces = planPieces(todo, context.rangeBytes);
  const assemblies = new Map<number, DayAssembly>();
  const failedDays = new Set<number>();
  const inFlight = new Map<number, ReduceTask>();
  const workers: Worker[] = [];
  let next = 0;

  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(INTERRUPTED));
    if (pieces.length === 0) return resolve();
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      // Whatever was in flight is incomplete: its temporary files go, its output never appeared.
      // Only once the workers have stopped, so that none creates a file after the cleanup.
      void Promise.allSettled(workers.map((worker) => worker.terminate())).then(() => {
        for (const task of inFlight.values()) fs.rmSync(task.temp, { force: true });
        for (const assembly of assemblies.values()) assembly.abort();
        if (error) reject(error);
        else resolve();
      });
    };
    const onAbort = () => finish(new AbortedError(INTERRUPTED));
    signal?.addEventListener("abort", onAbort);

    const failDay = (piece: Piece, message: string) => {
      if (failedDays.has(piece.day)) return;
      failedDays.add(piece.day);
      summary.failures.push({ file: todo[piece.day].relativePath, message });
      assemblies.get(piece.day)?.abort();
      assemblies.delete(piece.day);
      progress.dayDone();
    };

    const dispatch = (worker: Worker) => {
      // The remaining pieces of a day that failed are skipped: the day is not written.
      while (next < pieces.length && failedDays.has(pieces[next].day)) {
        progress.pieceDone(next, pieces[next].bytes);
        next++;
      }
      if (next >= pieces.length) {
        if (inFlight.size === 0) finish();
        return;
      }
      const piece = pieces[next++];
      const file = todo[piece.day];
      let task: ReduceTask;
      if (piece.parts === 1) task = taskFor(piece.id, file, context);
      else {
        let assembly = assemblies.get(piece.day);
        if (assembly === undefined) {
          assembly = new DayAssembly(outputPathOf(file, context), piece.parts, (error) =>
            errorLog.record(error),
          );
          assemblies.set(piece.day, assembly);
        }
        task = taskFor(piece.id, file, context, { range: piece.range, temp: assembly.parts[piece.part] });
      }
      inFlight.set(piece.id, task);
      worker.postMessage(task);
    };

    const receive = (piece: Piece, message: WorkerMessage) => {
      if (piece.parts === 1) {
        for (const error of message.errors) errorLog.record(error);
        if (message.type === "done") recordDone(context, todo[piece.day].size, message.counts);
        else if (message.type === "failed") failDay(piece, message.message);
        if (message.type === "done") progress.dayDone();
        return;
      }
      const assembly = assemblies.get(piece.day);
      if (assembly === undefined) {
        // A part of a day that failed: its file is of no use.
        const task = inFlight.get(piece.id);
        if (message.type !== "progress" && task !== undefined) fs.rmSync(task.temp, { force: true });
        return;
      }
      assembly.addErrors(piece.part, message.errors);
      if (message.type === "failed") return failDay(piece, message.message);
      if (message.type !== "done") return;
      try {
        if (!assembly.partDone(piece.part, message.counts)) return;
      } catch (error) {
        return failDay(piece, (error as Error).message);
      }
      assemblies.delete(piece.day);
      recordDone(context, todo[piece.day].size, assembly.counts);
      progress.dayDone();
    };

    for (let i = 0; i < Math.min(maxWorkers, pieces.length); i++) {
      const worker = startWorker(import.meta.url, "worker");
      workers.push(worker);
      worker.on("message", (message: WorkerMessage) => {
        if (settled || !inFlight.has(message.id)) return;
        const piece = pieces[message.id];
        if (message.type === "progress") progress.advance(piece.id, message.bytesRead, piece.bytes);
        receive(piece, message);
        if (message.type === "progress") return;
        inFlight.delete(message.id);
        progress.pieceDone(piece.id, piece.bytes);
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
