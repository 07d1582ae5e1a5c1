import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkFunction,
  checkOptionsObject,
  checkPath,
  checkSignal,
  invalidOption,
} from "../check-options.js";
import { checkApiClientOptions, type DandiApiClientOptions } from "../dandi/api-client.js";
import {
  type Catalog,
  type CatalogDandiset,
  loadCatalog,
  type ObjectType,
  objectOf,
  toCatalog,
} from "../dandi/catalog.js";
import { fetchCatalog } from "../dandi/fetch-catalog.js";
import { checkSelection, type DandisetSelection, selectDandisets } from "../dandi/selection.js";
import { AbortedError } from "../errors.js";
import { RegionResolver } from "../geo/region-resolver.js";
import { removeStaleTempFiles } from "../io/atomic-file.js";
import { ErrorLog, errorTextOf } from "../io/error-log.js";
import { prepareOutputFolder, requireFolder } from "../io/folders.js";
import { assetFileNames } from "./asset-file-names.js";
import { binnedPathOf, listBinnedObjects, type ObjectKey, objectKeyOf } from "./binned-objects.js";
import { BinnedHeaderError, mapBinnedTable } from "./map-binned-table.js";
import { OutputWriter } from "./output-writer.js";
import { type Activity, emptyActivity, flatJson, summaryTable, type Tally, totalsOf } from "./tally.js";

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
  /** Aborting stops between objects; files already written are whole. Rejects with `AbortedError`. */
  signal?: AbortSignal;
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
  filesWritten: number;
  filesUnchanged: number;
  filesRemoved: number;
  failures: { file: string; message: string }[];
  errorLogPath: string | null;
  apiRequests: number;
  apiRetries: number;
  seconds: number;
}

/** One accessed asset of one version. */
interface AssetEntry {
  version: string;
  path: string;
  fileName: string;
  object: ObjectKey;
}

interface ObjectResult {
  rows: number;
  bytes: number;
  byDay: Tally;
  byRegion: Tally;
}

const DANDISET_TABLES = ["day", "region", "asset"] as const;

function validate(options: MapOptions): void {
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
  checkFunction(options.onProgress, "onProgress");
  checkFunction(options.onWarning, "onWarning");
  checkSignal(options.signal);
}

/**
 * Maps binned objects to Dandisets: for every selected Dandiset and version, one table per
 * accessed asset (each address turned into a region), summaries by day, region and asset per
 * version and per Dandiset, and archive-wide summaries and totals. Every file appears whole, a
 * rerun rewrites only files whose content changed, and tables of an earlier run that no longer
 * belong (an asset gone from the catalog) are removed.
 */
