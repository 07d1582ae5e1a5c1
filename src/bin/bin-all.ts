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
import { RunError, UsageError } from "../errors.js";
import { binnedHeaderOf, holdsObjectFiles, markBinnedFormat } from "../formats/work-formats.js";
import { removeStaleTempFiles } from "../io/atomic-file.js";
import { ErrorLog, errorTextOf } from "../io/error-log.js";
import { isInside, listFiles, prepareOutputFolder, requireFolder } from "../io/folders.js";
import { acquireRunLock } from "../io/run-lock.js";
import { claimIpMode, readIpMode, refuseUnfinishedRekey } from "../privacy/ip-mode.js";
import { type BinnedFormat, planBinnedFormat } from "./binned-format.js";
import { type ObjectChange, removeUncommittedChanges, writeChanges } from "./change-feed.js";
import {
  type BinnedDay,
  type JournalState,
  lastBatchOf,
  markBatchInProgress,
  readJournalState,
  writeJournal,
} from "./journal.js";
import { ObjectFolders, writeObjectFiles } from "./object-files.js";
import { ObjectSizes } from "./object-sizes.js";
import { type Batch, type PendingDay, planBatches } from "./plan-batches.js";
import { readReducedDay } from "./read-reduced-day.js";
import { type DayStats, ReducedRowParser } from "./reduced-row-parser.js";
import { emptyRejectCounts, REJECT_REASONS, type RejectReason } from "./reject-reasons.js";
import { RowStore } from "./row-store.js";
import { TieOrder } from "./tie-order.js";
import { applyUndoLog, readUndoLog, UndoLogWriter, undoLogPath } from "./undo-log.js";

