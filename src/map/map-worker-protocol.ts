import type { ErrorMessage } from "../io/worker-errors.js";
import type { DandisetItem, ObjectItem } from "./shared-work.js";

/** What a map worker needs to read, resolve and hash as the main thread does. */
export interface MapWorkerSetup {
  binnedFolder: string;
  mappedFolder: string;
  ipRangesFolder?: string;
  /** The IP key's bytes when the binned rows hold tokens, else null. */
  ipKeyBytes: Uint8Array | null;
  /** The mapped folder's requester key (summaries/requesters.ts). */
  requesterKey: Uint8Array;
}

export type ToMapWorker =
  | { type: "setup"; setup: MapWorkerSetup }
  | { type: "objects"; id: number; items: ObjectItem[] }
  | { type: "dandisets"; id: number; items: DandisetItem[] }
  | { type: "addresses"; id: number };

export type FromMapWorker =
  | { type: "done"; id: number; result: unknown }
  | { type: "failed"; id: number; error: ErrorMessage };
