import * as fs from "node:fs";
import * as path from "node:path";
import type { Worker } from "node:worker_threads";
import { AbortedError, RunError } from "../errors.js";
import { tempPathFor } from "../io/atomic-file.js";
import { type ErrorLog, ErrorLogWriteError, type LineError } from "../io/error-log.js";
import { startWorker } from "../io/worker-thread.js";
import { DayAssembly } from "./day-assembly.js";
import { addLineCounts, type LineCounts } from "./line-counts.js";
import type { DayFile, Piece } from "./plan-pieces.js";
import type { ReduceSummary } from "./reduce-all.js";
import { DayFileReduction } from "./reduce-file.js";
import type { ProgressTracker } from "./reduce-progress.js";
import { type ReduceTask, reductionOptionsOf, type WorkerMessage } from "./worker-protocol.js";

export interface PoolContext {
  rawFolder: string;
  reducedFolder: string;
  readBufferBytes: number;
  operation: string;
  years: number[];
  excludedIps: string[];
  maxLineBytes: number;
  ipKeyBytes: Uint8Array | null;
  summary: ReduceSummary;
  errorLog: ErrorLog;
  progress: ProgressTracker;
  signal?: AbortSignal;
  /**
   * Takes the scratch output of a file planned with `scratch` (its index in the pool's list, the
   * file's path and the line counts), on the main thread; the file is the callee's from then on.
   */
  onScratchDone?: (index: number, scratchPath: string, counts: LineCounts) => void;
}

type PieceResult = { type: "done"; counts: LineCounts } | { type: "failed"; message: string };

const INTERRUPTED = "reduce was interrupted; days already written are complete";
/**
 * How often the main thread, while it reduces, lets signals, progress and worker messages through.
 * Alone, every 20 ms: a turn of the event loop after every chunk cost a quarter of the run time
 * with small buffers. Beside workers, every 2 ms, so that a worker that finished a piece waits no
 * longer than that for the next.
 */
const TURN_ALONE_MS = 20;
const TURN_BESIDE_WORKERS_MS = 2;
/**
 * A worker holds the piece it reduces and, while much is left, the next, so that it goes on at
 * once instead of waiting for the main thread, busy with a piece of its own, to answer (up to
 * 90 ms measured on a busy machine). Near the end a held piece would leave the other threads idle
 * (165 ms measured with a 26 MB range held back), so a second piece is given only while the bytes
 * left after it are many times its own.
 */
const HOLD_SECOND_PIECE_WHEN_LEFT = 8;

/** The output of a reduced day file `2020/01/01.log` (or `2020/01/01.log.gz`) is `2020/01/01.tsv`. */
export function reducedPathOf(relativePath: string): string {
  return relativePath.replace(/\.log(\.gz)?$/, ".tsv");
}

/**
 * Reduces pieces of day files with the main thread and `reducers - 1` worker threads, each taking
 * the next piece as soon as it is free. The main thread works too: it would otherwise only wait,
 * and a worker started in its place costs its start-up (30 ms on a quiet machine, over 200 ms on a
 * busy one) before its first byte. Days cut into ranges are put together by a `DayAssembly`.
 */
export class ReducePool {
  private next = 0;
  /** Bytes of the pieces from each index to the end. */
  private readonly bytesFrom: number[];
  private readonly assemblies = new Map<number, DayAssembly>();
  private readonly failedDays = new Set<number>();
  /** Pieces given to workers and not yet back, by piece id. */
  private readonly inFlight = new Map<number, ReduceTask>();
  private readonly workers: Worker[] = [];
  /** Pieces each worker holds. */
  private readonly held = new Map<Worker, number>();
  private stopped: Error | null = null;
  private closing = false;
  private readBuffer: Buffer | null = null;
  private workersIdle: () => void = () => {};
  private workersFailed: (error: Error) => void = () => {};

  constructor(
    private readonly todo: DayFile[],
    private readonly pieces: Piece[],
    private readonly context: PoolContext,
  ) {
    this.bytesFrom = new Array(pieces.length + 1).fill(0);
    for (let i = pieces.length - 1; i >= 0; i--) this.bytesFrom[i] = this.bytesFrom[i + 1] + pieces[i].bytes;
  }

