import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkBoolean,
  checkBufferBytes,
  checkFunction,
  checkOptionsObject,
  checkPath,
  checkSignal,
  checkWholeNumber,
} from "../check-options.js";
import { UsageError } from "../errors.js";
import { binnedHeaderOf, markBinnedFormat } from "../formats/work-formats.js";
import { removeStaleTempFiles } from "../io/atomic-file.js";
import { shareThreshold } from "../io/env-number.js";
import { ErrorLog } from "../io/error-log.js";
import { isInside, listFiles, prepareOutputFolder, requireFolder } from "../io/folders.js";
import { acquireRunLock } from "../io/run-lock.js";
import { claimIpMode, readIpMode, refuseUnfinishedRekey } from "../privacy/ip-mode.js";
import { openJournal, recoverInterruptedBatch, removeUndoLogs, rollBack } from "./batch-recovery.js";
import { type BinRunState, report } from "./bin-run-state.js";
import { binShares, daySpan, inKeyOrder, listRejects } from "./bin-shares.js";
import { BinWorkers } from "./bin-workers.js";
import { planBinnedFormat } from "./binned-format.js";
import { type ObjectChange, removeUncommittedChanges, writeChanges } from "./change-feed.js";
import { lastBatchOf, markBatchInProgress, writeJournal } from "./journal.js";
import { ObjectFolders } from "./object-folders.js";
import { ObjectSizes } from "./object-sizes.js";
import { type Batch, type PendingDay, planBatches } from "./plan-batches.js";
import { emptyRejectCounts, REJECT_REASONS, type RejectReason } from "./reject-reasons.js";
import { UndoLogWriter } from "./undo-log.js";

export interface BinAllOptions {
  reducedFolder: string;
  binnedFolder: string;
  /** Days binned in this run at most: the first ones, in path order, of those not binned yet. */
  fileLimit?: number;
  /** Approximate memory for the rows held at once, in bytes (over all threads). */
  bufferBytes?: number;
  /**
   * Threads binning at once: the main thread and `workers - 1` worker threads, each owning the
   * objects of a share of every batch big enough to share out (1 by default). The output is the same
   * whatever the number.
   */
  workers?: number;
  onProgress?: (progress: BinProgress) => void;
  /** Aborting rolls back the batch in progress; the run rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Error-log lines as read, addresses included, rather than with addresses masked (for debugging). */
  keepRawLines?: boolean;
}

export interface BinProgress {
  daysDone: number;
  daysTotal: number;
  /** Input bytes, each counted half when read and half when its rows are written. */
  bytesDone: number;
  bytesTotal: number;
}

export interface BinSummary {
  /** Reduced day files found. */
  daysFound: number;
  daysBinned: number;
  /** Listed in the binned folder's journal by earlier runs. */
  daysAlreadyBinned: number;
  /** Left for later runs by `fileLimit`. */
  daysLeft: number;
  rowsBinned: number;
  rowsRejected: Record<RejectReason, number>;
  /** Object files written (created or extended), once per batch that touched them. */
  objectsWritten: number;
  objectsCreated: number;
  batches: number;
  /** Passes over batches: more than the batches when a batch did not fit the buffer at once. */
  passes: number;
  /** The most threads a batch was shared out over (1 when none was). */
  threads: number;
  bytesRead: number;
  /** An earlier run was killed in a batch, and that batch was undone before this run started. */
  rolledBackInterruptedBatch: boolean;
  /** Rows whose place among rows of the same second could not be told exactly (see tie-order.ts). */
  ambiguousTies: number;
  errorLogPath: string | null;
  seconds: number;
}

export const DEFAULT_BIN_BUFFER_BYTES = 1000 * 1024 * 1024;
/**
 * A pass's rows live in WebAssembly memory, which 32-bit addresses limit to 4 GB: a pass never takes
 * more input than this (its arena reserves as much, untouched until used, plus the arranged copy).
 */
