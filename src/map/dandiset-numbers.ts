import * as fs from "node:fs";
import * as path from "node:path";
import { TOTALS_FILE } from "../formats/mapped-folder.js";
import {
  type RequesterHasher,
  readRequesterSet,
  requesterSetBytes,
  unionOfAll,
} from "../summaries/requesters.js";
import type { AddressColumns } from "./address-columns.js";
import type { ObjectKey } from "./binned-objects.js";
import {
  type AssetEntry,
  cellOf,
  type DandisetPlan,
  displayPathOf,
  storedPlanText,
} from "./dandiset-plans.js";
import {
  aggregatesToJson,
  type DandisetAggregates,
  type DandisetRecord,
  readAggregates,
} from "./map-state.js";
import { mappedObjectPath, type ObjectDelta, requestersOfBinned, rowKindsPath } from "./mapped-objects.js";
import { writeSummaries } from "./mapped-summaries.js";
import type { OutputWriter } from "./output-writer.js";
import { tallyMappedRows } from "./row-kinds.js";
import { aggregatesPath, requestersPath, storedPlanPath } from "./state-paths.js";
import { type Activity, addWeeks, emptyActivity, flatJson, totalsOf } from "./tally.js";

/**
 * A Dandiset's numbers and folder: brought up to date with the objects that changed, or made again
 * from its mapped objects when its catalog entries changed.
 */

/** What the Dandisets of a run are updated from and written to. */
export interface DandisetContext {
  mappedFolder: string;
  binnedFolder: string;
  deltas: Map<ObjectKey, ObjectDelta>;
  writer: OutputWriter;
  columns: AddressColumns;
  hasher: RequesterHasher;
  /** Filled in: the Dandisets whose numbers this run wrote, for the published summaries. */
  changed: Map<string, Activity>;
}

/** A Dandiset whose entries are as last time: the changed objects' deltas added to its numbers. */
export function updateDandiset(
  plan: DandisetPlan,
  record: DandisetRecord,
  context: DandisetContext,
): DandisetRecord | null {
  const { mappedFolder, deltas, writer } = context;
  const aggregates = readAggregates(path.join(mappedFolder, aggregatesPath(plan.identifier)));
  const requesters = [readRequesterSet(path.join(mappedFolder, requestersPath(plan.identifier)))];
  let tables = record.tables;
  for (const [object, entries] of plan.entriesOf) {
    const delta = deltas.get(object);
    if (delta === undefined) continue;
    addObject(aggregates, entries, delta);
    requesters.push(delta.requesters);
    // An object's first rows: its tables appear (later rows extend the mapped object they link to).
    if (delta.rowsBefore === 0 && delta.rowsAfter > 0) {
      for (const entry of entries) {
        writer.link(tablePath(plan.identifier, entry), path.join(mappedFolder, mappedObjectPath(object)));
        tables++;
      }
    }
  }
  return writeDandiset(plan, aggregates, tables, unionOfAll(requesters), context);
}

/** A Dandiset new to the folder or whose entries changed: tables and numbers made again. */
export function redoDandiset(plan: DandisetPlan, context: DandisetContext): DandisetRecord | null {
  const { mappedFolder, deltas, writer } = context;
  const aggregates: DandisetAggregates = { versions: new Map(), dandiset: emptyActivity() };
  const keep = new Set<string>();
  const requesters: BigUint64Array[] = [];
  let tables = 0;
  for (const [object, entries] of [...plan.entriesOf].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const full = fullActivityOf(mappedFolder, object, deltas);
    if (full === null) continue;
    addObject(aggregates, entries, full);
    // An object mapped whole in this run brought all its requesters; any other's are read again.
    const delta = deltas.get(object);
    requesters.push(
      delta !== undefined && delta.rowsBefore === 0
        ? delta.requesters
        : requestersOfBinned(context.binnedFolder, object, context.columns, context.hasher),
    );
    for (const entry of entries) {
      const table = tablePath(plan.identifier, entry);
      writer.link(table, path.join(mappedFolder, mappedObjectPath(object)));
      keep.add(table);
      tables++;
    }
  }
  const record = writeDandiset(plan, aggregates, tables, unionOfAll(requesters), context, keep);
  writer.write(storedPlanPath(plan.identifier), storedPlanText(plan));
  return record;
}

