import type { DrawnPage, PageTask } from "./draw-page.js";
import type { WorldShapes } from "./world-map.js";

/** From the main thread: the world's outlines once, before any page, then pages to draw. */
export type ToPageWorker = { type: "outlines"; shapes: WorldShapes } | { type: "draw"; task: PageTask };

/** From a worker: ready once it runs, then each page drawn, or why it could not be. */
export type FromPageWorker =
  | { type: "ready" }
  | { type: "drawn"; id: string; page: DrawnPage }
  | { type: "failed"; id: string; message: string };
