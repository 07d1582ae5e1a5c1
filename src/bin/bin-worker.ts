import { parentPort } from "node:worker_threads";
import { errorToMessage } from "../io/worker-errors.js";
import { binShare } from "./bin-share.js";
import type { FromBinWorker, ShareMessage, ToBinWorker } from "./bin-worker-protocol.js";
import { ObjectFolders } from "./object-folders.js";
import { ObjectSizes } from "./object-sizes.js";
import { UndoLogWriter } from "./undo-log.js";

/** A worker thread of the bin step: bins the shares of batches it is given (see bin-share.ts). */
const port = parentPort;
if (port === null) throw new Error("bin/bin-worker.js runs as a worker thread only");

/** Progress goes to the main thread at most this often. */
const PROGRESS_INTERVAL_MS = 100;

/** Kept from one batch to the next, as the main thread keeps its own. */
const folders = new ObjectFolders();
const readBuffer = Buffer.allocUnsafe(1024 * 1024);
const scratch = Buffer.allocUnsafe(256 * 1024);
const out = Buffer.allocUnsafe(1024 * 1024);
let stop = new AbortController();

port.on("message", (message: ToBinWorker) => {
  if (message.type === "abort") stop.abort();
  else void bin(message);
});

async function bin(message: ShareMessage): Promise<void> {
  const post = (reply: FromBinWorker) => port?.postMessage(reply);
  stop = new AbortController();
  let undo: UndoLogWriter | null = null;
  let lastPost = 0;
  try {
    undo = UndoLogWriter.resume(message.undoFile, message.undoPosition);
    const sizes = ObjectSizes.fromIndex(message.task.binnedFolder, message.sizesIndex);
    const result = await binShare(message.task, {
      folders,
      sizes,
      undo,
      readBuffer,
      scratch,
      out,
      signal: stop.signal,
      onProgress: (fraction) => {
        const now = Date.now();
        if (now - lastPost < PROGRESS_INTERVAL_MS) return;
        lastPost = now;
        post({ type: "progress", fraction });
      },
    });
    undo.close();
    undo = null;
    post({ type: "done", result, sizes: sizes.writtenSizes() });
  } catch (error) {
    undo?.close();
    post({ type: "failed", error: errorToMessage(error) });
  }
}
