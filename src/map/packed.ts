import { RunError } from "../errors.js";
import type { ObjectDelta } from "./mapped-objects.js";
import { type Activity, Tally } from "./tally.js";

/**
 * Map's numbers as they cross between threads: a Tally's keys in their order, joined in one string,
 * with its numbers in typed arrays, which a message copies in one piece where a Map of bigints (or
 * an array of strings) is copied entry by entry. Keys keep their order both ways, so a tally
 * rebuilt on the other side iterates as the original did.
 */
export interface PackedTally {
  /** The keys, each followed by a NUL (which no date, region, path or week key holds). */
  keys: string;
  bytes: BigInt64Array;
  /** Requests, downloads and views of each key, three numbers a key. */
  counts: Float64Array;
}

const MAX_BYTES = 2n ** 63n - 1n;

export function packTally(tally: Tally): PackedTally {
  const n = tally.size;
  let keys = "";
  const bytes = new BigInt64Array(n);
  const counts = new Float64Array(n * 3);
  let i = 0;
  tally.forEach((key, value, requests, downloads, views) => {
    // 9.2 EB: far above any archive's bytes, but a wrapped number would be silently wrong.
    if (value > MAX_BYTES || value < -MAX_BYTES)
      throw new RunError(`${value} bytes under ${key} is too many to pass between threads`);
    if (key.includes("\0"))
      throw new RunError(`a key holding a NUL cannot pass between threads: ${JSON.stringify(key)}`);
    keys += `${key}\0`;
    bytes[i] = value;
    counts[i * 3] = requests;
    counts[i * 3 + 1] = downloads;
    counts[i * 3 + 2] = views;
    i++;
  });
  return { keys, bytes, counts };
}

/** Adds a packed tally to `into` (a new one by default), key by key in its order. */
export function unpackTally(packed: PackedTally, into = new Tally()): Tally {
  const { keys, bytes, counts } = packed;
  let at = 0;
  for (let i = 0; i < bytes.length; i++) {
    const end = keys.indexOf("\0", at);
    into.add(keys.slice(at, end), bytes[i], counts[i * 3], counts[i * 3 + 1], counts[i * 3 + 2]);
    at = end + 1;
  }
  return into;
}

export interface PackedActivity {
  byDay: PackedTally;
  byRegion: PackedTally;
  byAsset: PackedTally;
  byWeek: PackedTally;
}

export function packActivity(activity: Activity): PackedActivity {
  return {
    byDay: packTally(activity.byDay),
    byRegion: packTally(activity.byRegion),
    byAsset: packTally(activity.byAsset),
    byWeek: packTally(activity.byWeek),
  };
}

/** Adds a packed activity to `into`. */
export function addPackedActivity(into: Activity, packed: PackedActivity): void {
  unpackTally(packed.byDay, into.byDay);
  unpackTally(packed.byRegion, into.byRegion);
  unpackTally(packed.byAsset, into.byAsset);
  unpackTally(packed.byWeek, into.byWeek);
}

export function unpackActivity(packed: PackedActivity): Activity {
  return {
    byDay: unpackTally(packed.byDay),
    byRegion: unpackTally(packed.byRegion),
    byAsset: unpackTally(packed.byAsset),
    byWeek: unpackTally(packed.byWeek),
  };
}

/** An object's change in activity, packed (see `ObjectDelta`). */
export interface PackedDelta {
  rows: number;
  bytes: bigint;
  byDay: PackedTally;
  byRegion: PackedTally;
  rowsBefore: number;
  rowsAfter: number;
  rowsRead: number;
  requesters: BigUint64Array;
}

export function packDelta(delta: ObjectDelta): PackedDelta {
  if (delta instanceof UnpackedDelta) return delta.packed;
  return {
    rows: delta.rows,
    bytes: delta.bytes,
    byDay: packTally(delta.byDay),
    byRegion: packTally(delta.byRegion),
    rowsBefore: delta.rowsBefore,
    rowsAfter: delta.rowsAfter,
    rowsRead: delta.rowsRead,
    requesters: delta.requesters,
  };
}

/**
 * A delta that came packed from another thread, its tallies rebuilt when first asked for: the main
 * thread of a shared map keeps every object's delta, and most of them only go on, packed, to the
 * thread that maps their Dandisets.
 */
export class UnpackedDelta implements ObjectDelta {
  readonly rows: number;
  readonly bytes: bigint;
  readonly rowsBefore: number;
  readonly rowsAfter: number;
  readonly rowsRead: number;
  readonly requesters: BigUint64Array;
  private day: Tally | null = null;
  private region: Tally | null = null;

  constructor(readonly packed: PackedDelta) {
    this.rows = packed.rows;
    this.bytes = packed.bytes;
    this.rowsBefore = packed.rowsBefore;
    this.rowsAfter = packed.rowsAfter;
    this.rowsRead = packed.rowsRead;
    this.requesters = packed.requesters;
  }

  get byDay(): Tally {
    this.day ??= unpackTally(this.packed.byDay);
    return this.day;
  }

  get byRegion(): Tally {
    this.region ??= unpackTally(this.packed.byRegion);
    return this.region;
  }
}
