import type { LineError } from "../io/error-log.js";
import type { LineCounts } from "./line-counts.js";
import type { ByteRange } from "./line-range-reader.js";
import type { ReductionOptions } from "./reduce-file.js";

/**
 * One day file for a worker to reduce into `temp`, then rename to `output`; or, when `part` is set,
 * the lines of `range` of a day file into `temp`, kept there for the main thread to assemble.
 */
export interface ReduceTask {
  type: "reduce";
  id: number;
  input: string;
  output: string;
  temp: string;
  range: ByteRange;
  part: boolean;
  displayName: string;
  operation: string;
  excludedYears: number[];
  excludedIps: string[];
  readBufferBytes: number;
  maxLineBytes: number;
  moreInputs?: { path: string; displayName: string }[];
  /** The IP key's bytes, or null to keep addresses in clear. */
  ipKeyBytes: Uint8Array | null;
}

export type WorkerMessage =
  | { type: "progress"; id: number; bytesRead: number; errors: LineError[] }
  | { type: "done"; id: number; bytesRead: number; errors: LineError[]; counts: LineCounts }
  | { type: "failed"; id: number; bytesRead: number; errors: LineError[]; message: string };

/** The reduction options a task carries, as `reduceFile` takes them. */
export function reductionOptionsOf(task: ReduceTask): ReductionOptions {
  return {
    displayName: task.displayName,
    operation: task.operation,
    excludedYears: task.excludedYears,
    excludedIps: task.excludedIps,
    readBufferBytes: task.readBufferBytes,
    maxLineBytes: task.maxLineBytes,
    ipKeyBytes: task.ipKeyBytes,
    range: task.range,
    header: !task.part,
    flushAsWritten: !task.part,
    moreInputs: task.moreInputs,
  };
}