export async function mapBinnedS3LogsToDandisets(options: MapOptions): Promise<MapSummary> {
  const started = Date.now();
  validate(options);
  const binnedFolder = requireFolder(options.binnedFolder, "binnedFolder");
  const mappedFolder = prepareOutputFolder(
    options.mappedFolder,
    binnedFolder,
    "mappedFolder",
    "binnedFolder",
  );
  // Range files are read before the catalog, so a bad folder fails in a second, not after the API.
  const resolver = RegionResolver.create({ ipRangesFolder: options.ipRangesFolder });
  removeStaleTempFiles(mappedFolder);

  const summary: MapSummary = {
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
    filesWritten: 0,
    filesUnchanged: 0,
    filesRemoved: 0,
    failures: [],
    errorLogPath: null,
    apiRequests: 0,
    apiRetries: 0,
    seconds: 0,
  };

  const catalog = await catalogFor(options, summary);
  const selected = new Set(
    selectDandisets(
      catalog.dandisets.map((d) => d.identifier),
      options,
    ),
  );
  const dandisets = catalog.dandisets
    .filter((dandiset) => selected.has(dandiset.identifier))
    .sort((a, b) => (a.identifier < b.identifier ? -1 : 1));
  summary.dandisetsSelected = dandisets.length;

  const binned = listBinnedObjects(binnedFolder);
  const plans = dandisets.map((dandiset) => planDandiset(dandiset, binned, options.objectType));
  const referenced = new Set(plans.flatMap((plan) => plan.objects));
  for (const object of binned) {
    if (
      !referenced.has(object) &&
      (options.objectType === undefined || object.startsWith(`${options.objectType}:`))
    )
      summary.objectsNotInCatalog++;
  }
  const objectsTotal = plans.reduce((sum, plan) => sum + plan.objects.length, 0);

  const writer = new OutputWriter(mappedFolder);
  const errorLog = new ErrorLog("map");
  const archive = emptyActivity();
  const archiveObjects = new Set<ObjectKey>();
  // With --object_type a run sees only part of each Dandiset, so it cannot tell what no longer belongs.
  const removeLeftovers = options.objectType === undefined;
  let objectsDone = 0;
  options.onProgress?.({ phase: "map", done: 0, total: objectsTotal });

  try {
    for (const plan of plans) {
      const results = new Map<ObjectKey, ObjectResult>();
      const failuresBefore = summary.failures.length;
      for (const object of plan.objects) {
        // Yield between objects: lets Ctrl-C and the progress display through the synchronous work.
        await new Promise((resolve) => setImmediate(resolve));
        if (options.signal?.aborted)
          throw new AbortedError("map was interrupted; tables already written are complete");
        const result = mapObject(binnedFolder, object, resolver, errorLog, summary, options.onWarning);
        if (result !== null && result.rows > 0) {
          results.set(object, result);
          for (const entry of plan.entriesOf.get(object)!) {
            writer.write(`${plan.identifier}/${entry.version}/${entry.fileName}`, result.table);
            summary.assetTables++;
          }
          result.table = Buffer.alloc(0);
        }
        objectsDone++;
        options.onProgress?.({ phase: "map", done: objectsDone, total: objectsTotal });
      }
      if (results.size > 0) {
        writeDandiset(writer, plan, results, summary);
        for (const [object, result] of results) {
          if (archiveObjects.has(object)) continue;
          archiveObjects.add(object);
          archive.byDay.addAll(result.byDay);
          archive.byRegion.addAll(result.byRegion);
        }
      }
      // An object that could not be read says nothing about its tables: keep them for the next run.
      const complete = summary.failures.length === failuresBefore;
      if (removeLeftovers && complete && fs.existsSync(path.join(mappedFolder, plan.identifier)))
        writer.removeLeftovers(plan.identifier);
    }
    writeArchive(writer, archive, summary.dandisetsMapped);
  } finally {
    errorLog.close();
  }

  summary.bytesSent = archive.byDay.totalBytes();
  summary.distinctAddresses = resolver.distinctAddresses;
  summary.filesWritten = writer.written;
  summary.filesUnchanged = writer.unchanged;
  summary.filesRemoved = writer.removed;
  summary.errorLogPath = errorLog.count > 0 ? errorLog.path : null;
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

async function catalogFor(options: MapOptions, summary: MapSummary): Promise<Catalog> {
  if (typeof options.catalog === "string") return loadCatalog(options.catalog);
  if (options.catalog !== undefined) return toCatalog(options.catalog, "the catalog given");
  const fetched = await fetchCatalog({
    ...options.api,
    restrictTo: options.restrictTo,
    excluded: options.excluded,
    limit: options.limit,
    signal: options.signal,
    onWarning: options.onWarning,
    onProgress: (p) =>
      options.onProgress?.({ phase: "catalog", done: p.dandisetsDone, total: p.dandisetsTotal }),
  });
  summary.dandisetsEmbargoed = fetched.embargoed;
  summary.dandisetsMissing = fetched.missing;
  summary.apiRequests = fetched.requests;
  summary.apiRetries = fetched.retries;
  return fetched.catalog;
}

interface DandisetPlan {
  identifier: string;
  /** Accessed objects of the Dandiset, sorted. */
  objects: ObjectKey[];
  entriesOf: Map<ObjectKey, AssetEntry[]>;
  /** Versions in catalog order, with their accessed assets. */
  versions: { version: string; entries: AssetEntry[] }[];
}

function planDandiset(
  dandiset: CatalogDandiset,
  binned: Set<ObjectKey>,
  objectType?: ObjectType,
): DandisetPlan {
  const entriesOf = new Map<ObjectKey, AssetEntry[]>();
  const versions: DandisetPlan["versions"] = [];
  for (const version of dandiset.versions) {
    const fileNames = assetFileNames(version.assets.map((asset) => asset.path));
    const entries: AssetEntry[] = [];
    for (const asset of version.assets) {
      const { type, id } = objectOf(asset);
      if (objectType !== undefined && type !== objectType) continue;
      const object = objectKeyOf(type, id);
      if (!binned.has(object)) continue;
      const entry = {
        version: version.version,
        path: asset.path,
        fileName: fileNames.get(asset.path)!,
        object,
      };
      entries.push(entry);
      const list = entriesOf.get(object);
      if (list === undefined) entriesOf.set(object, [entry]);
      else list.push(entry);
    }
    versions.push({ version: version.version, entries });
  }
  return { identifier: dandiset.identifier, objects: [...entriesOf.keys()].sort(), entriesOf, versions };
}

function mapObject(
  binnedFolder: string,
  object: ObjectKey,
  resolver: RegionResolver,
  errorLog: ErrorLog,
  summary: MapSummary,
  onWarning?: (message: string) => void,
): (ObjectResult & { table: Buffer }) | null {
  const relative = binnedPathOf(object);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path.join(binnedFolder, relative));
  } catch (error) {
    const message = `cannot be read (${(error as Error).message})`;
    summary.failures.push({ file: relative, message });
    onWarning?.(`${relative} ${message}; its downloads are left out of this run`);
    return null;
  }
  try {
    const mapped = mapBinnedTable(
      buf,
      (address) => resolver.regionOf(address),
      (line, reason, start, end) => {
        summary.malformedRows++;
        errorLog.record({ file: relative, line, reason, text: errorTextOf(buf, start, end) });
      },
    );
    summary.objectsMapped++;
    summary.rows += mapped.rows;
    return mapped;
  } catch (error) {
    if (!(error instanceof BinnedHeaderError)) throw error;
    const message = `${error.message}; bin it again`;
    summary.failures.push({ file: relative, message });
    onWarning?.(`${relative}: ${message}`);
    return null;
  }
}