  /** Reduces every piece; rejects with `AbortedError` when the signal aborts, `RunError` when a worker dies. */
  async run(reducers: number): Promise<void> {
    const { signal } = this.context;
    if (signal?.aborted) throw new AbortedError(INTERRUPTED);
    const onAbort = () => this.stop(new AbortedError(INTERRUPTED));
    signal?.addEventListener("abort", onAbort);
    const workersDone = new Promise<void>((resolve, reject) => {
      this.workersIdle = resolve;
      this.workersFailed = reject;
    });
    // Awaited below; until then a rejection is not unhandled.
    workersDone.catch(() => {});
    try {
      // The main thread takes the first piece, which it can start at once, while workers start up.
      const first = this.take();
      for (let i = 1; i < Math.min(reducers, this.pieces.length); i++) this.startWorker();
      const turnMs = this.workers.length > 0 ? TURN_BESIDE_WORKERS_MS : TURN_ALONE_MS;
      for (let piece = first; piece !== null; piece = this.take()) {
        if (this.stopped !== null) throw this.stopped;
        await this.reduceHere(piece, turnMs);
      }
      if (this.stopped !== null) throw this.stopped;
      this.checkIdle();
      await workersDone;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      await this.cleanUp();
    }
  }

  private stop(error: Error): void {
    if (this.stopped !== null || this.closing) return;
    this.stopped = error;
    this.workersFailed(error);
  }

  /** Whatever did not finish is incomplete: its temporary files go, its output never appears. */
  private async cleanUp(): Promise<void> {
    this.closing = true;
    // Only once the workers have stopped, so that none creates a file after the cleanup.
    await Promise.allSettled(this.workers.map((worker) => worker.terminate()));
    for (const task of this.inFlight.values()) fs.rmSync(task.temp, { force: true });
    for (const assembly of this.assemblies.values()) assembly.abort();
  }

  /** The next piece to reduce, skipping those of days that failed; null when none is left. */
  private take(): Piece | null {
    while (this.next < this.pieces.length) {
      const piece = this.pieces[this.next++];
      if (!this.failedDays.has(piece.day)) return piece;
      this.context.progress.pieceDone(piece.id, piece.bytes);
    }
    return null;
  }

  private checkIdle(): void {
    if (this.next >= this.pieces.length && this.inFlight.size === 0) this.workersIdle();
  }

  private taskFor(piece: Piece): ReduceTask {
    const { context } = this;
    const file = this.todo[piece.day];
    const output = path.join(context.reducedFolder, file.output ?? reducedPathOf(file.relativePath));
    fs.mkdirSync(path.dirname(output), { recursive: true });
    let temp: string;
    if (piece.parts === 1) temp = tempPathFor(output);
    else {
      let assembly = this.assemblies.get(piece.day);
      if (assembly === undefined) {
        assembly = new DayAssembly(output, piece.parts, (error) => context.errorLog.record(error));
        this.assemblies.set(piece.day, assembly);
      }
      temp = assembly.parts[piece.part];
    }
    return {
      type: "reduce",
      id: piece.id,
      input: file.input ?? path.join(context.rawFolder, file.relativePath),
      output,
      temp,
      range: piece.range,
      part: piece.parts > 1 || file.scratch === true,
      displayName: file.relativePath,
      operation: context.operation,
      excludedYears: context.years,
      excludedIps: context.excludedIps,
      readBufferBytes: context.readBufferBytes,
      maxLineBytes: context.maxLineBytes,
      moreInputs: file.moreInputs,
      ipKeyBytes: context.ipKeyBytes,
    };
  }

  /** Reduces a piece on the main thread, letting the event loop turn every `turnMs`. */
  private async reduceHere(piece: Piece, turnMs: number): Promise<void> {
    const task = this.taskFor(piece);
    const { progress } = this.context;
    this.readBuffer ??= Buffer.allocUnsafe(this.context.readBufferBytes);
    let reduction: DayFileReduction | null = null;
    let result: PieceResult;
    try {
      reduction = new DayFileReduction(task.input, task.output, task.temp, {
        ...reductionOptionsOf(task),
        readBuffer: this.readBuffer,
        onMalformed: (error) => this.addErrors(piece, [error]),
        onProgress: (bytesRead) => progress.advance(piece.id, bytesRead, piece.bytes),
      });
      let lastTurn = performance.now();
      while (reduction.step()) {
        if (performance.now() - lastTurn < turnMs) continue;
        await new Promise((resolve) => setImmediate(resolve));
        lastTurn = performance.now();
        if (this.stopped !== null) throw this.stopped;
      }
      result = { type: "done", counts: task.part ? reduction.finishPart() : reduction.commit() };
    } catch (error) {
      if (this.stopped !== null) throw this.stopped;
      // Not this day's fault, and every day's: the run stops.
      if (error instanceof ErrorLogWriteError) {
        this.stop(error);
        throw error;
      }
      result = { type: "failed", message: (error as Error).message };
    } finally {
      reduction?.abort();
    }
    this.complete(piece, task.temp, result);
  }

