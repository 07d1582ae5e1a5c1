import type { ErrorMessage } from "../io/worker-errors.js";
import type { ShareResult, ShareTask } from "./bin-share.js";

/** A share of a batch for a worker thread: its task, the undo log begun for it, the sizes committed. */
export interface ShareMessage {
  type: "share";
  task: ShareTask;
  /** The share's undo log, begun by the main thread, and where the worker goes on writing it. */
  undoFile: string;
  undoPosition: number;
  /** The size index of the last committed batch (object-sizes.ts). */
  sizesIndex: Uint8Array;
}

export type ToBinWorker = ShareMessage | { type: "abort" };

export type FromBinWorker =
  | { type: "progress"; fraction: number }
  | { type: "done"; result: ShareResult; sizes: [string, number][] }
  | { type: "failed"; error: ErrorMessage };