export interface BinAllOptions {
  reducedFolder: string;
  binnedFolder: string;
  /** Days binned in this run at most: the first ones, in path order, of those not binned yet. */
  fileLimit?: number;
  /** Approximate memory for the rows held at once, in bytes. */
  bufferBytes?: number;
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
 * Memory a pass holds per byte of reduced input: the row arena (0.6), its copy arranged by object
 * (0.5) and the per-row arrays (0.35); so a buffer of B bytes takes passes of B / 1.5 input bytes.
 * A partition much larger than its share moves its regions, and holds up to twice this.
 */
const MEMORY_PER_INPUT_BYTE = 1.5;
/** A reduced day `DD.tsv`, or a further unit of one, `DD_0002.tsv` (reduce/units.ts), binned like a backfill. */
const DAY_FILE = /^\d+(_\d{4})?\.tsv$/;

function validate(options: BinAllOptions): { fileLimit: number; bufferBytes: number } {
  checkOptionsObject(options, "binAllReducedS3LogsByObjectKey");
  checkPath(options.reducedFolder, "reducedFolder", true);
  checkPath(options.binnedFolder, "binnedFolder", true);
  checkWholeNumber(options.fileLimit, "fileLimit", 1);
  checkBufferBytes(options.bufferBytes);
  checkFunction(options.onProgress, "onProgress");
  checkSignal(options.signal);
  checkBoolean(options.keepRawLines, "keepRawLines");
  const bufferBytes = options.bufferBytes ?? DEFAULT_BIN_BUFFER_BYTES;
  return {
    fileLimit: options.fileLimit ?? Number.POSITIVE_INFINITY,
    bufferBytes: Math.min(bufferBytes, MAX_PASS_BYTES),
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
 */
export async function binAllReducedS3LogsByObjectKey(options: BinAllOptions): Promise<BinSummary> {
  const started = Date.now();
  const { fileLimit, bufferBytes } = validate(options);
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
      bytesRead: 0,
      rolledBackInterruptedBatch: rolledBack,
      ambiguousTies: 0,
      errorLogPath: null,
      seconds: 0,
    };
    const run: RunState = {
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
    errorLog.close();
    unlock();
  }
}

interface RunState {
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
  progress: BinProgress;
  onProgress?: (progress: BinProgress) => void;
  signal?: AbortSignal;
}

/** The journal, created empty in a new folder; a folder with object files but no journal is refused. */
function openJournal(binnedFolder: string): JournalState {
  const journal = readJournalState(binnedFolder);
  if (journal !== null) return journal;
  if (holdsObjectFiles(binnedFolder)) {
    throw new UsageError(
      `\`binnedFolder\` ${binnedFolder} holds binned files but no journal of binned days (.binned_days), ` +
        "so it was not made by this tool and its days are unknown; bin into a new, empty folder",
      { code: "ERR_BINNED_FOLDER_WITHOUT_JOURNAL", optionNames: ["binnedFolder"] },
    );
  }
  writeJournal(binnedFolder, []);
  return { days: [], inProgress: null };
}

/**
 * Finishes what a killed run left: deletes a committed batch's undo log, or undoes an uncommitted
 * batch. A batch the journal says was changing object files must have a whole undo log; without
 * one its changes cannot be told apart from committed rows, and the run stops rather than bin its
 * days a second time.
 */
function recoverInterruptedBatch(binnedFolder: string, state: JournalState): boolean {
  const file = undoLogPath(binnedFolder);
  const exists = fs.existsSync(file);
  const log = exists ? readUndoLog(file) : null;
  if (state.inProgress !== null) {
    const batch = state.inProgress;
    const damage =
      log === null
        ? "is missing"
        : (log.damage ?? (log.batch === batch ? null : `belongs to batch ${log.batch ?? "?"}, not ${batch}`));
    if (damage !== null) throw damagedUndoLog(file, batch, damage);
  }
  if (log === null) return false;
  const committed = new Set(state.days.map((d) => d.day));
  const isCommitted = log.days !== null && log.days.length > 0 && log.days.every((day) => committed.has(day));
  // Without a batch in progress, a damaged log guards nothing: no object changed after it was begun.
  const undo = !isCommitted && log.damage === null;
  if (undo) applyUndoLog(binnedFolder, file, log);
  if (state.inProgress !== null) writeJournal(binnedFolder, state.days);
  fs.rmSync(file, { force: true });
  return undo && log.records.length > 0;
}

function damagedUndoLog(file: string, batch: number, damage: string): RunError {
  return new RunError(
    `${file} ${damage}, but batch ${batch} was changing object files when its run ended, and only this ` +
      "log can put them back (binning its days again would count their rows twice): restore the log from " +
      "a backup and rerun, or bin into a new, empty folder",
    { code: "ERR_BIN_UNDO_LOG_DAMAGED" },
  );
}

async function binBatch(batch: Batch, run: RunState): Promise<void> {
  const { summary, progress } = run;
  const days = batch.days.map((d) => d.day);
  const tie = new TieOrder(run.journal, days);
  const batchNumber = lastBatchOf(run.journal) + 1;
  const undo = new UndoLogWriter(run.binnedFolder, days, batchNumber);
  const changes: ObjectChange[] = [];
  let committed = false;
  let marked = false;
  try {
    markBatchInProgress(run.binnedFolder, run.journal, batchNumber);
    marked = true;
    const stats: DayStats[] = [];
    for (let pass = 0; pass < batch.passes; pass++) {
      const passBytes = batch.bytes / batch.passes;
      const store = new RowStore(passBytes);
      const passStart = progress.bytesDone;
      let readBefore = 0;
      for (let i = 0; i < batch.days.length; i++) {
        const day = batch.days[i];
        const parser = new ReducedRowParser(store, {
          day: i,
          status: run.format === "status",
          partition: pass,
          partitions: batch.passes,
          onReject:
            pass === 0
              ? (line, reason, buf, start, end) =>
                  run.errorLog.record({ file: day.day, line, reason, text: errorTextOf(buf, start, end) })
              : undefined,
        });
        const bytes = await readReducedDay(
          path.join(run.reducedFolder, day.day),
          parser,
          run.readBuffer,
          (read) =>
            report(run, passStart + ((readBefore + read) / Math.max(1, batch.bytes)) * (passBytes / 2)),
          run.signal,
        );
        readBefore += bytes;
        summary.bytesRead += bytes;
        if (pass === 0) {
          stats.push(parser.stats);
          REJECT_REASONS.forEach((reason, r) => {
            summary.rowsRejected[reason] += parser.rejected[r];
          });
        }
      }
      summary.rowsBinned += store.rows;
      const rows = store.arrangeByObject(run.header);
      const written = await writeObjectFiles(
        {
          binnedFolder: run.binnedFolder,
          store,
          rows,
          undo,
          tie,
          committedLast: run.journal.reduce((last, d) => Math.max(last, d.last), -1),
          folders: run.folders,
          sizes: run.sizes,
          scratch: run.scratch,
          out: run.out,
        },
        (done, total) =>
          report(run, passStart + passBytes / 2 + (total > 0 ? (done / total) * (passBytes / 2) : 0)),
        run.signal,
      );
      summary.objectsWritten += written.written;
      summary.objectsCreated += written.created;
      for (const change of written.changes) changes.push(change);
      progress.bytesDone = passStart + passBytes;
    }
    undo.close();
    // Named by the batch's number, so a list left by a batch that is then undone is simply replaced.
    writeChanges(run.binnedFolder, batchNumber, changes);
    run.sizes.prepareCommit(batchNumber);
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
    fs.rmSync(undoLogPath(run.binnedFolder), { force: true });
    run.sizes.finishCommit();
  } catch (error) {
    undo.close();
    if (!committed) run.sizes.discardBatch();
    if (!committed) rollBack(run, marked ? batchNumber : null, error);
    throw error;
  }
  summary.ambiguousTies += tie.ambiguous;
  summary.daysBinned += batch.days.length;
  summary.batches++;
  summary.passes += batch.passes;
  progress.daysDone += batch.days.length;
  report(run, progress.bytesDone);
}

/** Undoes the batch that failed or was aborted; if even that fails, the next run undoes it. */
function rollBack(run: RunState, batch: number | null, cause: unknown): void {
  try {
    recoverInterruptedBatch(run.binnedFolder, { days: run.journal, inProgress: batch });
  } catch (error) {
    throw new RunError(
      `binning failed (${(cause as Error).message}) and undoing its batch failed too (${(error as Error).message}); ` +
        "the next run undoes it",
      { cause },
    );
  }
}

function report(run: RunState, bytesDone: number): void {
  run.progress.bytesDone = bytesDone;
  run.onProgress?.({ ...run.progress });
}