  private startWorker(): void {
    const worker = startWorker(import.meta.url, "worker");
    this.workers.push(worker);
    worker.on("message", (message: WorkerMessage) => {
      const task = this.inFlight.get(message.id);
      if (this.stopped !== null || task === undefined) return;
      const piece = this.pieces[message.id];
      try {
        this.addErrors(piece, message.errors);
      } catch (error) {
        // Thrown here, in a listener, it would end the process with a stack trace.
        this.stop(error as Error);
        return;
      }
      if (message.type === "progress") {
        this.context.progress.advance(piece.id, message.bytesRead, piece.bytes);
        return;
      }
      this.inFlight.delete(message.id);
      this.held.set(worker, (this.held.get(worker) ?? 1) - 1);
      this.complete(piece, task.temp, message);
      this.dispatch(worker);
    });
    worker.on("error", (error) =>
      this.stop(new RunError(`a reduce worker crashed: ${error.message}`, { cause: error })),
    );
    worker.on("exit", (code) => this.stop(new RunError(`a reduce worker exited early with code ${code}`)));
    this.dispatch(worker);
  }

  /** Tops up the pieces `worker` holds. */
  private dispatch(worker: Worker): void {
    for (;;) {
      const held = this.held.get(worker) ?? 0;
      if (held >= 2) return;
      if (held === 1 && this.next < this.pieces.length) {
        const bytes = this.pieces[this.next].bytes;
        if (this.bytesFrom[this.next + 1] < HOLD_SECOND_PIECE_WHEN_LEFT * bytes) return;
      }
      const piece = this.take();
      if (piece === null) {
        this.checkIdle();
        return;
      }
      const task = this.taskFor(piece);
      this.inFlight.set(piece.id, task);
      this.held.set(worker, held + 1);
      worker.postMessage(task);
    }
  }

  /** Error records of a piece, numbered from its first line. */
  private addErrors(piece: Piece, errors: readonly LineError[]): void {
    if (errors.length === 0) return;
    if (piece.parts === 1) {
      for (const error of errors) this.context.errorLog.record(error);
      return;
    }
    // A day that failed has no assembly any more; its records go with it.
    this.assemblies.get(piece.day)?.addErrors(piece.part, errors);
  }

  private complete(piece: Piece, temp: string, result: PieceResult): void {
    this.context.progress.pieceDone(piece.id, piece.bytes);
    if (piece.parts === 1) {
      if (result.type === "failed") this.failDay(piece, result.message);
      else {
        if (this.todo[piece.day].scratch) this.context.onScratchDone?.(piece.day, temp, result.counts);
        this.dayDone(piece, result.counts);
      }
      return;
    }
    const assembly = this.assemblies.get(piece.day);
    if (assembly === undefined) {
      // A part of a day that failed: of no use.
      fs.rmSync(temp, { force: true });
      return;
    }
    if (result.type === "failed") {
      this.failDay(piece, result.message);
      return;
    }
    try {
      if (!assembly.partDone(piece.part, result.counts)) return;
    } catch (error) {
      if (error instanceof ErrorLogWriteError) this.stop(error);
      else this.failDay(piece, (error as Error).message);
      return;
    }
    this.assemblies.delete(piece.day);
    this.dayDone(piece, assembly.counts);
  }

  private dayDone(piece: Piece, counts: LineCounts): void {
    const { summary, progress } = this.context;
    summary.filesReduced++;
    const file = this.todo[piece.day];
    summary.bytesRead += file.size - (file.start ?? 0);
    addLineCounts(summary.counts, counts);
    progress.dayDone();
  }

  /** The day is not written; the rest of its pieces are skipped. */
  private failDay(piece: Piece, message: string): void {
    if (this.failedDays.has(piece.day)) return;
    this.failedDays.add(piece.day);
    this.context.summary.failures.push({ file: this.todo[piece.day].relativePath, message });
    this.assemblies.get(piece.day)?.abort();
    this.assemblies.delete(piece.day);
    this.context.progress.dayDone();
  }
}
