import { setImmediate as nextTurn } from "node:timers/promises";
import { AbortedError } from "../errors.js";

/**
 * Lets the event loop run (a Ctrl-C handler, progress timers) between slices of synchronous work,
 * then stops the run if it was aborted meanwhile.
 */
export async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  await nextTurn();
  if (signal?.aborted) throw new AbortedError("bin was interrupted; days binned before stay binned");
}