const MAX_PASS_BYTES = 1536 * 1024 * 1024;
const READ_BUFFER_BYTES = 1024 * 1024;
/**
 * Input a batch needs per share before it is shared out over threads: a worker costs its start
 * (about 70 ms, once a run) and every share reads every row, so a quiet day stays on one thread.
 */
const MIN_BYTES_PER_SHARE = 16 * 1024 * 1024;
/**
 * Memory a pass holds per byte of reduced input: the row arena (0.6), its copy arranged by object
 * (0.5) and the per-row arrays (0.35); so a buffer of B bytes takes passes of B / 1.5 input bytes.
 * A partition much larger than its share moves its regions, and holds up to twice this.
 */
const MEMORY_PER_INPUT_BYTE = 1.5;
/** A reduced day `DD.tsv`, or a further unit of one, `DD_0002.tsv` (reduce/units.ts), binned like a backfill. */
const DAY_FILE = /^\d+(_\d{4})?\.tsv$/;

function validate(options: BinAllOptions): { fileLimit: number; bufferBytes: number; workers: number } {
  checkOptionsObject(options, "binAllReducedS3LogsByObjectKey");
  checkPath(options.reducedFolder, "reducedFolder", true);
  checkPath(options.binnedFolder, "binnedFolder", true);
  checkWholeNumber(options.fileLimit, "fileLimit", 1);
  checkWholeNumber(options.workers, "workers", 1);
  checkBufferBytes(options.bufferBytes);
  checkFunction(options.onProgress, "onProgress");
  checkSignal(options.signal);
  checkBoolean(options.keepRawLines, "keepRawLines");
  const bufferBytes = options.bufferBytes ?? DEFAULT_BIN_BUFFER_BYTES;
  return {
    fileLimit: options.fileLimit ?? Number.POSITIVE_INFINITY,
    bufferBytes: Math.min(bufferBytes, MAX_PASS_BYTES),
    workers: options.workers ?? 1,
  };
}

/**
 * Bins every reduced day (`YYYY/MM/DD.tsv`) not binned yet into one file per object:
 * `blobs/aaa/bbb/<uuid>.tsv` and `zarr/<uuid>.tsv`, rows by timestamp, ties in input order.
 *
 * Safe to kill at any moment. Days are binned in batches, and a batch is atomic:
 *  1. before any object file changes, an undo record saying how to restore it is in the undo log
 *     (`.bin_undo_log`); files are then extended or rewritten in place;
 *  2. the batch commits by replacing the journal of binned days (`.binned_days`) atomically, after
 *     which the undo log is deleted;
 *  3. a run that finds an undo log either deletes it (its days are in the journal: committed) or
 *     applies it (not committed), which restores every object file byte for byte; undoing is
 *     idempotent, so a kill during it is mended by the next run. The batch's days are then still
 *     pending, and are binned again from scratch.
 * Files are changed in place and undone, rather than written anew and renamed into place, because
 * replacing 3,000 files measured about 2 s here against 40 ms for extending them. Nothing but the
 * journal is fsynced: after a process kill, the kernel still holds every write the process
 * completed, and in program order, which is all this relies on. Surviving power loss as well would
 * take an fsync of the undo log before each group of changes, and of the changed files before the
 * commit.
 *
 * Where new rows go in a file needs its size (the undo record holds it) and, only when the object's
 * first new row is not later than every committed row (the journal's last timestamps), a read of
 * the file's end; in the daily case most new rows are later, and those files are appended to at
 * their size unread (about 15 ms less on a busy day; a file not read is not checked for a
 * newline at its end either). Files are opened first and sized after (fstat), and the top folders
 * (`blobs/aaa`, `zarr`) are listed once per pass, so that an object without a file costs no failed
 * open. None of this changes the order of the undo record, the file change and the commit.
 *
 * With `workers` above 1, a batch big enough is shared out over threads by a stable hash of the
 * object keys (bin-share.ts): each thread reads the batch's rows, keeps those of its share's
 * objects, and writes their files under an undo log of its own (`.bin_undo_log.<share>` beside
 * `.bin_undo_log`); the journal marks the batch with its number of shares, and commits once for
 * all. The object files, change lists and journal are byte for byte those of one thread.
 */
