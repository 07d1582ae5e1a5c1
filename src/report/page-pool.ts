import type { Worker } from "node:worker_threads";
import { AbortedError, RunError } from "../errors.js";
import { startWorker } from "../io/worker-thread.js";
import { type DrawnPage, drawDandisetPage, type PageTask } from "./draw-page.js";
import type { FromPageWorker, ToPageWorker } from "./page-worker-protocol.js";
import { worldShapes } from "./world-map.js";

const INTERRUPTED = "report was interrupted; the previous report is unchanged";

/**
 * Draws pages with the main thread and `threads - 1` worker threads, each taking the next page as soon
 * as it is free; `onDrawn` gets each page on the main thread, in the order they finish. A page comes
 * out the same whichever thread draws it: each is drawn from its own tables, one page at a time per
 * thread.
 *
 * The main thread draws too: it would otherwise only wait, and a worker costs its start-up before its
 * first page. A worker gets pages once it runs, and holds a second while many are left, so that it goes on at once instead of waiting for the main
 * thread, busy with a page of its own, to answer.
 */
export async function drawPages(
  ids: readonly string[],
  taskFor: (id: string) => PageTask,
  threads: number,
  onDrawn: (task: PageTask, page: DrawnPage) => void,
  signal?: AbortSignal,
): Promise<void> {
  const pool = new PagePool(ids, taskFor, onDrawn);
  await pool.run(Math.min(threads, ids.length), signal);
}

class PagePool {
  private next = 0;
  private readonly workers: Worker[] = [];
  /** The pages each worker holds, in the order sent. */
  private readonly held = new Map<Worker, PageTask[]>();
  private stopped: Error | null = null;
  private closing = false;
  private workersIdle: () => void = () => {};
  private workersFailed: (error: Error) => void = () => {};

  constructor(
    private readonly ids: readonly string[],
    private readonly taskFor: (id: string) => PageTask,
    private readonly onDrawn: (task: PageTask, page: DrawnPage) => void,
  ) {}

  async run(threads: number, signal?: AbortSignal): Promise<void> {
    const onAbort = () => this.stop(new AbortedError(INTERRUPTED));
    signal?.addEventListener("abort", onAbort);
    const workersDone = new Promise<void>((resolve, reject) => {
      this.workersIdle = resolve;
      this.workersFailed = reject;
    });
    // Awaited below; until then a rejection is not unhandled.
    workersDone.catch(() => {});
    try {
      for (let i = 1; i < threads; i++) this.startWorker();
      if (this.workers.length > 0) {
        // Drawn (or read from the cache) here, once, while the workers start: they need not draw them.
        const message: ToPageWorker = { type: "outlines", shapes: await worldShapes() };
        for (const worker of this.workers) worker.postMessage(message);
      }
      for (;;) {
        // Drawing awaits nothing that waits: let signals and the workers' messages through between pages.
        await new Promise((resolve) => setImmediate(resolve));
        if (signal?.aborted) this.stop(new AbortedError(INTERRUPTED));
        if (this.stopped !== null) throw this.stopped;
        const task = this.take();
        if (task === null) break;
        this.onDrawn(task, await drawDandisetPage(task));
      }
      this.checkIdle();
      await workersDone;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.closing = true;
      await Promise.allSettled(this.workers.map((worker) => worker.terminate()));
    }
  }

  private take(): PageTask | null {
    return this.next < this.ids.length ? this.taskFor(this.ids[this.next++]) : null;
  }

  private stop(error: Error): void {
    if (this.stopped !== null || this.closing) return;
    this.stopped = error;
    this.workersFailed(error);
  }

  private checkIdle(): void {
    if (this.next < this.ids.length) return;
    for (const pages of this.held.values()) if (pages.length > 0) return;
    this.workersIdle();
  }

  private startWorker(): void {
    const worker = startWorker(import.meta.url, "page-worker");
    this.workers.push(worker);
    worker.on("message", (message: FromPageWorker) => {
      if (this.stopped !== null) return;
      if (message.type === "ready") {
        this.held.set(worker, []);
        this.dispatch(worker);
        return;
      }
      const pages = this.held.get(worker) ?? [];
      const task = pages.splice(
        pages.findIndex((held) => held.id === message.id),
        1,
      )[0];
      if (message.type === "failed") {
        this.stop(new Error(message.message));
        return;
      }
      try {
        this.onDrawn(task, message.page);
      } catch (error) {
        this.stop(error as Error);
        return;
      }
      this.dispatch(worker);
    });
    worker.on("error", (error) =>
      this.stop(new RunError(`a report worker crashed: ${error.message}`, { cause: error })),
    );
    worker.on("exit", (code) => this.stop(new RunError(`a report worker exited early with code ${code}`)));
  }

  /** Tops up the pages `worker` holds: two while more pages are left than threads can share, else one. */
  private dispatch(worker: Worker): void {
    const pages = this.held.get(worker);
    if (pages === undefined) return;
    const room = this.ids.length - this.next > 2 * (this.workers.length + 1) ? 2 : 1;
    while (pages.length < room) {
      const task = this.take();
      if (task === null) break;
      pages.push(task);
      worker.postMessage({ type: "draw", task } satisfies ToPageWorker);
    }
    this.checkIdle();
  }
}
