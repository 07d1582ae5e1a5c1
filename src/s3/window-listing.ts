import type { ListedEntry } from "./listed-entries.js";
import type { ListFrom } from "./log-objects.js";
import type { KeyLayout } from "./object-journal.js";

/** What the window's listing asks of a bucket. */
export interface BucketLister {
  /** Every key below `prefix` after `startAfter`. */
  keys(prefix: string, startAfter: string): Promise<ListedEntry[]>;
  /**
   * Below `prefix`, listed by `delimiter`: the keys folded up to the first delimiter after the
   * prefix (S3's common prefixes), and whether some key holds none.
   */
  folders(prefix: string, delimiter: string): Promise<{ folders: string[]; holdsKeys: boolean }>;
}

/**
 * The keys of log objects delivered from `from.time` on, listed without the older ones, or null
 * when the layout does not allow it (list whole then):
 *  - `flat` (SimplePrefix): keys right below the prefix, named by delivery time, so one listing from
 *    that time's name; unless the prefix now holds folders too (PartitionedPrefix turned on since,
 *    or a second source's, whose keys start with an account number that may sort before that
 *    name). Listed by `-`, names fold into one entry a year, so one page shows any such folder;
 *  - `dated` (PartitionedPrefix): `ACCOUNT/REGION/BUCKET/YYYY/MM/DD/name`, the name of the folder's
 *    day, so each `ACCOUNT/REGION/BUCKET/` (found by listing by folder, a request a level) is listed
 *    from that time's folder and name; unless a level holds keys, or a bucket's folder holds
 *    anything but year folders (a key there may sort before the window's). By event time (AWS's default for
 *    this format) a name is the day of the object's lines at 00:00:00, and the object comes during
 *    that day and the next, within the journal's window.
 * Keys laid out any other way make the layout `nested`, listed whole.
 */
export async function keysFromWindow(
  lister: BucketLister,
  prefix: string,
  from: ListFrom,
): Promise<ListedEntry[] | null> {
  const stamp = deliveryStamp(from.time);
  if (from.layout === "flat") {
    const years = await lister.folders(prefix, "-");
    const nested = years.folders.some((folder) => folder.indexOf("/", prefix.length) !== -1);
    return nested ? null : lister.keys(prefix, prefix + stamp);
  }
  if (from.layout !== "dated") return null;
  let level = [prefix];
  for (let depth = 0; depth < 3; depth++) {
    const below: string[] = [];
    for (const folder of level) {
      const found = await lister.folders(folder, "/");
      if (found.holdsKeys) return null;
      below.push(...found.folders);
    }
    level = below;
  }
  for (const head of level) {
    const found = await lister.folders(head, "/");
    if (found.holdsKeys || found.folders.some((folder) => !/^\d{4}\/$/.test(folder.slice(head.length))))
      return null;
  }
  const day = `${stamp.slice(0, 4)}/${stamp.slice(5, 7)}/${stamp.slice(8, 10)}/`;
  const keys: ListedEntry[] = [];
  for (const head of level) keys.push(...(await lister.keys(head, head + day + stamp)));
  return keys;
}

const DATED_KEY = /^[^/]+\/[^/]+\/[^/]+\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{4})-(\d{2})-(\d{2})-[^/]+$/;

/** The layout of one key below the prefix (see `keysFromWindow`). */
export function layoutOfKey(key: string): KeyLayout {
  if (!key.includes("/")) return "flat";
  const match = DATED_KEY.exec(key);
  return match !== null && match[1] === match[4] && match[2] === match[5] && match[3] === match[6]
    ? "dated"
    : "nested";
}

/** The layout of keys of two layouts: one only if both are, else `nested`. */
export function joinedLayout(a: KeyLayout | null, b: KeyLayout): KeyLayout {
  return a === null || a === b ? b : "nested";
}

/** The name a log object delivered at `time` starts with: `YYYY-MM-DD-HH-MM-SS`. */
function deliveryStamp(time: number): string {
  const iso = new Date(time).toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}-${iso.slice(14, 16)}-${iso.slice(17, 19)}`;
}
