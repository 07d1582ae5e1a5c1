import type { ErrorLog } from "../io/error-log.js";
import type { BinProgress, BinSummary } from "./bin-all.js";
import type { BinWorkers } from "./bin-workers.js";
import type { BinnedFormat } from "./binned-format.js";
import type { BinnedDay } from "./journal.js";
import type { ObjectFolders } from "./object-folders.js";
import type { ObjectSizes } from "./object-sizes.js";

/** What a bin run holds from one batch to the next. */
export interface BinRunState {
  reducedFolder: string;
  binnedFolder: string;
  /** Whether rows keep their HTTP status (see binned-format.ts), and so the object files' header. */
  format: BinnedFormat;
  header: Buffer;
  journal: BinnedDay[];
  folders: ObjectFolders;
  sizes: ObjectSizes;
  readBuffer: Buffer;
  scratch: Buffer;
  out: Buffer;
  errorLog: ErrorLog;
  summary: BinSummary;
  /** Threads to share a batch over, at most; `pool` holds those past the main thread. */
  workers: number;
  pool: BinWorkers;
  progress: BinProgress;
  /** Progress in bytes when the batch in progress began. */
  bytesBeforeBatch: number;
  onProgress?: (progress: BinProgress) => void;
  signal?: AbortSignal;
}

/** Tells the caller how far the run is. */
export function report(run: BinRunState, bytesDone: number): void {
  run.progress.bytesDone = bytesDone;
  run.onProgress?.({ ...run.progress });
}
