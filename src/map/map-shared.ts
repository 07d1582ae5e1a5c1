import * as fs from "node:fs";
import * as path from "node:path";
import { shareThreshold } from "../io/env-number.js";
import { binnedPathOf, type ObjectKey } from "./binned-objects.js";
import type { DandisetsMapped } from "./map-dandisets.js";
import type { MapRun, ObjectsMapped } from "./map-objects.js";
import type { MapPlan } from "./map-plan.js";
import { type DandisetRecord, STATE_FOLDER } from "./map-state.js";
import type { MapWorkers } from "./map-workers.js";
import type { ObjectDelta } from "./mapped-objects.js";
import { addPackedActivity, packDelta, UnpackedDelta, unpackActivity } from "./packed.js";
import {
  type DandisetDone,
  type DandisetItem,
  mapObjectItems,
  type ObjectItem,
  type ObjectsDone,
  redoDandisetItems,
  type ThreadTools,
} from "./shared-work.js";
import { aggregatesPath, requestersPath, storedPlanPath } from "./state-paths.js";
import { type Activity, emptyActivity } from "./tally.js";

/**
 * A map on several threads, for a rebuild or a first map (the daily run, a few changed objects,
 * stays on the main thread). Objects are independent: each one's mapped table and change in
 * activity depend on its binned rows alone, so chunks of them (in key order) go to whichever thread
 * is free, the main thread among them. Then, when the mapped folder held nothing published, the
 * Dandisets are made anew the same way, each from the deltas of its objects. The main thread puts
 * the results together in the order one thread makes them and writes the rest (the archive's
 * numbers, the summaries, the journal): the output is byte for byte one thread's.
 *
 * Safe to kill like the rest of map: before handing work out, the main thread records in the undo
 * log, as made by this run, every folder the threads will write in (`.map_state/objects`, each
 * Dandiset's folder, ...), none of which exists yet; undoing removes them whole, so the threads'
 * files need no record of their own. On a failure the workers are stopped before anything is undone.
 */

/** Binned rows a rebuild needs per thread before it is shared out: a worker's start costs about 0.2 s. */
const MIN_ROWS_PER_THREAD = 150_000;
/** Objects per task: small enough that the threads finish together, large enough to cost few messages. */
const OBJECTS_PER_TASK = 32;

/** How many threads a run maps on: 1 unless it maps everything anew (`rebuild`) and has rows enough for more. */
export function mapThreads(workers: number, rebuild: boolean, binnedRows: number): number {
  if (workers <= 1 || !rebuild) return 1;
  const perThread = shareThreshold("DANDI_S3_LOG_PARSER_MAP_SHARE_ROWS", MIN_ROWS_PER_THREAD);
  return Math.max(1, Math.min(workers, Math.floor(binnedRows / perThread)));
}

function toolsOf(run: MapRun): ThreadTools {
  return {
    binnedFolder: run.binnedFolder,
    mappedFolder: run.mappedFolder,
    columns: run.columns,
    hasher: run.hasher,
    folders: run.writer.folders,
  };
}

