import * as fs from "node:fs";
import * as path from "node:path";
import { AbortedError, RunError, UsageError } from "../errors.js";
import { removeStaleTempFiles } from "../io/atomic-file.js";
import type { ErrorLog } from "../io/error-log.js";
import { removeEmptyParents } from "../io/folders.js";
import { lstatNoFollow, symbolicLinkError } from "../io/no-follow.js";
import {
  listObjects,
  movedWindow,
  newestDelivery,
  readEarlier,
  unreadEarlierObjects,
} from "../s3/journal-window.js";
import type { LogObject, LogObjectSource } from "../s3/log-objects.js";
import {
  emptyObjectJournal,
  type ObjectJournal,
  PENDING_FOLDER,
  readObjectJournal,
  writeObjectJournal,
} from "../s3/object-journal.js";
import { DaySplitter, type DayTarget } from "./day-splitter.js";
import type { LineCounts } from "./line-counts.js";
import { type DayFile, planPieces } from "./plan-pieces.js";
import type { ReduceSummary } from "./reduce-all.js";
import { type PoolContext, ReducePool } from "./reduce-pool.js";
import { ProgressTracker, type ReduceProgress } from "./reduce-progress.js";
import { UNIT_FILE, unitPathOf } from "./units.js";

/** What reducing log objects adds to the run's summary. */
export interface ObjectSummary {
  objectsFound: number;
  objectsReduced: number;
  objectsAlreadyReduced: number;
  /** Not read yet: delivered after the last settled day's window, so they hold no settled day's lines. */
  objectsWaiting: number;
  /** Units written: days reduced for the first time, and further units of days already reduced. */
  daysWritten: string[];
  lateUnits: string[];
  /** Days whose rows are held until they settle. */
  daysPending: string[];
  /** The last settled day (`YYYY-MM-DD`), or null when none is. */
  settledThrough: string | null;
}

export interface ObjectRunOptions {
  source: LogObjectSource;
  reducedFolder: string;
  workers: number;
  readBufferBytes: number;
  settleHours: number;
  now: number;
  poolContext: Omit<PoolContext, "progress" | "rawFolder" | "reducedFolder" | "summary" | "onScratchDone">;
  summary: ReduceSummary;
  errorLog: ErrorLog;
  onProgress?: (progress: ReduceProgress) => void;
  signal?: AbortSignal;
}

/** A bucket's objects are downloaded a batch at a time, of this many objects or bytes at most. */
const BATCH_OBJECTS = 4096;
const BATCH_BYTES = 256 * 1024 * 1024;
const SCRATCH_FOLDER = ".reducing_objects";
const GROUP_BYTES = 8 * 1024 * 1024;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Reduces the log objects not reduced yet, each row to the day of its own timestamp.
 *
 * A day is *settled* once the clock, or the delivery time of the newest object listed, is at least
 * `settleHours` past its end: AWS delivers almost every line within a few hours, so its lines are
 * then nearly all in. A day settled and never written becomes `YYYY/MM/DD.tsv`; rows of a day
 * already written (lines delivered later still) become a further unit `YYYY/MM/DD_0002.tsv`, which
 * bin merges like a backfill; rows of a day not settled are held in `.pending_days/` and lead its
 * file when it settles. Objects delivered after the last settled day's end plus `settleHours` hold
 * lines of unsettled days only, and wait. The run commits by replacing the journal; see
 * object-journal.ts for how a killed run is undone.
 */
