import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readChanges } from "../bin/change-feed.js";
import { lastBatchOf, readJournal } from "../bin/journal.js";
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
import {
  KEY_COLUMN,
  SUMMARY_KEYS,
  summaryFileName,
  TOTALS_FILE,
  VALUE_COLUMN,
} from "../formats/mapped-folder.js";
import { DEFAULT_PRIVACY, type PrivacyRounding } from "../formats/summaries-folder.js";
import { RegionResolver } from "../geo/region-resolver.js";
import { ErrorLog } from "../io/error-log.js";
import { prepareOutputFolder, requireFolder } from "../io/folders.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import { acquireRunLock } from "../io/run-lock.js";
import { checkIpKey, type IpKey } from "../privacy/ip-key.js";
import { checkReadableWith } from "../privacy/ip-mode.js";
import { AddressReader } from "../privacy/ip-token.js";
import { RequesterHasher, readRequesterSet, requesterSetBytes, unionOfAll } from "../summaries/requesters.js";
import { totalsFrom } from "../summaries/summary-files.js";
import { AddressColumns } from "./address-columns.js";
import { versionTableNames } from "./asset-file-names.js";
import { binnedPathOf, listBinnedObjects, type ObjectKey, objectKeyOf } from "./binned-objects.js";
import { BinnedHeaderError, tallyMappedRows } from "./map-binned-table.js";
import {
  activityToJson,
  aggregatesToJson,
  associatedListText,
  clearState,
  type DandisetAggregates,
  type DandisetRecord,
  type MapJournal,
  readAggregates,
  readArchiveActivity,
  readAssociatedList,
  readMapJournal,
  STATE_FOLDER,
  type SummariesRecord,
  stateFolderOf,
  writeMapJournal,
} from "./map-state.js";
import {
  mappedObjectPath,
  type ObjectDelta,
  type PendingObject,
  requestersOfBinned,
  updateMappedObject,
} from "./mapped-objects.js";
import { OutputWriter } from "./output-writer.js";
import {
  isEmptyFolder,
  prepareSummariesFolder,
  publishSummaries,
  SUMMARIES_LOCK,
} from "./publish-summaries.js";
import { type Activity, emptyActivity, flatJson, summaryTable, Tally, totalsOf } from "./tally.js";
import { applyUndoLog, discardUndoLog, MapUndoLog, undoLogBatch, undoLogRoot } from "./undo-log.js";

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
   * Where to publish the access summaries (the layout of DANDI's access-summaries `content/`
   * folder: `summaries/<id>/by_{day,asset,region}.tsv`, `totals.json`, …); none when absent.
   */
  summariesFolder?: string;
  /** Request, download and requester counts below this are published as `<50` (default 50; 0 for none). */
  privacyThreshold?: number;
  /** Other counts are published rounded to the nearest multiple of this (default 20; 1 for exact counts). */
  privacyRounding?: number;
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
  apiRequests: number;
  apiRetries: number;
  seconds: number;
}

/** One asset of one version, as a table name and the object behind it. */
interface AssetEntry {
  version: string;
  path: string;
  fileName: string;
  object: ObjectKey;
  /** The object's size in the catalog, for telling downloads; -1 for a Zarr (a request is one file of it). */
  size: number;
}

/** A Dandiset as the mapped folder holds it: its assets, from this run's catalog or a stored one. */
interface DandisetPlan {
  identifier: string;
  fingerprint: string;
  /** Versions in catalog order, with every asset (accessed or not) of the mapped object types. */
  versions: { version: string; entries: AssetEntry[] }[];
  entriesOf: Map<ObjectKey, AssetEntry[]>;
}

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
  checkBoolean(options.rebuild, "rebuild");
  checkPath(options.summariesFolder, "summariesFolder", false);
  checkWholeNumber(options.privacyThreshold, "privacyThreshold", 0);
  checkWholeNumber(options.privacyRounding, "privacyRounding", 1);
  checkIpKey(options.ipKey);
  checkBoolean(options.keepRawLines, "keepRawLines");
  checkFunction(options.onProgress, "onProgress");
  checkFunction(options.onWarning, "onWarning");
  checkSignal(options.signal);
}

