import type { KeyLayout } from "./object-journal.js";

/** A server access log object as AWS delivered it, wherever it is kept. */
export interface LogObject {
  /** Its key below the source's prefix (a path below a local folder), `/`-separated. */
  key: string;
  size: number;
  /** Its ETag (quotes removed), or `-` for a local file. */
  etag: string;
  /** The delivery time its name gives, in ms since the epoch. */
  delivered: number;
}

/** Objects delivered before `time` may be left out of a listing, as the keys' layout allows (see window-listing.ts). */
export interface ListFrom {
  time: number;
  layout: KeyLayout | null;
}

export interface ObjectListing {
  objects: LogObject[];
  skipped: { file: string; reason: string }[];
  /** The objects delivered before this time were not listed; null when the listing is whole. */
  leftOutBefore: number | null;
}

/** Where log objects are read from: a local folder, or an S3 bucket and prefix. */
export interface LogObjectSource {
  /** What to call the source in messages. */
  readonly description: string;
  /**
   * Every log object, each key once, in key order, and the keys that are not log objects (with why).
   * With `from`, the source may leave out the objects delivered before that time, when it can do so
   * without reading them (a bucket whose keys sort by delivery time); `leftOutBefore` says it did.
   */
  list(signal?: AbortSignal, from?: ListFrom): Promise<ObjectListing>;
  /**
   * The objects as local files of plain lines, in the order given: a local folder gives its own
   * paths; a bucket downloads them into `scratchFolder`; either decompresses a gzip-compressed
   * object there (and `release` removes what it made).
   */
  fetch(
    objects: readonly LogObject[],
    scratchFolder: string,
    signal?: AbortSignal,
  ): Promise<{ paths: string[]; release: () => void }>;
}
