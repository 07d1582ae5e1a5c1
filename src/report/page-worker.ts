import { parentPort } from "node:worker_threads";
import { drawDandisetPage } from "./draw-page.js";
import { loadRenderer } from "./load-vega.js";
import type { FromPageWorker, ToPageWorker } from "./page-worker-protocol.js";
import { adoptWorldShapes } from "./world-map.js";

const port = parentPort;
if (port === null) throw new Error("report/page-worker.js runs as a worker thread only");
const post = (message: FromPageWorker) => port.postMessage(message);

// Pages are handed out only once the renderer is loaded, so that a worker slow to start holds none back.
void loadRenderer().then(() => post({ type: "ready" }));

// One page at a time, in the order sent: charts are numbered per page across the thread, so two pages
// drawn at once would number each other's charts.
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
