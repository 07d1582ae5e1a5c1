import * as path from "node:path";
import { DEFAULT_RECORDS_PER_REASON, errorTextOf } from "../io/error-log.js";
import type { ObjectChange } from "./change-feed.js";
import type { BinnedDay } from "./journal.js";
import { writeObjectFiles } from "./object-files.js";
import type { ObjectFolders } from "./object-folders.js";
import type { ObjectSizes } from "./object-sizes.js";
import type { PendingDay } from "./plan-batches.js";
import { readReducedDay } from "./read-reduced-day.js";
import { type DayStats, ReducedRowParser } from "./reduced-row-parser.js";
import { REJECT_REASONS, type RejectReason } from "./reject-reasons.js";
import { RowStore } from "./row-store.js";
import { TieOrder } from "./tie-order.js";
import type { UndoLogWriter } from "./undo-log.js";

/**
 * One share of a batch: the objects whose key falls in it, read from every day of the batch, put in
 * order and written to their files, pass after pass. A batch binned by one thread is one share; with
 * more, each thread (the main thread and the workers, bin-workers.ts) bins a share of its own and
 * owns that share's object files, undo log and size records, so that no two threads ever touch the
 * same file. The shares' results are put together by the main thread, which alone commits.
 *
 * Objects are shared out by a stable hash of their key, the one that spreads them over passes (the
 * first six hex digits of their uuid, `isInPartition`): passes by the whole number, shares by its
 * first three digits, a blob's top folder. So a pass holds the same objects whatever the number of
 * shares, and the batch's change list, made of the passes' lists in turn (each in key order), is
 * byte for byte that of one thread.
 */
export interface ShareTask {
  reducedFolder: string;
  binnedFolder: string;
  /** Whether rows keep their HTTP status (binned-format.ts). */
  status: boolean;
  /** The header of the folder's object files. */
  header: Uint8Array;
  days: PendingDay[];
  /** The input bytes of the batch, each pass reading all of them. */
  bytes: number;
  passes: number;
  share: number;
  shares: number;
  /** The days committed before the batch: the tie order and the latest committed timestamp. */
  journal: BinnedDay[];
}

/** What a thread brings to its share, kept from one batch to the next. */
export interface ShareTools {
  folders: ObjectFolders;
  sizes: ObjectSizes;
  undo: UndoLogWriter;
  readBuffer: Buffer;
  scratch: Buffer;
  out: Buffer;
  /**
   * Lines that are not valid rows, as they are met: the day, as in ReducedRowParser. Left out, a
   * share keeps them in its result (the first of each reason), for the main thread to list them in
   * the order one thread meets them.
   */
  onReject?: (day: string, line: number, reason: RejectReason, text: Buffer) => void;
  /** The share's work done, from 0 to 1. */
  onProgress: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface ShareResult {
  /** Rows stored: those of the share's objects. */
  rows: number;
  written: number;
  created: number;
  /** The object files each pass changed, in key order. */
  changes: ObjectChange[][];
  ambiguousTies: number;
  /** Per day, the share's lines (see `ownerOf`): the batch's, added up over the shares, go in the journal. */
  stats: DayStats[];
  /** The share's lines rejected, by reason (REJECT_REASONS' order). */
  rejected: number[];
  /** Without `onReject`: the first lines rejected of each reason, and how many more each reason had. */
  rejects: RejectRecord[];
  unlisted: number[];
  bytesRead: number;
}

export interface RejectRecord {
  /** Index of the day in the batch, and 1-based line. */
  day: number;
  line: number;
  reason: RejectReason;
  text: string;
}

export async function binShare(task: ShareTask, tools: ShareTools): Promise<ShareResult> {
  const tie = new TieOrder(
    task.journal,
    task.days.map((d) => d.day),
  );
  const committedLast = task.journal.reduce((last, d) => Math.max(last, d.last), -1);
  const header = Buffer.from(task.header.buffer, task.header.byteOffset, task.header.byteLength);
  const result: ShareResult = {
    rows: 0,
    written: 0,
    created: 0,
    changes: [],
    ambiguousTies: 0,
    stats: [],
    rejected: REJECT_REASONS.map(() => 0),
    rejects: [],
    unlisted: REJECT_REASONS.map(() => 0),
    bytesRead: 0,
  };
  const kept = REJECT_REASONS.map(() => 0);
  const keep = (day: number, line: number, reason: RejectReason, buf: Buffer, start: number, end: number) => {
    const r = REJECT_REASONS.indexOf(reason);
    if (kept[r]++ < DEFAULT_RECORDS_PER_REASON)
      result.rejects.push({ day, line, reason, text: errorTextOf(buf, start, end) });
    else result.unlisted[r]++;
  };
  const total = Math.max(1, task.bytes) * task.passes;
  for (let pass = 0; pass < task.passes; pass++) {
    const passStart = pass * Math.max(1, task.bytes);
    // Each share holds about 1/shares of the pass's rows; the arena grows if the hash is unlucky.
    const store = new RowStore(task.bytes / (task.passes * task.shares));
    let readBefore = 0;
    for (let i = 0; i < task.days.length; i++) {
      const day = task.days[i];
      const onReject = tools.onReject;
      const parser = new ReducedRowParser(store, {
        day: i,
        status: task.status,
        partition: pass,
        partitions: task.passes,
        share: task.share,
        shares: task.shares,
        onReject:
          pass !== 0
            ? undefined
            : onReject !== undefined
              ? (line, reason, buf, start, end) => onReject(day.day, line, reason, buf.subarray(start, end))
              : (line, reason, buf, start, end) => keep(i, line, reason, buf, start, end),
      });
      const bytes = await readReducedDay(
        path.join(task.reducedFolder, day.day),
        parser,
        tools.readBuffer,
        (read) => tools.onProgress((passStart + (readBefore + read) / 2) / total),
        tools.signal,
      );
      readBefore += bytes;
      result.bytesRead += bytes;
      if (pass === 0) {
        result.stats.push(parser.stats);
        REJECT_REASONS.forEach((_, r) => {
          result.rejected[r] += parser.rejected[r];
        });
      }
    }
    result.rows += store.rows;
    const rows = store.arrangeByObject(header);
    const written = await writeObjectFiles(
      {
        binnedFolder: task.binnedFolder,
        store,
        rows,
        undo: tools.undo,
        tie,
        committedLast,
        folders: tools.folders,
        sizes: tools.sizes,
        scratch: tools.scratch,
        out: tools.out,
      },
      (done, objects) =>
        tools.onProgress(
          (passStart + task.bytes / 2 + (objects > 0 ? done / objects : 0) * (task.bytes / 2)) / total,
        ),
      tools.signal,
    );
    result.written += written.written;
    result.created += written.created;
    result.changes.push(written.changes);
  }
  result.ambiguousTies = tie.ambiguous;
  return result;
}