/** An object's activity over all its rows: what this run mapped of a new object, else its mapped table read. */
export function fullActivityOf(
  mappedFolder: string,
  object: ObjectKey,
  deltas: Map<ObjectKey, ObjectDelta>,
): ObjectDelta | null {
  const delta = deltas.get(object);
  if (delta !== undefined && delta.rowsBefore === 0) return delta.rowsAfter > 0 ? delta : null;
  const file = path.join(mappedFolder, mappedObjectPath(object));
  // Most assets of a Dandiset were never downloaded: asking first costs less than a failed open's error.
  if (fs.statSync(file, { throwIfNoEntry: false }) === undefined) return null;
  const buf = fs.readFileSync(file);
  const start = buf.indexOf(0x0a) + 1;
  const tally = tallyMappedRows(
    buf,
    start,
    buf.length,
    fs.readFileSync(path.join(mappedFolder, rowKindsPath(object))),
  );
  if (tally.rows === 0) return null;
  return {
    rows: tally.rows,
    bytes: BigInt(tally.bytes),
    byDay: tally.byDay,
    byRegion: tally.byRegion,
    rowsBefore: 0,
    rowsAfter: tally.rows,
    rowsRead: 0,
    requesters: new BigUint64Array(0),
  };
}

/**
 * Adds an object's (change in) activity to a Dandiset's numbers: once to the Dandiset, under the
 * path it has in the newest version, and once per asset to each version that lists it.
 */
export function addObject(aggregates: DandisetAggregates, entries: AssetEntry[], delta: ObjectDelta): void {
  const dandiset = aggregates.dandiset;
  dandiset.byDay.addAll(delta.byDay);
  dandiset.byRegion.addAll(delta.byRegion);
  const downloads = delta.byDay.totalDownloads();
  const views = delta.byDay.totalViews();
  const display = cellOf(displayPathOf(entries));
  dandiset.byAsset.add(display, delta.bytes, delta.rows, downloads, views);
  addWeeks(dandiset.byWeek, delta.byDay, display);
  for (const entry of entries) {
    let activity = aggregates.versions.get(entry.version);
    if (activity === undefined) {
      activity = emptyActivity();
      aggregates.versions.set(entry.version, activity);
    }
    activity.byDay.addAll(delta.byDay);
    activity.byRegion.addAll(delta.byRegion);
    activity.byAsset.add(cellOf(entry.path), delta.bytes, delta.rows, downloads, views);
  }
}

export function tablePath(identifier: string, entry: AssetEntry): string {
  return `${identifier}/${entry.version}/${entry.fileName}`;
}

/** Writes a Dandiset's summaries and totals from its numbers; `keep` (a redo) also clears what no longer belongs. */
export function writeDandiset(
  plan: DandisetPlan,
  aggregates: DandisetAggregates,
  tables: number,
  requesters: BigUint64Array,
  context: DandisetContext,
  keep?: Set<string>,
): DandisetRecord | null {
  const writer = context.writer;
  let versions = 0;
  const id = plan.identifier;
  for (const { version } of plan.versions) {
    const activity = aggregates.versions.get(version);
    if (activity === undefined || activity.byDay.totalRequests() === 0) continue;
    for (const file of writeSummaries(writer, `${id}/${version}`, "version", activity)) keep?.add(file);
    versions++;
  }
  const active = aggregates.dandiset.byDay.totalRequests() > 0;
  if (active) {
    for (const file of writeSummaries(writer, id, "dandiset", aggregates.dandiset)) keep?.add(file);
    const totals = totalsOf(aggregates.dandiset);
    writer.write(
      `${id}/${TOTALS_FILE}`,
      flatJson({
        dandiset_id: id,
        name: plan.name,
        bytes_sent: totals.bytes_sent,
        requests: totals.requests,
        unique_regions: totals.unique_regions,
        unique_countries: totals.unique_countries,
        first_date: totals.first_date,
        last_date: totals.last_date,
        versions,
      }),
    );
    keep?.add(`${id}/${TOTALS_FILE}`);
  }
  if (keep !== undefined) writer.removeLeftovers(id, keep);
  if (active || versions > 0 || fs.existsSync(path.join(writer.root, aggregatesPath(id))))
    writer.write(aggregatesPath(id), aggregatesToJson(aggregates));
  if (active) writer.write(requestersPath(id), requesterSetBytes(requesters));
  else if (fs.existsSync(path.join(writer.root, requestersPath(id)))) writer.remove(requestersPath(id));
  if (active) context.changed.set(id, aggregates.dandiset);
  return {
    fingerprint: plan.fingerprint,
    versions,
    tables: active ? tables : 0,
    published: active,
    requesters: active ? requesters.length : 0,
    totals: null,
  };
}
