import {
  checkBoolean,
  checkFunction,
  checkOptionsObject,
  checkPath,
  checkSignal,
  checkWholeNumber,
  invalidOption,
} from "../check-options.js";
import { checkApiClientOptions, type DandiApiClientOptions } from "../dandi/api-client.js";
import type { Catalog, ObjectType } from "../dandi/catalog.js";
import { checkSelection, type DandisetSelection } from "../dandi/selection.js";
import { checkIpKey, type IpKey } from "../privacy/ip-key.js";

/** The map step's options, progress and result, and the check of its options before anything is read. */

export interface MapOptions extends DandisetSelection {
  binnedFolder: string;
  mappedFolder: string;
  /** A snapshot file (see `writeCatalog`) or a catalog in memory; when absent the API is read. */
  catalog?: string | Catalog;
  /** How to reach the API when no catalog is given. */
  api?: DandiApiClientOptions;
  /** Map only blobs or only Zarrs. */
  objectType?: ObjectType;
  /** The providers' range files, for `AWS/us-east-2`-style region names. */
  ipRangesFolder?: string;
  onProgress?: (progress: MapProgress) => void;
  /** Dandisets skipped, files that could not be read: things a person should hear about during the run. */
  onWarning?: (message: string) => void;
  /** Aborting stops between objects and undoes the run's changes. Rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Forget what earlier runs kept and map everything again (after the location data changed, say). */
  rebuild?: boolean;
  /**
   * Threads mapping a rebuild or a first map: the main thread and `workers - 1` worker threads,
   * sharing out the objects, then the Dandisets (1 by default). A daily run maps on the main thread
   * whatever the number. The output is the same whatever the number.
   */
  workers?: number;
  /**
   * Where to publish the access summaries (the layout of DANDI's access-summaries `content/`
   * folder: `summaries/<id>/by_{day,asset,region}.tsv`, `totals.json`, …); none when absent.
   */
  summariesFolder?: string;
  /**
   * A Dandiset's (or the archive's) `by_region.tsv` is published once it names more than this many
   * resolved regions, and replaced only when more than this many change (default 5; 0 publishes
   * every change). See summaries/region-disclosure.ts.
   */
  regionDisclosureThreshold?: number;
  /**
   * Publish Dandisets that are not open to all (embargoed, or being unembargoed) like the others.
   * By default they get no folder, in the mapped tables or the summaries: their assets' paths
   * would show. Their traffic still counts in the archive's figures.
   */
  publishEmbargoed?: boolean;
  /** The key of a binned folder of encrypted addresses (see privacy/ip-token.ts); unused for one in clear. */
  ipKey?: IpKey | null;
  /** Error-log lines as read rather than with addresses masked (for debugging). */
  keepRawLines?: boolean;
}

export interface MapProgress {
  /** Reading the catalog from the API (counted in Dandisets), then mapping (counted in objects). */
  phase: "catalog" | "map";
  done: number;
  total: number;
}

export interface MapSummary {
  /** Selected Dandisets found in the catalog. */
  dandisetsSelected: number;
  /** With at least one download: these have a folder. */
  dandisetsMapped: number;
  /** Answered 401/403 from the API; not mapped. */
  dandisetsEmbargoed: string[];
  /** Listed by the API, then gone (404). */
  dandisetsMissing: string[];
  versionsMapped: number;
  /** Asset tables produced (one per accessed asset and version). */
  assetTables: number;
  /** Distinct binned objects read. */
  objectsMapped: number;
  /** Binned objects no selected asset points to (only meaningful when every Dandiset is selected). */
  objectsNotInCatalog: number;
  /** Rows of the binned objects read (requests), each object once. */
  rows: number;
  bytesSent: bigint;
  malformedRows: number;
  /** Distinct IP addresses turned into regions. */
  distinctAddresses: number;
  /** Distinct requesters (addresses) over the archive, exact. */
  requesters: number;
  /** The published summaries folder, when written; and its files written anew, left as they were, removed. */
  summariesFolder: string | null;
  summaryFilesWritten: number;
  summaryFilesUnchanged: number;
  summaryFilesRemoved: number;
  filesWritten: number;
  filesUnchanged: number;
  filesRemoved: number;
  /** Whether every binned object was mapped anew (first run, --rebuild, a binned folder made anew). */
  rebuilt: boolean;
  /** Why, when rebuilt. */
  rebuildReason: string | null;
  /** Dandisets whose tables were made again from their catalog entries (new or changed in the catalog). */
  dandisetsRedone: number;
  /** Dandisets whose folder was removed: gone from the catalog, or embargoed. */
  dandisetsRemoved: string[];
  failures: { file: string; message: string }[];
  errorLogPath: string | null;
  /** Threads the run mapped on (1 but for a rebuild or first map shared out, see `workers`). */
  threads: number;
  apiRequests: number;
  apiRetries: number;
  seconds: number;
}

export function validateMapOptions(options: MapOptions): void {
  checkOptionsObject(options, "mapBinnedS3LogsToDandisets");
  checkPath(options.binnedFolder, "binnedFolder", true);
  checkPath(options.mappedFolder, "mappedFolder", true);
  checkSelection(options);
  // A catalog in memory is checked where it is read, before any mapping.
  if (typeof options.catalog !== "object" || options.catalog === null)
    checkPath(options.catalog, "catalog", false);
  checkApiClientOptions(options.api, "api.");
  if (options.objectType !== undefined && options.objectType !== "blobs" && options.objectType !== "zarr") {
    throw invalidOption("objectType", `must be blobs or zarr, not "${options.objectType}"`);
  }
  checkPath(options.ipRangesFolder, "ipRangesFolder", false);
  checkBoolean(options.rebuild, "rebuild");
  checkWholeNumber(options.workers, "workers", 1);
  checkBoolean(options.publishEmbargoed, "publishEmbargoed");
  checkPath(options.summariesFolder, "summariesFolder", false);
  for (const retired of ["privacyThreshold", "privacyRounding"])
    if ((options as unknown as Record<string, unknown>)[retired] !== undefined)
      throw invalidOption(
        retired,
        "is gone: DANDI publishes exact counts now, and hides a Dandiset's regions until more than " +
          "regionDisclosureThreshold (default 5) of them can be shown; leave it out",
        "ERR_RETIRED_OPTION",
      );
  checkWholeNumber(options.regionDisclosureThreshold, "regionDisclosureThreshold", 0);
  checkIpKey(options.ipKey);
  checkBoolean(options.keepRawLines, "keepRawLines");
  checkFunction(options.onProgress, "onProgress");
  checkFunction(options.onWarning, "onWarning");
  checkSignal(options.signal);
}

export function emptyMapSummary(): MapSummary {
  return {
    dandisetsSelected: 0,
    dandisetsMapped: 0,
    dandisetsEmbargoed: [],
    dandisetsMissing: [],
    versionsMapped: 0,
    assetTables: 0,
    objectsMapped: 0,
    objectsNotInCatalog: 0,
    rows: 0,
    bytesSent: 0n,
    malformedRows: 0,
    distinctAddresses: 0,
    requesters: 0,
    summariesFolder: null,
    summaryFilesWritten: 0,
    summaryFilesUnchanged: 0,
    summaryFilesRemoved: 0,
    filesWritten: 0,
    filesUnchanged: 0,
    filesRemoved: 0,
    rebuilt: false,
    rebuildReason: null,
    dandisetsRedone: 0,
    dandisetsRemoved: [],
    failures: [],
    errorLogPath: null,
    threads: 1,
    apiRequests: 0,
    apiRetries: 0,
    seconds: 0,
  };
}