/**
 * Maps binned objects to Dandisets: for every selected Dandiset and version, one table per
 * accessed asset (each address turned into a region), summaries by day, region and asset per
 * version and per Dandiset, and archive-wide summaries and totals.
 *
 * Incremental: a run reads only what bin changed since the last run (bin's change lists name the
 * object files and where they changed), extends the mapped tables in place and adds the new rows'
 * numbers to the summaries' numbers kept under `.map_state/`. A Dandiset whose catalog entries
 * changed (a new version, an asset added, moved or removed) has its tables and summaries made again
 * from its mapped objects. The result is byte for byte what one run over everything gives.
 *
 * Safe to kill at any moment: every change is preceded by its undo record, and the run commits by
 * replacing its journal; the next run undoes an uncommitted run before it starts (undo-log.ts).
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
  // Addresses are read through this: tokens decoded before their region is looked up.
  const binnedMode = checkReadableWith(binnedFolder, options.ipKey ?? null);
  const addresses = new AddressReader(binnedMode.mode === "keyed" ? options.ipKey! : null, binnedFolder);
  // Range files are read before the catalog, so a bad folder fails in a second, not after the API.
  const resolver = RegionResolver.create({ ipRangesFolder: options.ipRangesFolder });
  const columns = new AddressColumns((column) => resolver.regionOf(addresses.addressOf(column)));
  const summariesFolder = prepareSummariesFolder(options.summariesFolder, binnedFolder, mappedFolder);
  const privacy: PrivacyRounding = {
    threshold: options.privacyThreshold ?? DEFAULT_PRIVACY.threshold,
    rounding: options.privacyRounding ?? DEFAULT_PRIVACY.rounding,
  };
  const stateFolder = stateFolderOf(mappedFolder);
  fs.mkdirSync(stateFolder, { recursive: true });
  const unlockMapped = acquireRunLock(path.join(mappedFolder, ".map_lock"));
  let unlockSummaries: (() => void) | null = null;
  let unlockBinned: (() => void) | null = null;
  const errorLog = new ErrorLog("map", undefined, options.keepRawLines);
  try {
    // Bin must not add rows while they are read; a binned folder that cannot be written (the
    // original tool's, a read-only copy) cannot be binned into either.
    const binJournal = readJournal(binnedFolder);
    if (binJournal !== null) unlockBinned = lockIfWritable(path.join(binnedFolder, ".bin_lock"));
    if (summariesFolder !== null)
      unlockSummaries = acquireRunLock(path.join(summariesFolder, SUMMARIES_LOCK));
    const committed = recover(mappedFolder, stateFolder);
    const hasher = RequesterHasher.open(stateFolder, (column) => addresses.addressOf(column));

    const summary = emptySummary();
    const catalog = await catalogFor(options, summary);
    if (catalog.dandisets.length === 0) {
      // Taken at its word, an empty catalog would remove every Dandiset's folder.
      throw invalidOption(
        options.catalog === undefined ? "api" : "catalog",
        `${options.catalog === undefined ? "answered" : "holds"} no Dandiset; check it: mapping from it would remove every Dandiset's tables`,
        "ERR_EMPTY_CATALOG",
      );
    }
    const fresh = freshPlans(catalog, options);
    summary.dandisetsSelected = fresh.size;
    const selecting =
      (options.restrictTo?.length ?? 0) > 0 ||
      (options.excluded?.length ?? 0) > 0 ||
      options.limit !== undefined;
    if (selecting && fresh.size === 0 && (options.restrictTo?.length ?? 0) > 0) {
      throw invalidOption(
        "restrictTo",
        `names ${options.restrictTo!.join(",")}, none of which is in the catalog; check the identifiers`,
        "ERR_NO_SELECTED_DANDISET",
      );
    }

    const decision = decide(options, committed, binJournal, binnedFolder);
    if (selecting && summariesFolder !== null && (decision.rebuild || committed === null)) {
      // With nothing kept of the other Dandisets, their objects would count as no Dandiset's, and
      // their downloads as none (their assets' sizes unknown): published figures would be wrong.
      throw invalidOption(
        "summariesFolder",
        "cannot be written by a first map, or a rebuild, over part of the catalog: the traffic of objects " +
          "no Dandiset lists, and the downloads, need every Dandiset's assets; map once over the whole " +
          "catalog (no restrictTo, excluded or limit), then selections update the summaries correctly",
        "ERR_SUMMARIES_NEED_WHOLE_CATALOG",
      );
    }
    summary.rebuilt = decision.rebuild;
    summary.rebuildReason = decision.reason;
    if (decision.rebuild) clearState(stateFolder);
    const journal: MapJournal | null = decision.rebuild ? null : committed;

    // The Dandisets the folder will hold: this run's catalog, and (for a run over part of the
    // catalog) the others as their stored entries say. A Dandiset the full catalog no longer
    // lists (deleted, or embargoed) is removed.
    const plans = new Map(fresh);
    const gone: string[] = [];
    for (const identifier of Object.keys(journal?.dandisets ?? {})) {
      if (plans.has(identifier)) continue;
      const keep = selecting && !isSelectedBy(identifier, options);
      if (keep) {
        const stored = readStoredPlan(stateFolder, identifier);
        if (stored !== null) plans.set(identifier, stored);
        else gone.push(identifier);
      } else gone.push(identifier);
    }

    const objectsOf = new Map<ObjectKey, { identifier: string; entries: AssetEntry[] }[]>();
    for (const plan of [...plans.values()].sort(byIdentifier)) {
      for (const [object, entries] of plan.entriesOf) {
        const list = objectsOf.get(object);
        if (list === undefined) objectsOf.set(object, [{ identifier: plan.identifier, entries }]);
        else list.push({ identifier: plan.identifier, entries });
      }
    }

    // Every object some Dandiset lists, with its size: the rest is the unassociated traffic.
    const associated = new Map<ObjectKey, number>();
    for (const [object, list] of objectsOf) associated.set(object, list[0].entries[0].size);
    const associatedPrint = createHash("sha256")
      .update(associatedListText(associated))
      .digest("hex")
      .slice(0, 32);

    const pending = decision.rebuild
      ? [...binnedObjectsOf(binnedFolder, binJournal)]
          .filter((object) => options.objectType === undefined || object.startsWith(`${options.objectType}:`))
          .sort()
          .map((object): PendingObject => ({ object, from: 0, rowsAdded: 0, created: true, unmapped: true }))
      : decision.pending.filter(
          (p) => options.objectType === undefined || p.object.startsWith(`${options.objectType}:`),
        );

    const undo = new MapUndoLog(mappedFolder, stateFolder, (committed?.batch ?? 0) + 1);
    const writer = new OutputWriter(mappedFolder, undo, holdsNothingPublished(mappedFolder));
    try {
      const total = pending.length + plans.size;
      let done = 0;
      options.onProgress?.({ phase: "map", done, total });

      // 1. The mapped objects: each binned object's table brought up to its binned file.
      const deltas = new Map<ObjectKey, ObjectDelta>();
      const archive = journal === null ? emptyActivity() : readArchiveActivity(archivePath(stateFolder));
      // The numbers of the listed objects. An object listed anew, no longer listed or of another size
      // is taken off with its rows as they stand before this run, and added back after it.
      const listed =
        journal === null ? emptyActivity() : readArchiveActivity(path.join(stateFolder, ASSOCIATED_NUMBERS));
      const moved = new Set<ObjectKey>();
      if (journal?.associated !== associatedPrint) {
        const before =
          journal === null
            ? new Map<string, number>()
            : readAssociatedList(path.join(stateFolder, ASSOCIATED_LIST));
        for (const [object, size] of before) {
          if (associated.get(object) === size) continue;
          moved.add(object);
          const full = fullActivityOf(mappedFolder, object, new Map(), size);
          if (full !== null) addActivity(listed, full, -1);
        }
        for (const [object, size] of associated) if (before.get(object) !== size) moved.add(object);
      }
      const newRequesters: BigUint64Array[] = [];
      for (const item of pending) {
        await checkpoint(options.signal);
        const reuse =
          decision.rebuild && !writer.fresh
            ? (objectsOf.get(item.object) ?? []).flatMap(({ identifier, entries }) =>
                entries.map((e) => path.join(mappedFolder, identifier, e.version, e.fileName)),
              )
            : [];
        const delta = mapPending(
          binnedFolder,
          mappedFolder,
          item,
          columns,
          undo,
          writer,
          errorLog,
          summary,
          associated.get(item.object) ?? -1,
          hasher,
          reuse,
        );
        if (delta !== null) {
          deltas.set(item.object, delta);
          addDelta(archive, delta);
          newRequesters.push(delta.requesters);
          if (associated.has(item.object) && !moved.has(item.object)) addActivity(listed, delta, 1);
          if (!objectsOf.has(item.object)) summary.objectsNotInCatalog++;
        }
        options.onProgress?.({ phase: "map", done: ++done, total });
      }

      for (const object of [...moved].sort()) {
        const size = associated.get(object);
        // A rebuild maps every binned object: one it did not map has no rows.
        if (size === undefined || (decision.rebuild && !deltas.has(object))) continue;
        const full = fullActivityOf(mappedFolder, object, deltas, size);
        if (full !== null) addActivity(listed, full, 1);
      }

      // 2. The Dandisets: those touched by a changed object, and those whose entries changed.
      const context: DandisetContext = {
        mappedFolder,
        binnedFolder,
        deltas,
        writer,
        associated,
        columns,
        hasher,
        changed: new Map(),
      };
      const records: Record<string, DandisetRecord> = {};
      const touched = new Set<string>();
      for (const object of deltas.keys())
        for (const { identifier } of objectsOf.get(object) ?? []) touched.add(identifier);
      for (const plan of [...plans.values()].sort(byIdentifier)) {
        await checkpoint(options.signal);
        const record = journal?.dandisets[plan.identifier];
        const redo = record === undefined || record.fingerprint !== plan.fingerprint;
        if (!redo && !touched.has(plan.identifier)) {
          records[plan.identifier] = record;
        } else {
          const next = redo ? redoDandiset(plan, context) : updateDandiset(plan, record, context);
          if (redo) summary.dandisetsRedone++;
          if (next !== null) records[plan.identifier] = next;
        }
        options.onProgress?.({ phase: "map", done: ++done, total });
      }
      for (const identifier of gone.sort()) {
        writer.removeLeftovers(identifier, new Set());
        for (const file of [
          aggregatesPath(identifier),
          storedPlanPath(identifier),
          requestersPath(identifier),
        ])
          if (fs.existsSync(path.join(mappedFolder, file))) writer.remove(file);
        summary.dandisetsRemoved.push(identifier);
        options.onWarning?.(
          `${identifier} is no longer in the catalog (deleted, or embargoed); its folder was removed`,
        );
      }

      // 3. The archive, over every binned object, and the commit.
      const mapped = Object.values(records).filter((r) => r.tables > 0);
      writeArchive(writer, archive, mapped.length);
      writer.write(`${STATE_FOLDER}/archive.json`, `${JSON.stringify(activityToJson(archive))}\n`);
      writer.write(`${STATE_FOLDER}/${ASSOCIATED_NUMBERS}`, `${JSON.stringify(activityToJson(listed))}\n`);
      if (journal?.associated !== associatedPrint)
        writer.write(`${STATE_FOLDER}/${ASSOCIATED_LIST}`, associatedListText(associated));
      let archiveRequesters =
        journal === null
          ? new BigUint64Array(0)
          : readRequesterSet(path.join(mappedFolder, requestersPath("archive")));
      if (journal === null || newRequesters.some((set) => set.length > 0)) {
        archiveRequesters = unionOfAll([archiveRequesters, ...newRequesters]);
        writer.write(requestersPath("archive"), requesterSetBytes(archiveRequesters));
      }
      summary.requesters = archiveRequesters.length;

      // 4. The published summaries, changed under their own undo log and committed with the rest.
      const summariesRecord: SummariesRecord | null =
        summariesFolder === null ? null : { folder: summariesFolder, ...privacy };
      let summaryWriter: OutputWriter | null = null;
      let summaryUndo: MapUndoLog | null = null;
      if (summariesFolder !== null) {
        summaryUndo = new MapUndoLog(
          summariesFolder,
          path.join(stateFolder, SUMMARIES_UNDO),
          (committed?.batch ?? 0) + 1,
        );
        summaryWriter = new OutputWriter(summariesFolder, summaryUndo, isEmptyFolder(summariesFolder));
        const full =
          journal === null || JSON.stringify(journal.summaries) !== JSON.stringify(summariesRecord);
        publishSummaries({
          writer: summaryWriter,
          mainWriter: writer,
          stateFolder,
          privacy,
          records,
          changed: context.changed,
          full,
          archive,
          listed,
          archiveRequesters: archiveRequesters.length,
        });
        summaryUndo.close();
      }
      const next = {
        binBatch: lastBatchOf(binJournal ?? []),
        binDays: binJournal?.map((d) => `${d.day}\t${d.rows}\t${d.batch}`) ?? [],
        binJournaled: binJournal !== null,
        objectType: options.objectType ?? null,
        dandisets: records,
        associated: associatedPrint,
        summaries: summariesRecord,
      };
      undo.close();
      const changedFiles =
        writer.written + writer.removed + (summaryWriter?.written ?? 0) + (summaryWriter?.removed ?? 0);
      // A run that changed nothing leaves the journal as it was, so a rerun touches no file at all.
      if (journal === null || changedFiles > 0 || !sameJournal(journal, next))
        writeMapJournal(stateFolder, { batch: (committed?.batch ?? 0) + 1, ...next });
      discardUndoLog(path.join(stateFolder, SUMMARIES_UNDO));
      discardUndoLog(stateFolder);

      summary.dandisetsMapped = mapped.length;
      summary.versionsMapped = mapped.reduce((sum, r) => sum + r.versions, 0);
      summary.assetTables = mapped.reduce((sum, r) => sum + r.tables, 0);
      summary.bytesSent = archive.byDay.totalBytes();
      summary.distinctAddresses = resolver.distinctAddresses;
      summary.filesWritten = writer.written;
      summary.filesUnchanged = writer.unchanged;
      summary.filesRemoved = writer.removed;
      summary.summariesFolder = summariesFolder;
      summary.summaryFilesWritten = summaryWriter?.written ?? 0;
      summary.summaryFilesUnchanged = summaryWriter?.unchanged ?? 0;
      summary.summaryFilesRemoved = summaryWriter?.removed ?? 0;
      summary.errorLogPath = errorLog.count > 0 ? errorLog.path : null;
      summary.seconds = (Date.now() - started) / 1000;
      return summary;
    } catch (error) {
      undo.close();
      // Put the folder back as the last committed run left it; if even that fails, the next run does.
      try {
        recover(mappedFolder, stateFolder);
      } catch {}
      throw error;
    }
  } finally {
    errorLog.close();
    unlockBinned?.();
    unlockSummaries?.();
    unlockMapped();
  }
}

function sameJournal(journal: MapJournal, next: Omit<MapJournal, "format" | "batch">): boolean {
  const { format: _format, batch: _batch, ...rest } = journal;
  return JSON.stringify(rest) === JSON.stringify(next);
}

/** Whether the mapped folder holds nothing but what map keeps for itself (dot entries). */
function holdsNothingPublished(mappedFolder: string): boolean {
  return fs.readdirSync(mappedFolder).every((name) => name.startsWith("."));
}

