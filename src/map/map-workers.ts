import type { Worker } from "node:worker_threads";
import { RunError } from "../errors.js";
import { errorFromMessage } from "../io/worker-errors.js";
import { startWorker } from "../io/worker-thread.js";
import { checkpoint } from "./map-objects.js";
import type { FromMapWorker, MapWorkerSetup, ToMapWorker } from "./map-worker-protocol.js";

type Request = ToMapWorker extends infer M ? (M extends { id: number } ? Omit<M, "id"> : never) : never;

interface Waiting {
  worker: Worker;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * The worker threads of a shared map, started together at its beginning (each boots, reads its
 * range files and location data while the main thread maps its first objects) and stopped at its
 * end. `shareOut` hands tasks to them and to the main thread, each taking the next when free.
 */
export class MapWorkers {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;

  constructor(setup: MapWorkerSetup, count: number) {
    for (let i = 0; i < count; i++) this.start(setup);
  }

  get count(): number {
    return this.workers.length;
  }

  /**
   * Runs every task, on this thread (`here`) and on the workers (`there` makes a task's message),
   * the next task to whoever is free (a worker holds two); `onResult` gets each result as it comes, by task index.
   * Returns once no thread works on a task any more: on a failure (or `signal` aborting) the others
   * finish the task in hand and take no other, and the first error is thrown.
   */
  async shareOut<T, R>(
    tasks: readonly T[],
    here: (task: T) => R,
    there: (task: T) => Request,
    onResult: (index: number, result: R) => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let next = 0;
    let failure: unknown = null;
    const take = () => (failure === null && next < tasks.length ? next++ : -1);
    const fail = (error: unknown) => {
      failure ??= error;
    };
    const onThisThread = async () => {
      try {
        for (let i = take(); i >= 0; i = take()) {
          await checkpoint(signal);
          if (failure !== null) return;
          onResult(i, here(tasks[i]));
        }
      } catch (error) {
        fail(error);
      }
    };
    const onWorker = async (worker: Worker) => {
      try {
        for (let i = take(); i >= 0; i = take())
          onResult(i, (await this.request(worker, there(tasks[i]))) as R);
      } catch (error) {
        fail(error);
      }
    };
    // Two tasks in hand per worker: the main thread answers only between its own tasks, and a
    // worker that finished its one task would wait for it idle.
    await Promise.all([
      onThisThread(),
      ...this.workers.flatMap((worker) => [onWorker(worker), onWorker(worker)]),
    ]);
    if (failure !== null) throw failure;
  }

  /** Asks every worker the same thing, and returns the answers in worker order. */
  askAll<R>(message: Request): Promise<R[]> {
    return Promise.all(this.workers.map((worker) => this.request(worker, message) as Promise<R>));
  }

  /** Stops every worker, at once: whatever a worker was writing lies in folders the run undoes whole. */
  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((worker) => worker.terminate()));
    this.workers.length = 0;
  }

  private request(worker: Worker, message: Request): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { worker, resolve, reject });
      worker.postMessage({ ...message, id } as ToMapWorker);
    });
  }

  private start(setup: MapWorkerSetup): void {
    const worker = startWorker(import.meta.url, "map-worker");
    this.workers.push(worker);
    worker.postMessage({ type: "setup", setup } satisfies ToMapWorker);
    const failAll = (error: Error) => {
      for (const [id, waiting] of this.waiting) {
        if (waiting.worker !== worker) continue;
        this.waiting.delete(id);
        waiting.reject(error);
      }
    };
    worker.on("message", (message: FromMapWorker) => {
      const waiting = this.waiting.get(message.id);
      if (waiting === undefined) return;
      this.waiting.delete(message.id);
      if (message.type === "done") waiting.resolve(message.result);
      else waiting.reject(errorFromMessage(message.error, "map"));
    });
    worker.on("error", (error) =>
      failAll(new RunError(`a map worker crashed: ${error.message}`, { cause: error })),
    );
    worker.on("exit", (code) => failAll(new RunError(`a map worker exited early with code ${code}`)));
  }
}
