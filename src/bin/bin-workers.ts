import type { Worker } from "node:worker_threads";
import { RunError } from "../errors.js";
import { errorFromMessage } from "../io/worker-errors.js";
import { startWorker } from "../io/worker-thread.js";
import type { ShareResult } from "./bin-share.js";
import type { FromBinWorker, ShareMessage } from "./bin-worker-protocol.js";

interface Running {
  resolve: (done: { result: ShareResult; sizes: [string, number][] }) => void;
  reject: (error: Error) => void;
  onProgress: (fraction: number) => void;
}

/**
 * The bin step's worker threads, started when a batch first needs them and kept for the run's
 * other batches (a worker's start, about 70 ms, is paid once). Each bins one share at a time.
 */
export class BinWorkers {
  private readonly workers: Worker[] = [];
  private readonly running = new Map<Worker, Running>();

  /** Bins `message`'s share on worker `index` (started if need be). */
  runShare(
    index: number,
    message: ShareMessage,
    onProgress: (fraction: number) => void,
  ): Promise<{ result: ShareResult; sizes: [string, number][] }> {
    while (this.workers.length <= index) this.start();
    const worker = this.workers[index];
    return new Promise((resolve, reject) => {
      this.running.set(worker, { resolve, reject, onProgress });
      worker.postMessage(message);
    });
  }

  /** Asks every worker with a share to stop at its next safe point; each then answers `failed`. */
  abortAll(): void {
    for (const worker of this.running.keys()) worker.postMessage({ type: "abort" });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((worker) => worker.terminate()));
    this.workers.length = 0;
  }

  private start(): void {
    const worker = startWorker(import.meta.url, "bin-worker");
    this.workers.push(worker);
    const settle = (error: Error | null, done?: { result: ShareResult; sizes: [string, number][] }) => {
      const running = this.running.get(worker);
      if (running === undefined) return;
      this.running.delete(worker);
      if (error !== null) running.reject(error);
      else if (done !== undefined) running.resolve(done);
    };
    worker.on("message", (message: FromBinWorker) => {
      if (message.type === "progress") this.running.get(worker)?.onProgress(message.fraction);
      else if (message.type === "done") settle(null, message);
      else settle(errorFromMessage(message.error, "bin"));
    });
    worker.on("error", (error) =>
      settle(new RunError(`a bin worker crashed: ${error.message}`, { cause: error })),
    );
    worker.on("exit", (code) => settle(new RunError(`a bin worker exited early with code ${code}`)));
  }
}
