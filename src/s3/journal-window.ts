import type { LogObject, LogObjectSource, ObjectListing } from "./log-objects.js";
import type { KeyLayout, ObjectJournal } from "./object-journal.js";
import { deliveryTimeOf } from "./object-names.js";
import { joinedLayout, layoutOfKey } from "./window-listing.js";

/**
 * How far behind the newest object a run has seen its journal stops listing objects one by one.
 * A logging bucket gains thousands of objects a day; a journal of every object, and a listing of
 * every key (a thousand a request), made each daily run cost more with every day of history. An
 * object is named by its delivery time and appears then; two days is far more than the minutes
 * that takes, so nothing named before the window can still be on its way.
 */
export const JOURNAL_WINDOW_MS = 2 * 24 * 3600 * 1000;

/**
 * The listing a run works from: from the journal's window when the source can start there, but
 * whole when that shows nothing delivered in the 36 hours before `now`: a logging bucket of an archive
 * in use gets objects every hour, so their keys may now sort where that listing does not look (a
 * layout changed). A quiet day costs a whole listing; nothing is missed.
 */
export async function listObjects(
  source: LogObjectSource,
  journal: ObjectJournal,
  now: number,
  signal?: AbortSignal,
): Promise<ObjectListing> {
  if (journal.readBefore === null) return source.list(signal);
  const listing = await source.list(signal, { time: journal.readBefore, layout: journal.layout });
  if (listing.leftOutBefore === null) return listing;
  return newestDelivery(listing) >= now - QUIET_MS ? listing : source.list(signal);
}

/** The delivery time of the newest object listed, 0 for none. */
export function newestDelivery(listing: ObjectListing): number {
  let newest = 0;
  for (const object of listing.objects) if (object.delivered > newest) newest = object.delivered;
  return newest;
}

/**
 * How long a logging bucket may go without a new object before a run lists it whole: a day and a
 * half, since PartitionedPrefix by event time names a day's objects by its midnight.
 */
const QUIET_MS = 36 * 3600 * 1000;

/** Whether an object the journal does not name was read by an earlier run: delivered before its window. */
export function readEarlier(journal: ObjectJournal, object: LogObject): boolean {
  return journal.readBefore !== null && object.delivered < journal.readBefore;
}

/**
 * A listing that shows more objects before the journal's window than runs had read when they moved
 * it holds objects added since (a copy of older logs), which no run will read: said, never skipped
 * in silence. Fewer is fine (a lifecycle rule deletes old logs).
 */
export function unreadEarlierObjects(journal: ObjectJournal, listing: ObjectListing): string | null {
  if (journal.readBefore === null || listing.leftOutBefore !== null) return null;
  const before = journal.readBefore;
  const earlier = listing.objects.filter((object) => object.delivered < before).length;
  if (earlier <= journal.readBeforeCount) return null;
  return (
    `${earlier - journal.readBeforeCount} more log objects delivered before ${new Date(before).toISOString()} are ` +
    `listed than earlier runs read (${journal.readBeforeCount}): added since, they were not read; ` +
    "reduce the source into a new folder to read them"
  );
}

/**
 * The journal's objects and window after a run: the window moves up to `JOURNAL_WINDOW_MS` before
 * the newest object listed (never past what the run read, never back), and the objects read before
 * it leave the list. `objects` holds every object read so far that the journal still lists. Nor
 * does it pass the clock: an object named in the future by mistake would move it past every log
 * still to come, and a listing that starts there would never show them.
 */
export function movedWindow(
  journal: ObjectJournal,
  objects: Map<string, { size: number; etag: string }>,
  listing: ObjectListing,
  readBefore: number,
  now: number,
): Pick<ObjectJournal, "objects" | "readBefore" | "layout" | "readBeforeCount"> {
  // A whole listing shows every key: the layout is theirs (one odd key or a format since changed
  // does not keep every later run on whole listings); a partial one adds to what was known.
  const layout = layoutOf(listing.leftOutBefore === null ? null : journal.layout, objects, listing);
  const newest = newestDelivery(listing);
  if (newest === 0)
    return { objects, readBefore: journal.readBefore, layout, readBeforeCount: journal.readBeforeCount };
  const moved = Math.max(journal.readBefore ?? 0, Math.min(readBefore, newest, now) - JOURNAL_WINDOW_MS);
  const kept = new Map<string, { size: number; etag: string }>();
  let leaving = 0;
  for (const [key, object] of objects) {
    const delivered = deliveryTimeOf(key);
    if (delivered !== null && delivered < moved) leaving++;
    else kept.set(key, object);
  }
  // What lies before the window: the objects before it already, and those leaving the list now.
  // A whole listing may show fewer (a lifecycle rule deleted old logs), never more: objects added
  // there were not read, and taking them in the count would say so once, then never again.
  const expected = journal.readBeforeCount + leaving;
  const readBeforeCount =
    listing.leftOutBefore === null
      ? Math.min(expected, listing.objects.filter((object) => object.delivered < moved).length)
      : expected;
  return { objects: kept, readBefore: moved, layout, readBeforeCount };
}

/** The layout of the keys read and listed, joined to `known` (see window-listing.ts). */
function layoutOf(
  known: KeyLayout | null,
  read: Map<string, unknown>,
  listing: ObjectListing,
): KeyLayout | null {
  let layout: KeyLayout | null = known;
  for (const key of read.keys()) {
    if (layout === "nested") return layout;
    layout = joinedLayout(layout, layoutOfKey(key));
  }
  for (const object of listing.objects) {
    if (layout === "nested") return layout;
    layout = joinedLayout(layout, layoutOfKey(object.key));
  }
  return layout;
}
