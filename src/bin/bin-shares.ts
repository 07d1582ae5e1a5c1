import { AbortedError } from "../errors.js";
import { errorTextOf } from "../io/error-log.js";
import { type BinRunState, report } from "./bin-run-state.js";
import { binShare, type ShareResult, type ShareTask } from "./bin-share.js";
import type { ObjectChange } from "./change-feed.js";
import type { Batch } from "./plan-batches.js";
import type { DayStats } from "./reduced-row-parser.js";
import { REJECT_REASONS } from "./reject-reasons.js";
import { type UndoLogWriter, undoLogPath } from "./undo-log.js";

/**
 * Runs the shares of a batch at once, the first on this thread. When one fails (or the run is
 * aborted) the others are stopped, and this returns only once every share has stopped writing.
 */
export async function binShares(
  batch: Batch,
  run: BinRunState,
  shares: number,
  undoLogs: UndoLogWriter[],
): Promise<ShareResult[]> {
  const task = (share: number): ShareTask => ({
    reducedFolder: run.reducedFolder,
    binnedFolder: run.binnedFolder,
    status: run.format === "status",
    header: run.header,
    days: batch.days,
    bytes: batch.bytes,
    passes: batch.passes,
    share,
    shares,
    journal: run.journal,
  });
  const done = new Array<number>(shares).fill(0);
  const batchStart = run.bytesBeforeBatch;
  const onProgress = (share: number, fraction: number) => {
    done[share] = fraction;
    const mean = done.reduce((sum, f) => sum + f, 0) / shares;
    report(run, batchStart + mean * batch.bytes * batch.passes);
  };
  const stop = new AbortController();
  // The workers are told too: the first share may be done while the others still write.
  const onAbort = () => {
    stop.abort();
    run.pool.abortAll();
  };
  run.signal?.addEventListener("abort", onAbort);
  if (run.signal?.aborted) stop.abort();
  const running: Promise<ShareResult>[] = [
    binShare(task(0), {
      folders: run.folders,
      sizes: run.sizes,
      undo: undoLogs[0],
      readBuffer: run.readBuffer,
      scratch: run.scratch,
      out: run.out,
      signal: stop.signal,
      onProgress: (fraction) => onProgress(0, fraction),
      // Alone, rejects are listed as met; shared out, each share keeps its own (see listRejects).
      onReject:
        shares === 1
          ? (day, line, reason, text) =>
              run.errorLog.record({ file: day, line, reason, text: errorTextOf(text, 0, text.length) })
          : undefined,
    }),
  ];
  for (let share = 1; share < shares; share++) {
    const log = undoLogs[share];
    const message = {
      type: "share" as const,
      task: task(share),
      undoFile: undoLogPath(run.binnedFolder, share),
      undoPosition: log.end,
      sizesIndex: run.sizes.indexBytes,
    };
    // Closed here before the worker opens it: one writer at a time.
    log.close();
    running.push(
      run.pool
        .runShare(share - 1, message, (fraction) => onProgress(share, fraction))
        .then((done) => {
          for (const [relativePath, size] of done.sizes) run.sizes.wrote(relativePath, size);
          return done.result;
        }),
    );
  }
  // The first failure stops the others; every share is waited for before anything is undone.
  for (const share of running)
    share.catch(() => {
      stop.abort();
      run.pool.abortAll();
    });
  try {
    const settled = await Promise.allSettled(running);
    const failures = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as Error] : []));
    if (failures.length > 0) throw failures.find((e) => !(e instanceof AbortedError)) ?? failures[0];
    return settled.map((s) => (s as PromiseFulfilledResult<ShareResult>).value);
  } finally {
    run.signal?.removeEventListener("abort", onAbort);
  }
}

/** A day's rows and time span over the shares, each of which counted its own lines. */
export function daySpan(shares: readonly DayStats[]): DayStats {
  const span: DayStats = { rows: 0, first: -1, last: -1 };
  for (const { rows, first, last } of shares) {
    span.rows += rows;
    if (first !== -1 && (span.first === -1 || first < span.first)) span.first = first;
    if (last > span.last) span.last = last;
  }
  return span;
}

/** Lists the lines the shares rejected in the error log, in the order one thread meets them (day, then line). */
export function listRejects(run: BinRunState, batch: Batch, results: readonly ShareResult[]): void {
  const records = results.flatMap((r) => r.rejects).sort((a, b) => a.day - b.day || a.line - b.line);
  for (const { day, line, reason, text } of records)
    run.errorLog.record({ file: batch.days[day].day, line, reason, text });
  REJECT_REASONS.forEach((reason, r) => {
    run.errorLog.countUnlisted(
      reason,
      results.reduce((sum, result) => sum + result.unlisted[r], 0),
    );
  });
}

/** The shares' changes of one pass, each list in key order, merged into one list in key order. */
export function inKeyOrder(lists: ObjectChange[][]): ObjectChange[] {
  if (lists.length === 1) return lists[0];
  return lists.flat().sort((a, b) => (a.relativePath < b.relativePath ? -1 : 1));
}