export async function reduceLogObjects(options: ObjectRunOptions): Promise<ObjectSummary> {
  const { source, reducedFolder, summary } = options;
  const journal = openObjectJournal(reducedFolder);
  refuseLinkedPending(reducedFolder);
  removeUncommitted(reducedFolder, journal);
  const listing = await listObjects(source, journal, options.now, options.signal);
  for (const skipped of listing.skipped) summary.filesSkipped.push(skipped);
  refuseRepeatedKeys(listing.objects, source.description);

  const newest = newestDelivery(listing);
  const settledBefore = Math.max(newest, options.now) - options.settleHours * 3600 * 1000;
  // Days that end at or before `settledBefore` are settled.
  const settledEnd = Math.floor(settledBefore / DAY_MS) * DAY_MS;
  const isSettled = (day: string) =>
    Date.parse(`${day.replaceAll("/", "-")}T00:00:00Z`) + DAY_MS <= settledEnd;
  const readBefore = settledEnd + options.settleHours * 3600 * 1000;

  const result: ObjectSummary = {
    objectsFound: listing.objects.length,
    objectsReduced: 0,
    objectsAlreadyReduced: 0,
    objectsWaiting: 0,
    daysWritten: [],
    lateUnits: [],
    daysPending: [],
    settledThrough: settledEnd > 0 ? new Date(settledEnd - DAY_MS).toISOString().slice(0, 10) : null,
  };
  const todo: LogObject[] = [];
  const unread = unreadEarlierObjects(journal, listing);
  if (unread !== null) summary.failures.push({ file: source.description, message: unread });
  for (const object of listing.objects) {
    const known = journal.objects.get(object.key);
    if (known === undefined && readEarlier(journal, object)) result.objectsAlreadyReduced++;
    else if (known === undefined) {
      if (object.delivered < readBefore) todo.push(object);
      else result.objectsWaiting++;
    } else if (
      known.size !== object.size ||
      (known.etag !== object.etag && known.etag !== "-" && object.etag !== "-")
    )
      summary.failures.push({
        file: object.key,
        message:
          `changed after it was reduced (size ${known.size}, ETag ${known.etag}; now ${object.size}, ${object.etag}); ` +
          "log objects are never rewritten by AWS: restore it, or reduce into a new folder",
      });
    else result.objectsAlreadyReduced++;
  }

  const pendingByDay = new Map<string, string[]>();
  for (const file of journal.pending) {
    const day = file.slice(0, 10);
    pendingByDay.set(day, [...(pendingByDay.get(day) ?? []), file]);
  }
  const unitsOfDay = (day: string) => [...journal.units].filter((unit) => unit.startsWith(day)).length;
  const pendingFolder = path.join(reducedFolder, PENDING_FOLDER);
  const settling: string[] = [];
  const splitter = new DaySplitter((day): DayTarget => {
    const pending = pendingByDay.get(day) ?? [];
    if (!isSettled(day))
      return {
        finalPath: path.join(pendingFolder, pendingPathOf(day, pending.length + 1)),
        header: false,
        prefixFiles: [],
      };
    const units = unitsOfDay(day);
    if (units === 0) settling.push(day);
    return {
      finalPath: path.join(reducedFolder, unitPathOf(`${day}.tsv`, units + 1)),
      header: true,
      prefixFiles: units === 0 ? pending.map((file) => path.join(pendingFolder, file)) : [],
    };
  });

  const scratch = path.join(reducedFolder, SCRATCH_FOLDER);
  try {
    let bytesBefore = 0;
    const bytesTotal = todo.reduce((sum, o) => sum + o.size, 0);
    // A local folder's objects are read in place, but in batches too: a compressed one is
    // decompressed into the scratch folder first, and a batch bounds the room that takes.
    for (const batch of batchesOf(todo)) {
      if (options.signal?.aborted)
        throw new AbortedError(
          "reduce was interrupted; nothing of this run was kept, the next run reads its objects again",
        );
      const fetched = await source.fetch(batch, scratch, options.signal);
      try {
        await reduceBatch(batch, fetched.paths, splitter, options, (progress) =>
          options.onProgress?.({
            filesDone: result.objectsReduced + progress.filesDone,
            filesTotal: todo.length,
            bytesDone: bytesBefore + progress.bytesDone,
            bytesTotal,
          }),
        );
      } finally {
        fetched.release();
      }
      result.objectsReduced += batch.length;
      bytesBefore += batch.reduce((sum, o) => sum + o.size, 0);
    }
    // Held rows of days that settle now, though no new row came for them.
    for (const day of pendingByDay.keys()) if (isSettled(day)) splitter.touch(day);
    const written = splitter.dayNames();
    splitter.commit();

    const read = new Map(journal.objects);
    for (const object of todo) read.set(object.key, { size: object.size, etag: object.etag });
    const committed: ObjectJournal = {
      ...movedWindow(journal, read, listing, readBefore, options.now),
      units: new Set(journal.units),
      pending: journal.pending.filter((file) => !settling.includes(file.slice(0, 10))),
    };
    for (const day of written) {
      if (!isSettled(day)) {
        const pending = pendingByDay.get(day) ?? [];
        committed.pending.push(pendingPathOf(day, pending.length + 1));
        result.daysPending.push(day);
        continue;
      }
      const unit = unitPathOf(`${day}.tsv`, unitsOfDay(day) + 1);
      committed.units.add(unit);
      if (settling.includes(day)) result.daysWritten.push(unit);
      else result.lateUnits.push(unit);
    }
    writeObjectJournal(reducedFolder, committed);
    // Held rows now in their day's file; a kill before this leaves them unlisted, removed next run.
    removeUncommitted(reducedFolder, committed);
  } finally {
    splitter.abort();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}

/**
 * Each object once: a source lists each key once (see s3/listed-entries.ts), and this holds it to
 * that, since an object read twice would have its rows counted twice with nothing later to notice.
 */
function refuseRepeatedKeys(objects: readonly LogObject[], source: string): void {
  for (let i = 1; i < objects.length; i++)
    if (objects[i].key === objects[i - 1].key)
      throw new RunError(`${source} listed the log object ${objects[i].key} twice; nothing was read`, {
        code: "ERR_CONFLICTING_LISTING",
      });
}

/** Held rows of a day are `YYYY/MM/DD_0001.tsv`, `_0002.tsv`, … in the order they were read. */
function pendingPathOf(day: string, n: number): string {
  return `${day}_${String(n).padStart(4, "0")}.tsv`;
}

function* batchesOf(objects: readonly LogObject[]): Generator<LogObject[]> {
  let batch: LogObject[] = [];
  let bytes = 0;
  for (const object of objects) {
    if (batch.length > 0 && (batch.length >= BATCH_OBJECTS || bytes + object.size > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(object);
    bytes += object.size;
  }
  if (batch.length > 0) yield batch;
}

/** Reduces one batch of objects over the pool, and splits their rows into days in key order. */
async function reduceBatch(
  batch: readonly LogObject[],
  paths: readonly string[],
  splitter: DaySplitter,
  options: ObjectRunOptions,
  onProgress: (progress: ReduceProgress) => void,
): Promise<void> {
  const todo = groupObjects(batch, paths, options.workers);
  // Objects finish in any order; their rows go to the days in key order.
  const finished = new Map<number, { rows: string; counts: LineCounts }>();
  let next = 0;
  let splitError: Error | null = null;
  const summaryBefore = options.summary.filesReduced;
  const context: PoolContext = {
    ...options.poolContext,
    rawFolder: options.reducedFolder,
    reducedFolder: options.reducedFolder,
    summary: options.summary,
    progress: new ProgressTracker(todo, onProgress),
    onScratchDone: (index, rows, counts) => {
      finished.set(index, { rows, counts });
      try {
        for (let done = finished.get(next); done !== undefined; done = finished.get(next)) {
          finished.delete(next);
          if (splitError === null) splitter.addObjectRows(done.rows);
          else fs.rmSync(done.rows, { force: true });
          next++;
        }
      } catch (error) {
        splitError ??= error as Error;
      }
    },
  };
  // The pool counts objects as the files it reduced; the run's summary counts day files there.
  await new ReducePool(todo, planPieces(todo, options.workers), context).run(options.workers);
  options.summary.filesReduced = summaryBefore;
  if (splitError !== null) throw splitError;
  if (options.summary.failures.length > 0 && next < todo.length) {
    // An object that could not be reduced stops the run before its commit: its rows would be missing.
    const failure = options.summary.failures.at(-1);
    throw new RunError(
      `log object ${failure?.file} could not be reduced (${failure?.message}); nothing of this run was kept, rerun once it can be read`,
    );
  }
  for (const rest of finished.values()) fs.rmSync(rest.rows, { force: true });
}

/**
 * Consecutive objects in groups of about `GROUP_BYTES`, each reduced by one reducer into one scratch
 * file: a log object is often a few hundred KB, and a file, a reducer and a message of its own per
 * object cost a third more than the day files' reduction. Groups shrink so that each thread gets
 * several.
 */
function groupObjects(batch: readonly LogObject[], paths: readonly string[], workers: number): DayFile[] {
  const total = batch.reduce((sum, o) => sum + o.size, 0);
  const target = Math.max(1, Math.min(GROUP_BYTES, Math.ceil(total / (workers * 4))));
  const groups: DayFile[] = [];
  let group: DayFile | null = null;
  for (const [i, object] of batch.entries()) {
    if (group === null || group.size >= target) {
      group = {
        relativePath: object.key,
        input: paths[i],
        size: 0,
        output: `${SCRATCH_FOLDER}/rows-${groups.length}`,
        scratch: true,
        moreInputs: [],
      };
      groups.push(group);
    } else group.moreInputs?.push({ path: paths[i], displayName: object.key });
    group.size += object.size;
  }
  return groups;
}

/** The journal; a new one in an empty folder, refused in a folder of days reduced from day files. */
function openObjectJournal(reducedFolder: string): ObjectJournal {
  const journal = readObjectJournal(reducedFolder);
  if (journal !== null) return journal;
  const units = fs
    .readdirSync(reducedFolder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && UNIT_FILE.test(entry.name));
  if (units.length > 0)
    throw new UsageError(
      `\`reducedFolder\` ${reducedFolder} holds days reduced from day files (YYYY/MM/DD.log); ` +
        "reduce log objects into a new folder",
      { code: "ERR_REDUCED_FOLDER_OF_DAY_FILES", optionNames: ["reducedFolder"] },
    );
  const fresh = emptyObjectJournal();
  writeObjectJournal(reducedFolder, fresh);
  return fresh;
}

/**
 * Held rows are read back and added to: a link planted for `.pending_days/` or inside it would have
 * rows, addresses among them, read from or written to wherever it points. Refused, as bin and map
 * refuse links.
 */
function refuseLinkedPending(reducedFolder: string): void {
  const folder = path.join(reducedFolder, PENDING_FOLDER);
  if (lstatNoFollow(folder) === null) return;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true }))
    if (entry.isSymbolicLink()) throw symbolicLinkError(path.join(entry.parentPath, entry.name));
}

/** Removes units and held rows the journal does not list: what a killed run wrote before its commit. */
function removeUncommitted(reducedFolder: string, journal: ObjectJournal): void {
  removeStaleTempFiles(reducedFolder);
  fs.rmSync(path.join(reducedFolder, SCRATCH_FOLDER), { recursive: true, force: true });
  const pending = new Set(journal.pending);
  for (const entry of fs.readdirSync(reducedFolder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !UNIT_FILE.test(entry.name)) continue;
    const full = path.join(entry.parentPath, entry.name);
    const relative = path.relative(reducedFolder, full).split(path.sep).join("/");
    const listed = relative.startsWith(`${PENDING_FOLDER}/`)
      ? pending.has(relative.slice(PENDING_FOLDER.length + 1))
      : journal.units.has(relative);
    if (listed) continue;
    fs.rmSync(full, { force: true });
    removeEmptyParents(reducedFolder, entry.parentPath);
  }
}
