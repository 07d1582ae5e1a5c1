import * as fs from "node:fs";
import * as path from "node:path";
import { RunError } from "../errors.js";
import { readRequesterSet, requesterSetBytes, unionOf } from "../summaries/requesters.js";
import { binnedPathOf, type ObjectKey } from "./binned-objects.js";
import type { MapRun, ObjectsMapped } from "./map-objects.js";
import type { MapPlan } from "./map-plan.js";
import { STATE_FOLDER } from "./map-state.js";
import { requestersOfBinned } from "./mapped-objects.js";

/**
 * The requesters of the undetermined traffic (objects no Dandiset lists), exact and incremental
 * although objects join it (an asset deleted) and leave it (an object listed after it was asked
 * for): kept as a count, per requester hash, of the undetermined objects it asked for, beside each
 * undetermined object's own set of hashes. An object that leaves takes its set off the counts; one
 * that joins adds its set, read once from its binned rows; new rows add the hashes new to their
 * object. The undetermined requesters are the hashes counted at least once. No address is kept.
 */
const COUNTS_FILE = `${STATE_FOLDER}/requesters/undetermined.bin`;

function objectSetPath(object: ObjectKey): string {
  const colon = object.indexOf(":");
  const id = object.slice(colon + 1);
  return `${STATE_FOLDER}/requesters/objects/${object.slice(0, colon)}/${id.slice(0, 2)}/${id}.bin`;
}

/**
 * Brings the counts up to this run: `before` lists the objects listed by some Dandiset after the
 * last run (null when nothing changed in the catalog's objects). Returns the undetermined requesters.
 */
export function updateUndeterminedRequesters(
  run: MapRun,
  plan: MapPlan,
  objects: ObjectsMapped,
  before: ReadonlyMap<string, string> | null,
): number {
  const { mappedFolder, writer } = run;
  const counts =
    plan.journal === null ? new Map<bigint, number>() : readCounts(path.join(mappedFolder, COUNTS_FILE));
  let changed = plan.journal === null;
  const joined = new Set<ObjectKey>();
  if (before !== null && plan.journal !== null) {
    for (const object of plan.associated.keys()) {
      if (before.has(object)) continue;
      // Listed now, undetermined before: its requesters leave the undetermined ones.
      const file = objectSetPath(object);
      if (fs.statSync(path.join(mappedFolder, file), { throwIfNoEntry: false }) === undefined) continue;
      changed = addCounts(counts, readRequesterSet(path.join(mappedFolder, file)), -1) || changed;
      writer.remove(file);
    }
    for (const object of before.keys()) if (!plan.associated.has(object)) joined.add(object);
  }
  for (const object of [...joined].sort()) {
    const delta = objects.deltas.get(object);
    const wholeRun = delta !== undefined && delta.rowsBefore === 0;
    if (!wholeRun && !fs.existsSync(path.join(run.binnedFolder, binnedPathOf(object)))) continue;
    const set = wholeRun
      ? delta.requesters
      : requestersOfBinned(run.binnedFolder, object, run.columns, run.hasher);
    changed = addCounts(counts, set, 1) || changed;
    writer.write(objectSetPath(object), requesterSetBytes(set));
  }
  for (const [object, delta] of [...objects.deltas].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (plan.associated.has(object) || joined.has(object) || delta.requesters.length === 0) continue;
    const file = objectSetPath(object);
    const known =
      plan.journal === null || delta.rowsBefore === 0
        ? new BigUint64Array(0)
        : readRequesterSet(path.join(mappedFolder, file));
    const fresh = difference(delta.requesters, known);
    if (fresh.length === 0) continue;
    changed = addCounts(counts, fresh, 1) || changed;
    writer.write(file, requesterSetBytes(unionOf(known, fresh)));
  }
  if (changed) writer.write(COUNTS_FILE, countsBytes(counts));
  return counts.size;
}

/** Adds (or takes off) one to the count of each hash; false when there was none. */
function addCounts(counts: Map<bigint, number>, set: BigUint64Array, sign: 1 | -1): boolean {
  for (const hash of set) {
    const count = (counts.get(hash) ?? 0) + sign;
    if (count < 0)
      throw new RunError(
        `${COUNTS_FILE} does not match the requesters of the undetermined objects; map again from scratch (the rebuild option, --rebuild)`,
      );
    if (count === 0) counts.delete(hash);
    else counts.set(hash, count);
  }
  return set.length > 0;
}

/** The hashes of sorted `a` not in sorted `b`. */
function difference(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  if (b.length === 0) return a;
  const out = new BigUint64Array(a.length);
  let n = 0;
  let j = 0;
  for (const hash of a) {
    while (j < b.length && b[j] < hash) j++;
    if (j === b.length || b[j] !== hash) out[n++] = hash;
  }
  return out.subarray(0, n);
}

/** The counts as kept: per hash in order, the hash (8 bytes) and its count (4 bytes), little-endian. */
function countsBytes(counts: Map<bigint, number>): Buffer {
  const hashes = [...counts.keys()].sort((a, b) => (a < b ? -1 : 1));
  const buf = Buffer.allocUnsafe(hashes.length * 12);
  hashes.forEach((hash, i) => {
    buf.writeBigUInt64LE(hash, i * 12);
    buf.writeUInt32LE(counts.get(hash)!, i * 12 + 8);
  });
  return buf;
}

function readCounts(file: string): Map<bigint, number> {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw error;
  }
  if (buf.length % 12 !== 0)
    throw new RunError(`${file} is cut short; map again from scratch (the rebuild option, --rebuild)`);
  const counts = new Map<bigint, number>();
  for (let at = 0; at < buf.length; at += 12) counts.set(buf.readBigUInt64LE(at), buf.readUInt32LE(at + 8));
  return counts;
}
