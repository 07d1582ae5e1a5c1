import { parentPort } from "node:worker_threads";
import type { LineError } from "../io/error-log.js";
import { type ReductionOptions, reduceFile, reduceRangeToPart } from "./reduce-file.js";
import { type ReduceTask, reductionOptionsOf, type WorkerMessage } from "./worker-protocol.js";

/** Progress goes to the main thread at most this often, and whenever this many errors wait. */
const PROGRESS_INTERVAL_MS = 100;
const MAX_PENDING_ERRORS = 1000;

const port = parentPort;
if (port === null) throw new Error("reduce/worker.js runs as a worker thread only");

/** One read buffer for all the pieces this worker reduces. */
let readBuffer: Buffer | null = null;

port.on("message", (task: ReduceTask) => {
  if (readBuffer?.length !== task.readBufferBytes) readBuffer = Buffer.allocUnsafe(task.readBufferBytes);
  let errors: LineError[] = [];
  let bytesRead = 0;
  let lastPost = Date.now();
  const post = (message: WorkerMessage) => port.postMessage(message);
  try {
    const options: ReductionOptions = {
      ...reductionOptionsOf(task),
      readBuffer,
      onMalformed: (error) => {
        errors.push(error);
        if (errors.length >= MAX_PENDING_ERRORS) {
          post({ type: "progress", id: task.id, bytesRead, errors });
          errors = [];
        }
      },
      onProgress: (read) => {
        bytesRead = read;
        const now = Date.now();
        if (now - lastPost < PROGRESS_INTERVAL_MS) return;
        lastPost = now;
        post({ type: "progress", id: task.id, bytesRead, errors });
        errors = [];
      },
    };
    const counts = task.part
      ? reduceRangeToPart(task.input, task.temp, options)
      : reduceFile(task.input, task.output, task.temp, options);
    post({ type: "done", id: task.id, bytesRead, errors, counts });
  } catch (error) {
    post({ type: "failed", id: task.id, bytesRead, errors, message: (error as Error).message });
  }
});
