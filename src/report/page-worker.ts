import { parentPort } from "node:worker_threads";
import { drawDandisetPage } from "./draw-page.js";
import type { FromPageWorker, ToPageWorker } from "./page-worker-protocol.js";
import { adoptWorldShapes } from "./world-map.js";

const port = parentPort;
if (port === null) throw new Error("report/page-worker.js runs as a worker thread only");
const post = (message: FromPageWorker) => port.postMessage(message);

// Pages are handed out only once the worker runs, so that a worker slow to start holds none back.
post({ type: "ready" });

// One page at a time, in the order sent, as the main thread draws its own.
let queue = Promise.resolve();
port.on("message", (message: ToPageWorker) => {
  if (message.type === "outlines") {
    adoptWorldShapes(message.shapes);
    return;
  }
  queue = queue.then(async () => {
    try {
      post({ type: "drawn", id: message.task.id, page: await drawDandisetPage(message.task) });
    } catch (error) {
      post({ type: "failed", id: message.task.id, message: (error as Error).message });
    }
  });
});