export async function binAllReducedS3LogsByObjectKey(options: BinAllOptions): Promise<BinSummary> {
  const started = Date.now();
  const { fileLimit, bufferBytes, workers } = validate(options);
  const reducedFolder = requireFolder(options.reducedFolder, "reducedFolder");
  if (isInside(reducedFolder, options.binnedFolder)) {
    throw new UsageError(
      `\`reducedFolder\` ${options.reducedFolder} is inside \`binnedFolder\` ${options.binnedFolder}; choose folders apart`,
      { code: "ERR_OUTPUT_INSIDE_INPUT", optionNames: ["reducedFolder", "binnedFolder"] },
    );
  }
  const binnedFolder = prepareOutputFolder(
    options.binnedFolder,
    reducedFolder,
    "binnedFolder",
    "reducedFolder",
  );
  // Two bin runs in one folder (overlapping cron jobs) would each add the same days.
  const unlock = acquireRunLock(path.join(binnedFolder, ".bin_lock"));
  const errorLog = new ErrorLog("bin", undefined, options.keepRawLines);
  const pool = new BinWorkers();
  try {
    // A run killed while replacing the journal leaves its temporary copy; object files are changed
    // in place, never through temporary files, so only the top of the folder needs looking at.
    removeStaleTempFiles(binnedFolder, false);
    // Rows keep their addresses as reduce wrote them, in clear or as tokens: both folders must agree.
    refuseUnfinishedRekey(reducedFolder);
    const reducedMode = readIpMode(reducedFolder);
    if (reducedMode !== null) claimIpMode(binnedFolder, reducedMode, reducedFolder);
    const state = openJournal(binnedFolder);
    const journal = state.days;
    const rolledBack = recoverInterruptedBatch(binnedFolder, state);
    removeUncommittedChanges(binnedFolder, lastBatchOf(journal));
    const committed = new Set(journal.map((d) => d.day));
    // Not below a dot folder: reduce holds there the rows of days not settled yet (.pending_days/).
    const found = listFiles(reducedFolder, (name) => DAY_FILE.test(name)).filter(
      (day) => !day.split("/").some((part) => part.startsWith(".")),
    );
    const pending: PendingDay[] = [];
    for (const day of found) {
      if (committed.has(day)) continue;
      pending.push({ day, bytes: fs.statSync(path.join(reducedFolder, day)).size });
    }
    const todo = pending.slice(0, Math.min(pending.length, fileLimit));
    // Before any object file changes: a day of the other format than the folder's is refused.
    const format = planBinnedFormat(reducedFolder, binnedFolder, journal, todo);
    const batches = planBatches(todo, bufferBytes / MEMORY_PER_INPUT_BYTE);
    const summary: BinSummary = {
      daysFound: found.length,
      daysBinned: 0,
      daysAlreadyBinned: found.length - pending.length,
      daysLeft: pending.length - todo.length,
      rowsBinned: 0,
      rowsRejected: emptyRejectCounts(),
      objectsWritten: 0,
      objectsCreated: 0,
      batches: 0,
      passes: 0,
      threads: 1,
      bytesRead: 0,
      rolledBackInterruptedBatch: rolledBack,
      ambiguousTies: 0,
      errorLogPath: null,
      seconds: 0,
    };
    const run: BinRunState = {
      reducedFolder,
      binnedFolder,
      format: format.format,
      header: Buffer.from(binnedHeaderOf(format.format)),
      journal,
      folders: new ObjectFolders(),
      sizes: ObjectSizes.open(binnedFolder, lastBatchOf(journal)),
      readBuffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
      scratch: Buffer.allocUnsafe(256 * 1024),
      out: Buffer.allocUnsafe(1024 * 1024),
      errorLog,
      summary,
      workers,
      pool,
      bytesBeforeBatch: 0,
      progress: {
        daysDone: 0,
        daysTotal: todo.length,
        bytesDone: 0,
        bytesTotal: batches.reduce((sum, b) => sum + b.bytes * b.passes, 0),
      },
      onProgress: options.onProgress,
      signal: options.signal,
    };
    options.onProgress?.({ ...run.progress });
    if (batches.length > 0 && format.markFormat) markBinnedFormat(binnedFolder, format.format);
    for (const batch of batches) await binBatch(batch, run);
    summary.errorLogPath = errorLog.count > 0 ? errorLog.path : null;
    summary.seconds = (Date.now() - started) / 1000;
    return summary;
  } finally {
    await pool.close();
    errorLog.close();
    unlock();
  }
}