function writeDandiset(
  writer: OutputWriter,
  plan: DandisetPlan,
  results: Map<ObjectKey, ObjectResult>,
  summary: MapSummary,
): void {
  let versionsMapped = 0;
  for (const { version, entries } of plan.versions) {
    const active = entries.filter((entry) => results.has(entry.object));
    if (active.length === 0) continue;
    // Within a version each asset counts, as in the original: its tables are what a version shows.
    const activity = emptyActivity();
    for (const entry of active) {
      const result = results.get(entry.object)!;
      activity.byDay.addAll(result.byDay);
      activity.byRegion.addAll(result.byRegion);
      activity.byAsset.add(cellOf(entry.path), BigInt(result.bytes), result.rows);
    }
    writeSummaries(writer, `${plan.identifier}/${version}`, "version", activity);
    versionsMapped++;
  }

  // Across versions each object counts once, under the path it has in the newest version.
  const activity = emptyActivity();
  for (const [object, result] of results) {
    activity.byDay.addAll(result.byDay);
    activity.byRegion.addAll(result.byRegion);
    activity.byAsset.add(
      cellOf(displayPathOf(plan.entriesOf.get(object)!)),
      BigInt(result.bytes),
      result.rows,
    );
  }
  writeSummaries(writer, plan.identifier, "dandiset", activity);
  const totals = totalsOf(activity);
  writer.write(
    `${plan.identifier}/totals.json`,
    flatJson({
      dandiset_id: plan.identifier,
      bytes_sent: totals.bytes_sent,
      requests: totals.requests,
      unique_regions: totals.unique_regions,
      unique_countries: totals.unique_countries,
      first_date: totals.first_date,
      last_date: totals.last_date,
      versions: versionsMapped,
    }),
  );
  summary.dandisetsMapped++;
  summary.versionsMapped += versionsMapped;
}

/**
 * The path an object is listed under in a Dandiset's asset summary: its path in the draft, else in
 * the newest published version (`0.YYMMDD.HHMM` names sort by date), the first in path order if
 * the object appears twice there.
 */
function displayPathOf(entries: AssetEntry[]): string {
  const rank = (version: string) => (version === "draft" ? "\uffff" : version);
  let best = entries[0];
  for (const entry of entries.slice(1)) {
    const a = rank(entry.version);
    const b = rank(best.version);
    if (a > b || (a === b && entry.path < best.path)) best = entry;
  }
  return best.path;
}

/** An asset path as a TSV cell: DANDI paths hold no tabs or line ends, but one would break the table. */
function cellOf(assetPath: string): string {
  return assetPath.replace(/[\t\r\n]/g, " ");
}

/** `<level>_summary_by_{day,region,asset}.tsv` (bytes) and `<level>_requests_by_…` (rows) in `folder`. */
function writeSummaries(
  writer: OutputWriter,
  folder: string,
  level: "version" | "dandiset" | "archive",
  activity: Activity,
): void {
  for (const table of DANDISET_TABLES) {
    if (level === "archive" && table === "asset") continue;
    const tally =
      table === "day" ? activity.byDay : table === "region" ? activity.byRegion : activity.byAsset;
    const keyHeader = table === "day" ? "date" : table === "region" ? "region" : "asset_path";
    const order = table === "day" ? "key" : "largest";
    const prefix = folder === "" ? "" : `${folder}/`;
    writer.write(
      `${prefix}${level}_summary_by_${table}.tsv`,
      summaryTable(keyHeader, "bytes_sent", tally.bytes, order),
    );
    writer.write(
      `${prefix}${level}_requests_by_${table}.tsv`,
      summaryTable(keyHeader, "requests", tally.requests, order),
    );
  }
}

function writeArchive(writer: OutputWriter, archive: Activity, dandisets: number): void {
  writeSummaries(writer, "", "archive", archive);
  const totals = totalsOf(archive);
  writer.write(
    "totals.json",
    flatJson({
      bytes_sent: totals.bytes_sent,
      requests: totals.requests,
      unique_regions: totals.unique_regions,
      unique_countries: totals.unique_countries,
      dandisets,
      first_date: totals.first_date,
      last_date: totals.last_date,
    }),
  );
}
