import { RunError } from "../errors.js";

/** A key as a listing or an inventory gives it, before it is known to be a log object. */
export interface ListedEntry {
  key: string;
  size: number;
  etag: string;
}

/**
 * Each key once. An S3 Inventory may list a key in two data files (inventories of two days, a data
 * file named twice in its manifest), and a listing may repeat one across pages: read twice, an
 * object's rows would be counted twice, with nothing later to notice (the journal lists it once).
 * A key listed with two sizes is refused: one of the listings is wrong, and which is not known.
 */
export function uniqueEntries(entries: readonly ListedEntry[], source: string): ListedEntry[] {
  const byKey = new Map<string, ListedEntry>();
  for (const entry of entries) {
    const known = byKey.get(entry.key);
    if (known === undefined) byKey.set(entry.key, entry);
    else if (known.size !== entry.size)
      throw new RunError(
        `${source} lists ${entry.key} twice, with sizes ${known.size} and ${entry.size}; AWS never rewrites a log object: check the listing or the inventory`,
        { code: "ERR_CONFLICTING_LISTING" },
      );
    else if (known.etag === "-") byKey.set(entry.key, entry);
  }
  return [...byKey.values()];
}