/**
 * Bins one batch in `shares` shares (see bin-share.ts): the main thread bins the first, workers the
 * others, each into its own undo log; the main thread then puts their results together and commits
 * once for all. Every undo log is begun before the journal marks the batch in progress, and the
 * batch is undone as a whole when any share fails or the run is aborted, once every thread stopped.
 */
async function binBatch(batch: Batch, run: BinRunState): Promise<void> {
  const { summary, progress } = run;
  const days = batch.days.map((d) => d.day);
  const batchNumber = lastBatchOf(run.journal) + 1;
  const perShare = shareThreshold("DANDI_S3_LOG_PARSER_BIN_SHARE_BYTES", MIN_BYTES_PER_SHARE);
  const shares = Math.max(1, Math.min(run.workers, Math.floor(batch.bytes / perShare)));
  const undoLogs: UndoLogWriter[] = [];
  let committed = false;
  let marked = false;
  try {
    for (let share = 0; share < shares; share++)
      undoLogs.push(UndoLogWriter.begin(run.binnedFolder, days, batchNumber, share, shares));
    markBatchInProgress(run.binnedFolder, run.journal, batchNumber, shares);
    marked = true;
    const results = await binShares(batch, run, shares, undoLogs);
    for (const log of undoLogs) log.close();
    const changes: ObjectChange[] = [];
    for (let pass = 0; pass < batch.passes; pass++)
      changes.push(...inKeyOrder(results.map((r) => r.changes[pass])));
    // Named by the batch's number, so a list left by a batch that is then undone is simply replaced.
    writeChanges(run.binnedFolder, batchNumber, changes);
    run.sizes.prepareCommit(batchNumber);
    const stats = batch.days.map((_, i) => daySpan(results.map((r) => r.stats[i])));
    const journal = [
      ...run.journal,
      ...batch.days.map((d, i) => ({
        day: d.day,
        rows: stats[i].rows,
        first: stats[i].first,
        last: stats[i].last,
        batch: batchNumber,
      })),
    ];
    writeJournal(run.binnedFolder, journal);
    committed = true;
    run.journal = journal;
    removeUndoLogs(
      run.binnedFolder,
      undoLogs.map((_, share) => share),
    );
    run.sizes.finishCommit();
    for (const result of results) {
      summary.rowsBinned += result.rows;
      summary.objectsWritten += result.written;
      summary.objectsCreated += result.created;
      summary.ambiguousTies += result.ambiguousTies;
    }
    // Every share reads every byte of the batch.
    summary.bytesRead += results[0].bytesRead;
    for (const result of results)
      REJECT_REASONS.forEach((reason, r) => {
        summary.rowsRejected[reason] += result.rejected[r];
      });
    if (shares > 1) listRejects(run, batch, results);
  } catch (error) {
    for (const log of undoLogs) log.close();
    if (!committed) run.sizes.discardBatch();
    if (!committed) rollBack(run.binnedFolder, run.journal, marked ? batchNumber : null, shares, error);
    throw error;
  }
  summary.daysBinned += batch.days.length;
  summary.batches++;
  summary.passes += batch.passes;
  summary.threads = Math.max(summary.threads, shares);
  progress.daysDone += batch.days.length;
  run.bytesBeforeBatch += batch.bytes * batch.passes;
  report(run, run.bytesBeforeBatch);
}
