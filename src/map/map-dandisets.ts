import * as fs from "node:fs";
import * as path from "node:path";
import { type DandisetContext, redoDandiset, updateDandiset } from "./dandiset-numbers.js";
import { byIdentifier } from "./dandiset-plans.js";
import { checkpoint, type MapRun, type ObjectsMapped } from "./map-objects.js";
import type { MapPlan } from "./map-plan.js";
import { mapDandisetsShared } from "./map-shared.js";
import type { DandisetRecord } from "./map-state.js";
import { aggregatesPath, requestersPath, storedPlanPath } from "./state-paths.js";
import type { Activity } from "./tally.js";

/** What step 2 leaves: every Dandiset's record, and the numbers of those it wrote. */
export interface DandisetsMapped {
  records: Record<string, DandisetRecord>;
  /** The Dandisets whose numbers this run wrote, for the published summaries. */
  changed: Map<string, Activity>;
}

/**
 * Step 2, the Dandisets: those touched by a changed object are brought up to date, those whose
 * catalog entries changed are made again, and those the catalog no longer lists are removed.
 */
export async function mapDandisets(
  run: MapRun,
  plan: MapPlan,
  objects: ObjectsMapped,
): Promise<DandisetsMapped> {
  const shared = run.pool === null ? null : await mapDandisetsShared(run, plan, objects, run.pool);
  if (shared !== null) return shared;
  const context: DandisetContext = {
    mappedFolder: run.mappedFolder,
    binnedFolder: run.binnedFolder,
    deltas: objects.deltas,
    writer: run.writer,
    columns: run.columns,
    hasher: run.hasher,
    changed: new Map(),
  };
  const records: Record<string, DandisetRecord> = {};
  const touched = new Set<string>();
  for (const object of objects.deltas.keys())
    for (const { identifier } of plan.objectsOf.get(object) ?? []) touched.add(identifier);
  for (const dandiset of [...plan.plans.values()].sort(byIdentifier)) {
    await checkpoint(run.options.signal);
    const record = plan.journal?.dandisets[dandiset.identifier];
    const redo = record === undefined || record.fingerprint !== dandiset.fingerprint;
    if (!redo && !touched.has(dandiset.identifier)) {
      records[dandiset.identifier] = record;
    } else {
      const next = redo ? redoDandiset(dandiset, context) : updateDandiset(dandiset, record, context);
      if (redo) run.summary.dandisetsRedone++;
      if (next !== null) records[dandiset.identifier] = next;
    }
    run.options.onProgress?.({ phase: "map", done: ++run.progress.done, total: run.progress.total });
  }
  for (const identifier of plan.gone.sort()) removeDandiset(run, identifier);
  return { records, changed: context.changed };
}

function removeDandiset(run: MapRun, identifier: string): void {
  run.writer.removeLeftovers(identifier, new Set());
  for (const file of [aggregatesPath(identifier), storedPlanPath(identifier), requestersPath(identifier)])
    if (fs.existsSync(path.join(run.mappedFolder, file))) run.writer.remove(file);
  run.summary.dandisetsRemoved.push(identifier);
  run.options.onWarning?.(
    `${identifier} is no longer in the catalog (deleted, or embargoed); its folder was removed`,
  );
}
