/** A reduced day file waiting to be binned. */
export interface PendingDay {
  day: string;
  bytes: number;
}

export interface Batch {
  days: PendingDay[];
  bytes: number;
  /** Passes over the batch's days, each keeping the rows of a share of the objects. */
  passes: number;
}

/**
 * Groups days, in path order, into batches whose rows fit the buffer, so each object file is
 * written once per batch rather than once per day. A day bigger than the buffer is a batch of its
 * own, read in as many passes as it takes to keep each pass within the buffer.
 */
export function planBatches(days: readonly PendingDay[], bufferBytes: number): Batch[] {
  const batches: Batch[] = [];
  let current: Batch | null = null;
  for (const day of days) {
    if (current === null || current.bytes + day.bytes > bufferBytes) {
      current = { days: [], bytes: 0, passes: 1 };
      batches.push(current);
    }
    current.days.push(day);
    current.bytes += day.bytes;
  }
  for (const batch of batches) batch.passes = Math.max(1, Math.ceil(batch.bytes / bufferBytes));
  return batches;
}