function emptySummary(): MapSummary {
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
    apiRequests: 0,
    apiRetries: 0,
    seconds: 0,
  };
}

async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  // Yield between objects: lets Ctrl-C and the progress display through the synchronous work.
  await new Promise((resolve) => setImmediate(resolve));
  if (signal?.aborted)
    throw new AbortedError("map was interrupted; the folder is as the last complete run left it");
}

function lockIfWritable(lockPath: string): (() => void) | null {
  try {
    return acquireRunLock(lockPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EROFS" || code === "EPERM") return null;
    throw error;
  }
}

/**
 * Finishes what a killed run left: undoes it unless its journal was committed, in the mapped folder
 * and in the summaries folder it wrote (its log names it, whatever this run is asked to write).
 */
function recover(mappedFolder: string, stateFolder: string): MapJournal | null {
  const journal = readMapJournal(stateFolder);
  for (const folder of [path.join(stateFolder, SUMMARIES_UNDO), stateFolder]) {
    const batch = undoLogBatch(folder);
    if (batch !== null && batch > (journal?.batch ?? 0))
      applyUndoLog(undoLogRoot(folder) ?? mappedFolder, folder);
    discardUndoLog(folder);
  }
  return journal;
}

interface Decision {
  rebuild: boolean;
  reason: string | null;
  pending: PendingObject[];
}

/** Whether bin's change lists tell everything that changed since the last run, and if so what. */
function decide(
  options: MapOptions,
  journal: MapJournal | null,
  binJournal: ReturnType<typeof readJournal>,
  binnedFolder: string,
): Decision {
  const rebuild = (reason: string): Decision => ({ rebuild: true, reason, pending: [] });
  if (options.rebuild) return rebuild("asked for");
  if (journal === null) return rebuild("first run");
  if (binJournal === null || !journal.binJournaled)
    return rebuild("the binned folder has no journal of binned days");
  if (journal.objectType !== (options.objectType ?? null)) return rebuild("another --object_type");
  const days = new Set(binJournal.map((d) => `${d.day}\t${d.rows}\t${d.batch}`));
  if (!journal.binDays.every((day) => days.has(day))) return rebuild("the binned folder was made anew");
  const mapped = new Set(journal.binDays);
  for (const d of binJournal) {
    if (!mapped.has(`${d.day}\t${d.rows}\t${d.batch}`) && d.batch <= journal.binBatch)
      return rebuild("the binned folder was made anew");
  }
  const pending = new Map<ObjectKey, PendingObject>();
  for (let batch = journal.binBatch + 1; batch <= lastBatchOf(binJournal); batch++) {
    const changes = readChanges(binnedFolder, batch);
    if (changes === null) return rebuild(`bin's change list of batch ${batch} is missing`);
    for (const change of changes) {
      const object = objectOfPath(change.relativePath);
      const known = pending.get(object);
      // Bytes before the smallest rewrite point never changed; rows past it are the new ones and
      // old ones that the table holds as its last rows.
      if (known === undefined)
        pending.set(object, {
          object,
          from: change.from,
          rowsAdded: change.rowsAdded,
          created: change.sizeBefore === -1,
        });
      else {
        known.from = Math.min(known.from, change.from);
        known.rowsAdded += change.rowsAdded;
        known.created ||= change.sizeBefore === -1;
      }
    }
  }
  return {
    rebuild: false,
    reason: null,
    pending: [...pending.values()].sort((a, b) => (a.object < b.object ? -1 : 1)),
  };
}

/**
 * Every binned object: from bin's change lists when every day came with one (reading a few files
 * instead of walking thousands of folders: 1 s of a 3.8 s rebuild), else from the folder itself.
 */
function binnedObjectsOf(binnedFolder: string, binJournal: ReturnType<typeof readJournal>): Set<ObjectKey> {
  if (binJournal === null || binJournal.some((d) => d.batch === 0)) return listBinnedObjects(binnedFolder);
  const objects = new Set<ObjectKey>();
  for (let batch = 1; batch <= lastBatchOf(binJournal); batch++) {
    const changes = readChanges(binnedFolder, batch);
    if (changes === null) return listBinnedObjects(binnedFolder);
    for (const change of changes) objects.add(objectOfPath(change.relativePath));
  }
  return objects;
}

function objectOfPath(relativePath: string): ObjectKey {
  const id = relativePath.slice(relativePath.lastIndexOf("/") + 1, -4);
  return objectKeyOf(relativePath.startsWith("zarr/") ? "zarr" : "blobs", id);
}

function mapPending(
  binnedFolder: string,
  mappedFolder: string,
  item: PendingObject,
  columns: AddressColumns,
  undo: MapUndoLog,
  writer: OutputWriter,
  errorLog: ErrorLog,
  summary: MapSummary,
  wholeSize: number,
  hasher: RequesterHasher,
  reuse: string[],
): ObjectDelta | null {
  const relative = binnedPathOf(item.object);
  try {
    const delta = updateMappedObject(
      binnedFolder,
      mappedFolder,
      item,
      columns,
      undo,
      (line, reason, text) => {
        summary.malformedRows++;
        errorLog.record({ file: relative, line, reason, text });
      },
      writer.folders,
      wholeSize,
      hasher,
      reuse,
    );
    summary.objectsMapped++;
    summary.rows += delta.rowsRead;
    return delta;
  } catch (error) {
    if (!(error instanceof BinnedHeaderError)) throw error;
    const message = `${error.message}; bin it again`;
    summary.failures.push({ file: relative, message });
    return null;
  }
}

/**
 * Adds an object's change to the archive's bytes and requests. Its downloads are left out: whether
 * a request is one depends on the catalog, and the archive's downloads are those of the listed objects.
 */
function addDelta(activity: Activity, delta: ObjectDelta): void {
  for (const [into, from] of [
    [activity.byDay, delta.byDay],
    [activity.byRegion, delta.byRegion],
  ] as const) {
    for (const [key, bytes] of from.bytes) into.add(key, bytes, from.requests.get(key) ?? 0, 0);
  }
}

/** Adds (or with -1 takes off) an object's activity by day and region, downloads included. */
function addActivity(activity: Activity, delta: ObjectDelta, sign: 1 | -1): void {
  activity.byDay.addAll(delta.byDay, sign);
  activity.byRegion.addAll(delta.byRegion, sign);
}

function freshPlans(catalog: Catalog, options: MapOptions): Map<string, DandisetPlan> {
  const selected = new Set(
    selectDandisets(
      catalog.dandisets.map((d) => d.identifier),
      options,
    ),
  );
  const plans = new Map<string, DandisetPlan>();
  for (const dandiset of catalog.dandisets) {
    if (selected.has(dandiset.identifier) && !plans.has(dandiset.identifier))
      plans.set(dandiset.identifier, planDandiset(dandiset, options.objectType));
  }
  return plans;
}

/** Whether this run's selection covers `identifier`, so that its absence from the catalog means it is gone. */
function isSelectedBy(identifier: string, options: MapOptions): boolean {
  if (options.limit !== undefined) return false;
  if ((options.excluded ?? []).includes(identifier)) return false;
  const restrict = options.restrictTo ?? [];
  return restrict.length === 0 || restrict.includes(identifier);
}

function planDandiset(dandiset: CatalogDandiset, objectType?: ObjectType): DandisetPlan {
  const versions: DandisetPlan["versions"] = [];
  for (const version of dandiset.versions) {
    // The same asset listed twice is one asset; two assets under one path are two tables.
    const seen = new Set<string>();
    const assets: { path: string; object: ObjectKey; type: ObjectType; size: number }[] = [];
    for (const asset of version.assets) {
      const { type, id } = objectOf(asset);
      const object = objectKeyOf(type, id);
      const key = `${asset.path}\n${object}`;
      if (seen.has(key)) continue;
      seen.add(key);
      assets.push({ path: asset.path, object, type, size: asset.size });
    }
    // Names are handed out over every asset of the version, whatever the object type mapped.
    const fileNames = versionTableNames(assets);
    const entries: AssetEntry[] = [];
    assets.forEach((asset, i) => {
      if (objectType !== undefined && asset.type !== objectType) return;
      entries.push({
        version: version.version,
        path: asset.path,
        fileName: fileNames[i],
        object: asset.object,
        size: asset.type === "blobs" ? asset.size : -1,
      });
    });
    versions.push({ version: version.version, entries });
  }
  return planOf(dandiset.identifier, versions);
}

function planOf(identifier: string, versions: DandisetPlan["versions"]): DandisetPlan {
  const entriesOf = new Map<ObjectKey, AssetEntry[]>();
  for (const { entries } of versions) {
    for (const entry of entries) {
      const list = entriesOf.get(entry.object);
      if (list === undefined) entriesOf.set(entry.object, [entry]);
      else list.push(entry);
    }
  }
  const fingerprint = createHash("sha256").update(JSON.stringify(versions)).digest("hex").slice(0, 32);
  return { identifier, fingerprint, versions, entriesOf };
}

const byIdentifier = (a: { identifier: string }, b: { identifier: string }) =>
  a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0;

function archivePath(stateFolder: string): string {
  return path.join(stateFolder, "archive.json");
}

function aggregatesPath(identifier: string): string {
  return `${STATE_FOLDER}/dandisets/${identifier}.json`;
}

function storedPlanPath(identifier: string): string {
  return `${STATE_FOLDER}/catalog/${identifier}.json`;
}

/** The keyed hashes of a Dandiset's requesters (or the archive's, under `archive`). */
function requestersPath(identifier: string): string {
  return `${STATE_FOLDER}/requesters/${identifier}.bin`;
}

const ASSOCIATED_NUMBERS = "associated.json";
const ASSOCIATED_LIST = "associated.tsv";
/** Under the state folder: the undo log of the summaries folder. */
const SUMMARIES_UNDO = "summaries_undo";

function readStoredPlan(stateFolder: string, identifier: string): DandisetPlan | null {
  const text = readTextIfExists(path.join(stateFolder, "catalog", `${identifier}.json`));
  if (text === null) return null;
  return planOf(identifier, JSON.parse(text) as DandisetPlan["versions"]);
}

/** What the Dandisets of a run are updated from and written to. */
interface DandisetContext {
  mappedFolder: string;
  binnedFolder: string;
  deltas: Map<ObjectKey, ObjectDelta>;
  writer: OutputWriter;
  /** The listed objects' sizes. */
  associated: Map<ObjectKey, number>;
  columns: AddressColumns;
  hasher: RequesterHasher;
  /** Filled in: the Dandisets whose numbers this run wrote, for the published summaries. */
  changed: Map<string, Activity>;
}

/** A Dandiset whose entries are as last time: the changed objects' deltas added to its numbers. */
function updateDandiset(
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
function redoDandiset(plan: DandisetPlan, context: DandisetContext): DandisetRecord | null {
  const { mappedFolder, deltas, writer } = context;
  const aggregates: DandisetAggregates = { versions: new Map(), dandiset: emptyActivity() };
  const keep = new Set<string>();
  const requesters: BigUint64Array[] = [];
  let tables = 0;
  for (const [object, entries] of [...plan.entriesOf].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const full = fullActivityOf(mappedFolder, object, deltas, context.associated.get(object) ?? -1);
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
  writer.write(storedPlanPath(plan.identifier), `${JSON.stringify(plan.versions)}\n`);
  return record;
}

/** An object's activity over all its rows: what this run mapped of a new object, else its mapped table read. */
function fullActivityOf(
  mappedFolder: string,
  object: ObjectKey,
  deltas: Map<ObjectKey, ObjectDelta>,
  wholeSize: number,
): ObjectDelta | null {
  const delta = deltas.get(object);
  if (delta !== undefined && delta.rowsBefore === 0) return delta.rowsAfter > 0 ? delta : null;
  const file = path.join(mappedFolder, mappedObjectPath(object));
  // Most assets of a Dandiset were never downloaded: asking first costs less than a failed open's error.
  if (fs.statSync(file, { throwIfNoEntry: false }) === undefined) return null;
  const buf = fs.readFileSync(file);
  const start = buf.indexOf(0x0a) + 1;
  const tally = tallyMappedRows(buf, start, buf.length, wholeSize);
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
function addObject(aggregates: DandisetAggregates, entries: AssetEntry[], delta: ObjectDelta): void {
  aggregates.dandiset.byDay.addAll(delta.byDay);
  aggregates.dandiset.byRegion.addAll(delta.byRegion);
  const downloads = delta.byDay.totalDownloads();
  aggregates.dandiset.byAsset.add(cellOf(displayPathOf(entries)), delta.bytes, delta.rows, downloads);
  for (const entry of entries) {
    let activity = aggregates.versions.get(entry.version);
    if (activity === undefined) {
      activity = emptyActivity();
      aggregates.versions.set(entry.version, activity);
    }
    activity.byDay.addAll(delta.byDay);
    activity.byRegion.addAll(delta.byRegion);
    activity.byAsset.add(cellOf(entry.path), delta.bytes, delta.rows, downloads);
  }
}

function tablePath(identifier: string, entry: AssetEntry): string {
  return `${identifier}/${entry.version}/${entry.fileName}`;
}

/** Writes a Dandiset's summaries and totals from its numbers; `keep` (a redo) also clears what no longer belongs. */
function writeDandiset(
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
    totals: active ? totalsFrom(aggregates.dandiset, requesters.length) : null,
  };
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

/** `<level>_summary_by_{day,region,asset}.tsv` (bytes) and `<level>_requests_by_…` (rows) in `folder`; returns their paths. */
function writeSummaries(
  writer: OutputWriter,
  folder: string,
  level: "version" | "dandiset" | "archive",
  activity: Activity,
): string[] {
  const files: string[] = [];
  for (const key of SUMMARY_KEYS) {
    if (level === "archive" && key === "asset") continue;
    const tally = key === "day" ? activity.byDay : key === "region" ? activity.byRegion : activity.byAsset;
    const order = key === "day" ? "key" : "largest";
    const prefix = folder === "" ? "" : `${folder}/`;
    const live = withoutEmptyKeys(tally);
    const bytesFile = `${prefix}${summaryFileName(level, "bytes", key)}`;
    const requestsFile = `${prefix}${summaryFileName(level, "requests", key)}`;
    writer.write(bytesFile, summaryTable(KEY_COLUMN[key], VALUE_COLUMN.bytes, live.bytes, order));
    writer.write(requestsFile, summaryTable(KEY_COLUMN[key], VALUE_COLUMN.requests, live.requests, order));
    files.push(bytesFile, requestsFile);
  }
  return files;
}

/** Keys whose rows were all replaced fall to nothing; a run from scratch would not list them. */
function withoutEmptyKeys(tally: Tally): Tally {
  const live = new Tally();
  for (const [key, bytes] of tally.bytes) {
    const requests = tally.requests.get(key) ?? 0;
    if (requests !== 0 || bytes !== 0n) live.add(key, bytes, requests);
  }
  return live;
}

function writeArchive(writer: OutputWriter, archive: Activity, dandisets: number): void {
  writeSummaries(writer, "", "archive", archive);
  const totals = totalsOf({
    byDay: withoutEmptyKeys(archive.byDay),
    byRegion: withoutEmptyKeys(archive.byRegion),
    byAsset: archive.byAsset,
  });
  writer.write(
    TOTALS_FILE,
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
