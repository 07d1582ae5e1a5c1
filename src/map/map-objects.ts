import * as path from "node:path";
import { AbortedError } from "../errors.js";
import type { ErrorLog } from "../io/error-log.js";
import type { RequesterHasher } from "../summaries/requesters.js";
import type { AddressColumns } from "./address-columns.js";
import { binnedPathOf, type ObjectKey } from "./binned-objects.js";
import { BinnedHeaderError } from "./binned-rows.js";
import { fullActivityOf } from "./dandiset-numbers.js";
import type { MapOptions, MapSummary } from "./map-options.js";
import type { MapPlan } from "./map-plan.js";
import { mapObjectsShared } from "./map-shared.js";
import { readArchiveActivity, readAssociatedList } from "./map-state.js";
import type { MapWorkers } from "./map-workers.js";
import { type ObjectDelta, type PendingObject, updateMappedObject } from "./mapped-objects.js";
import type { OutputWriter } from "./output-writer.js";
import { ASSOCIATED_LIST, ASSOCIATED_NUMBERS, archivePath } from "./state-paths.js";
import { type Activity, addActivity, emptyActivity } from "./tally.js";
import type { MapUndoLog } from "./undo-log.js";

/** What every step of one map run works with. */
export interface MapRun {
  options: MapOptions;
  binnedFolder: string;
  mappedFolder: string;
  stateFolder: string;
  columns: AddressColumns;
  hasher: RequesterHasher;
  errorLog: ErrorLog;
  summary: MapSummary;
  undo: MapUndoLog;
  writer: OutputWriter;
  /** Objects and Dandisets done, of all the run has. */
  progress: { done: number; total: number };
  /** The worker threads of a map shared out (map-shared.ts), null on one thread. */
  pool: MapWorkers | null;
  /** The distinct addresses all threads resolved, when the map was shared out. */
  distinctAddresses: number | null;
}

/** What mapping the binned objects changed. */
export interface ObjectsMapped {
  /** Each mapped object's change in activity. */
  deltas: Map<ObjectKey, ObjectDelta>;
  /** All traffic on asset keys, as kept and as changed by this run. */
  archive: Activity;
  /** The traffic of the objects some Dandiset lists. */
  listed: Activity;
  /** The keyed hashes of the addresses of the rows read, per object. */
  newRequesters: BigUint64Array[];
  /** The objects listed after the last run, with their asset types; null when the listing did not change. */
  listedBefore: Map<string, string> | null;
}

/**
 * Step 1, the mapped objects: each binned object's table brought up to its binned file, and the
 * archive's numbers (and those of the listed objects) with it. An object listed anew, no longer
 * listed or of another asset type is taken off the listed numbers with its rows as they stand before this
 * run, and added back after it.
 */
export async function mapObjects(run: MapRun, plan: MapPlan): Promise<ObjectsMapped> {
  if (run.pool !== null && plan.decision.rebuild) return mapObjectsShared(run, plan, run.pool);
  const { stateFolder, mappedFolder, summary } = run;
  const { journal, associated, objectsOf } = plan;
  const deltas = new Map<ObjectKey, ObjectDelta>();
  const archive = journal === null ? emptyActivity() : readArchiveActivity(archivePath(stateFolder));
  const listed =
    journal === null ? emptyActivity() : readArchiveActivity(path.join(stateFolder, ASSOCIATED_NUMBERS));
  const { moved, before } = takeOffMoved(run, plan, listed);
  const newRequesters: BigUint64Array[] = [];
  for (const item of plan.pending) {
    await checkpoint(run.options.signal);
    const reuse =
      plan.decision.rebuild && !run.writer.fresh
        ? (objectsOf.get(item.object) ?? []).flatMap(({ identifier, entries }) =>
            entries.map((e) => path.join(mappedFolder, identifier, e.version, e.fileName)),
          )
        : [];
    const delta = mapPending(run, item, reuse);
    if (delta !== null) {
      deltas.set(item.object, delta);
      addActivity(archive, delta, 1, null);
      newRequesters.push(delta.requesters);
      const type = associated.get(item.object);
      if (type !== undefined && !moved.has(item.object)) addActivity(listed, delta, 1, type);
      if (!objectsOf.has(item.object)) summary.objectsNotInCatalog++;
    }
    run.options.onProgress?.({ phase: "map", done: ++run.progress.done, total: run.progress.total });
  }
  for (const object of [...moved].sort()) {
    const type = associated.get(object);
    // A rebuild maps every binned object: one it did not map has no rows.
    if (type === undefined || (plan.decision.rebuild && !deltas.has(object))) continue;
    const full = fullActivityOf(mappedFolder, object, deltas);
    if (full !== null) addActivity(listed, full, 1, type);
  }
  return { deltas, archive, listed, newRequesters, listedBefore: before };
}

/** The objects whose listing changed since the last run, their old numbers taken off `listed`. */
function takeOffMoved(
  run: MapRun,
  plan: MapPlan,
  listed: Activity,
): { moved: Set<ObjectKey>; before: Map<string, string> | null } {
  const moved = new Set<ObjectKey>();
  if (plan.journal?.associated === plan.associatedPrint) return { moved, before: null };
  const before =
    plan.journal === null
      ? new Map<string, string>()
      : readAssociatedList(path.join(run.stateFolder, ASSOCIATED_LIST));
  for (const [object, type] of before) {
    if (plan.associated.get(object) === type) continue;
    moved.add(object);
    const full = fullActivityOf(run.mappedFolder, object, new Map());
    if (full !== null) addActivity(listed, full, -1, type);
  }
  for (const [object, type] of plan.associated) if (before.get(object) !== type) moved.add(object);
  return { moved, before };
}

export async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  // Yield between objects: lets Ctrl-C and the progress display through the synchronous work.
  await new Promise((resolve) => setImmediate(resolve));
  if (signal?.aborted)
    throw new AbortedError("map was interrupted; the folder is as the last complete run left it");
}

function mapPending(run: MapRun, item: PendingObject, reuse: string[]): ObjectDelta | null {
  const { summary } = run;
  const relative = binnedPathOf(item.object);
  try {
    const delta = updateMappedObject(
      run.binnedFolder,
      run.mappedFolder,
      item,
      run.columns,
      run.undo,
      (line, reason, text) => {
        summary.malformedRows++;
        run.errorLog.record({ file: relative, line, reason, text });
      },
      run.writer.folders,
      run.hasher,
      reuse,
    );
    summary.objectsMapped++;
    summary.rows += delta.rowsRead;
    return delta;
  } catch (error) {
    if (!(error instanceof BinnedHeaderError)) throw error;
    const message = `${error.message}; bin it again`;
    summary.failures.push({ file: relative, message });
    return null;
  }
}