/** Step 1 on several threads: every binned object mapped anew (see mapObjects for one thread). */
export async function mapObjectsShared(run: MapRun, plan: MapPlan, pool: MapWorkers): Promise<ObjectsMapped> {
  const { summary, mappedFolder } = run;
  const { objectsOf, associated } = plan;
  // Nothing is kept of an earlier run and the objects folder was cleared: the threads fill it.
  run.writer.claim([`${STATE_FOLDER}/objects`]);
  const items: ObjectItem[] = plan.pending.map((pending) => ({
    pending,
    // A rebuild of an older folder: a published table may already hold an object's mapped rows.
    reuse: run.writer.fresh
      ? []
      : (objectsOf.get(pending.object) ?? []).flatMap(({ identifier, entries }) =>
          entries.map((e) => path.join(mappedFolder, identifier, e.version, e.fileName)),
        ),
    type: associated.get(pending.object) ?? null,
  }));
  const tasks: ObjectItem[][] = [];
  for (let i = 0; i < items.length; i += OBJECTS_PER_TASK) tasks.push(items.slice(i, i + OBJECTS_PER_TASK));
  const done = new Array<ObjectsDone>(tasks.length);
  const tools = toolsOf(run);
  await pool.shareOut(
    tasks,
    (task) => mapObjectItems(tools, task),
    (task) => ({ type: "objects", items: task }),
    (index, result) => {
      done[index] = result;
      run.progress.done += tasks[index].length;
      run.options.onProgress?.({ phase: "map", done: run.progress.done, total: run.progress.total });
    },
    run.options.signal,
  );
  // In key order, as one thread adds them (the tallies' keys come in the same order too).
  const deltas = new Map<ObjectKey, ObjectDelta>();
  const archive = emptyActivity();
  const listed = emptyActivity();
  const newRequesters: BigUint64Array[] = [];
  for (const result of done) {
    addPackedActivity(archive, result.archive);
    addPackedActivity(listed, result.listed);
    for (const outcome of result.outcomes) {
      const file = binnedPathOf(outcome.object);
      for (const { line, reason, text } of outcome.malformed) {
        summary.malformedRows++;
        run.errorLog.record({ file, line, reason, text });
      }
      if (outcome.delta === null) {
        summary.failures.push({ file, message: outcome.failure ?? "" });
        continue;
      }
      const delta = new UnpackedDelta(outcome.delta);
      deltas.set(outcome.object, delta);
      newRequesters.push(delta.requesters);
      summary.objectsMapped++;
      summary.rows += delta.rowsRead;
      if (!objectsOf.has(outcome.object)) summary.objectsNotInCatalog++;
    }
  }
  return { deltas, archive, listed, newRequesters, listedBefore: new Map() };
}

/**
 * Step 2 on several threads, when every Dandiset is made anew in a mapped folder that held nothing
 * published (a first map, `run --rebuild`); null when that is not so, for mapDandisets to do it.
 */
export async function mapDandisetsShared(
  run: MapRun,
  plan: MapPlan,
  objects: ObjectsMapped,
  pool: MapWorkers,
): Promise<DandisetsMapped | null> {
  const plans = [...plan.plans.values()].sort((a, b) => (a.identifier < b.identifier ? -1 : 1));
  const stateFolders = [aggregatesPath, storedPlanPath, requestersPath].map((of) => path.dirname(of("x")));
  const folders = [...stateFolders, ...plans.map((p) => p.identifier)];
  const exists = (folder: string) => fs.existsSync(path.join(run.mappedFolder, folder));
  if (!run.writer.fresh || plan.journal !== null || plan.gone.length > 0 || folders.some(exists)) return null;
  run.writer.claim(folders);
  const tasks: DandisetItem[][] = plans.map((dandiset) => {
    const deltas: DandisetItem["deltas"] = [];
    for (const object of dandiset.entriesOf.keys()) {
      const delta = objects.deltas.get(object);
      if (delta !== undefined) deltas.push([object, packDelta(delta)]);
    }
    const { entriesOf: _, ...plan } = dandiset;
    return [{ plan, deltas }];
  });
  const done = new Array<DandisetDone>(tasks.length);
  const tools = toolsOf(run);
  const { writer } = run;
  await pool.shareOut(
    tasks,
    // Written through the main writer, which counts its files itself.
    (task) =>
      redoDandisetItems(tools, writer, task).map((d) => ({ ...d, written: 0, unchanged: 0, removed: 0 })),
    (task) => ({ type: "dandisets", items: task }),
    (index, result) => {
      done[index] = result[0];
      run.progress.done++;
      run.options.onProgress?.({ phase: "map", done: run.progress.done, total: run.progress.total });
    },
    run.options.signal,
  );
  const records: Record<string, DandisetRecord> = {};
  const changed = new Map<string, Activity>();
  plans.forEach((dandiset, i) => {
    const result = done[i];
    run.summary.dandisetsRedone++;
    if (result.record !== null) records[dandiset.identifier] = result.record;
    if (result.changed !== null) changed.set(dandiset.identifier, unpackActivity(result.changed));
    writer.written += result.written;
    writer.unchanged += result.unchanged;
    writer.removed += result.removed;
  });
  return { records, changed };
}

/** The distinct addresses the threads resolved, counted by their fingerprints. */
export async function distinctAddressesOf(pool: MapWorkers, here: Float64Array): Promise<number> {
  const all = new Set<number>(here);
  for (const prints of await pool.askAll<Float64Array>({ type: "addresses" }))
    for (const p of prints) all.add(p);
  return all.size;
}
