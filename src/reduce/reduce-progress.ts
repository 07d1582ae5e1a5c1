import type { DayFile } from "./plan-pieces.js";

export interface ReduceProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

/** Sums progress over finished pieces and the pieces in flight. */
export class ProgressTracker {
  private filesDone = 0;
  private bytesDone = 0;
  private readonly bytesTotal: number;
  private readonly inFlight = new Map<number, number>();

  constructor(
    private readonly todo: DayFile[],
    private readonly onProgress?: (progress: ReduceProgress) => void,
  ) {
    this.bytesTotal = todo.reduce((sum, file) => sum + file.size - (file.start ?? 0), 0);
  }

  /** Piece `id` of `bytes` bytes has read `bytesRead` (which counts the edges read past its range). */
  advance(id: number, bytesRead: number, bytes: number): void {
    this.inFlight.set(id, Math.min(bytesRead, bytes));
    this.report();
  }

  pieceDone(id: number, bytes: number): void {
    this.inFlight.delete(id);
    this.bytesDone += bytes;
  }

  dayDone(): void {
    this.filesDone++;
    this.report();
  }

  private report(): void {
    let bytes = this.bytesDone;
    for (const read of this.inFlight.values()) bytes += read;
    this.onProgress?.({
      filesDone: this.filesDone,
      filesTotal: this.todo.length,
      bytesDone: bytes,
      bytesTotal: this.bytesTotal,
    });
  }
}
