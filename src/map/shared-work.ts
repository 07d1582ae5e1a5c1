import type { RequesterHasher } from "../summaries/requesters.js";
import type { AddressColumns } from "./address-columns.js";
import type { ObjectKey } from "./binned-objects.js";
import { BinnedHeaderError } from "./binned-rows.js";
import { type DandisetContext, redoDandiset } from "./dandiset-numbers.js";
import { type DandisetPlan, entriesOfVersions } from "./dandiset-plans.js";
import type { DandisetRecord } from "./map-state.js";
import { type ObjectDelta, type PendingObject, updateMappedObject } from "./mapped-objects.js";
import type { OutputWriter } from "./output-writer.js";
import { type PackedActivity, type PackedDelta, packActivity, packDelta, UnpackedDelta } from "./packed.js";
import { type Activity, addActivity, emptyActivity } from "./tally.js";
import { type FolderMaker, NO_UNDO } from "./undo-log.js";

/**
 * The work of a shared map (map-shared.ts), as each thread does it, the main thread and the
 * workers alike: a chunk of objects mapped anew, or a chunk of Dandisets made anew. Every file it
 * writes lies in a folder the main thread claimed for the run, so it records nothing; what the main
 * thread needs comes back packed, to be put together in the order one thread would have made it.
 */

/** What a thread maps and writes with. */
export interface ThreadTools {
  binnedFolder: string;
  mappedFolder: string;
  columns: AddressColumns;
  hasher: RequesterHasher;
  folders: FolderMaker;
}

/** One object to map anew: from its first row, published tables it may reuse, its asset type if listed. */
export interface ObjectItem {
  pending: PendingObject;
  reuse: string[];
  type: string | null;
}

export interface MalformedRow {
  line: number;
  reason: string;
  text: string;
}

export interface ObjectOutcome {
  object: ObjectKey;
  /** Null when the object could not be mapped (`failure` says why). */
  delta: PackedDelta | null;
  failure: string | null;
  malformed: MalformedRow[];
}

export interface ObjectsDone {
  outcomes: ObjectOutcome[];
  /** The chunk's traffic, and that of its objects some Dandiset lists (bytes by week by type). */
  archive: PackedActivity;
  listed: PackedActivity;
}

/** Maps a chunk of objects anew (a rebuild: none has a mapped table yet). */
export function mapObjectItems(tools: ThreadTools, items: readonly ObjectItem[]): ObjectsDone {
  const archive = emptyActivity();
  const listed = emptyActivity();
  const outcomes: ObjectOutcome[] = [];
  for (const { pending, reuse, type } of items) {
    const malformed: MalformedRow[] = [];
    let delta: ObjectDelta;
    try {
      delta = updateMappedObject(
        tools.binnedFolder,
        tools.mappedFolder,
        pending,
        tools.columns,
        NO_UNDO,
        (line, reason, text) => malformed.push({ line, reason, text }),
        tools.folders,
        tools.hasher,
        reuse,
      );
    } catch (error) {
      if (!(error instanceof BinnedHeaderError)) throw error;
      outcomes.push({
        object: pending.object,
        delta: null,
        failure: `${error.message}; bin it again`,
        malformed,
      });
      continue;
    }
    // As one thread adds them: every object to the archive, the listed ones with rows to `listed`.
    addActivity(archive, delta, 1, null);
    if (type !== null && delta.rowsAfter > 0) addActivity(listed, delta, 1, type);
    outcomes.push({ object: pending.object, delta: packDelta(delta), failure: null, malformed });
  }
  return { outcomes, archive: packActivity(archive), listed: packActivity(listed) };
}

/**
 * A Dandiset to make anew, with the deltas of its objects that this run mapped. Its plan goes
 * without `entriesOf`, which is made again from its versions on the other side (a message copies a
 * Map entry by entry).
 */
export interface DandisetItem {
  plan: Omit<DandisetPlan, "entriesOf">;
  deltas: [ObjectKey, PackedDelta][];
}

export interface DandisetDone {
  record: DandisetRecord | null;
  /** Its numbers, when it has requests (for the published summaries). */
  changed: PackedActivity | null;
  written: number;
  unchanged: number;
  removed: number;
}

/** Makes a chunk of Dandisets anew, writing through `writer` (fresh: the mapped folder held nothing published). */
export function redoDandisetItems(
  tools: ThreadTools,
  writer: OutputWriter,
  items: readonly DandisetItem[],
): DandisetDone[] {
  return items.map(({ plan, deltas }) => {
    const before = { written: writer.written, unchanged: writer.unchanged, removed: writer.removed };
    const context: DandisetContext = {
      mappedFolder: tools.mappedFolder,
      binnedFolder: tools.binnedFolder,
      deltas: new Map(deltas.map(([object, packed]) => [object, new UnpackedDelta(packed)])),
      writer,
      columns: tools.columns,
      hasher: tools.hasher,
      changed: new Map<string, Activity>(),
    };
    const record = redoDandiset({ ...plan, entriesOf: entriesOfVersions(plan.versions) }, context);
    const changed = context.changed.get(plan.identifier);
    return {
      record,
      changed: changed === undefined ? null : packActivity(changed),
      written: writer.written - before.written,
      unchanged: writer.unchanged - before.unchanged,
      removed: writer.removed - before.removed,
    };
  });
}

/**
 * A 53-bit fingerprint of each address, so that the distinct addresses of all threads can be
 * counted without the addresses leaving the thread that resolved them (two of ten million share
 * one with odds of about 1 in 200: the count would be one short).
 */
export function addressFingerprints(addresses: Iterable<string>): Float64Array {
  const out: number[] = [];
  for (const address of addresses) {
    let a = 0x811c9dc5;
    let b = 0x1b873593;
    for (let i = 0; i < address.length; i++) {
      const c = address.charCodeAt(i);
      a = Math.imul(a ^ c, 16777619);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    out.push((a >>> 0) * 2097152 + ((b >>> 0) & 0x1fffff));
  }
  return Float64Array.from(out);
}
