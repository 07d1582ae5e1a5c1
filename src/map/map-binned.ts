import * as fs from "node:fs";
import * as path from "node:path";
import { lastBatchOf, readJournal } from "../bin/journal.js";
import { type Catalog, loadCatalog, toCatalog } from "../dandi/catalog.js";
import { fetchCatalog } from "../dandi/fetch-catalog.js";
import { UsageError } from "../errors.js";
import { DEFAULT_REGION_DISCLOSURE_THRESHOLD } from "../formats/summaries-folder.js";
import { binnedFolderHasStatus } from "../formats/work-formats.js";
import { RegionResolver } from "../geo/region-resolver.js";
import { ErrorLog } from "../io/error-log.js";
import { prepareOutputFolder, requireFolder } from "../io/folders.js";
import { acquireRunLock } from "../io/run-lock.js";
import { checkReadableWith } from "../privacy/ip-mode.js";
import { AddressReader } from "../privacy/ip-token.js";
import {
  isEmptyFolder,
  prepareSummariesFolder,
  publishSummaries,
  SUMMARIES_LOCK,
} from "../summaries/publish.js";
import { RequesterHasher, readRequesterSet, requesterSetBytes, unionOfAll } from "../summaries/requesters.js";
import { AddressColumns } from "./address-columns.js";
import { type DandisetsMapped, mapDandisets } from "./map-dandisets.js";
import { type BinJournal, recover } from "./map-decision.js";
import { type MapRun, mapObjects, type ObjectsMapped } from "./map-objects.js";
import { emptyMapSummary, type MapOptions, type MapSummary, validateMapOptions } from "./map-options.js";
import { type MapPlan, planMapRun } from "./map-plan.js";
import { distinctAddressesOf, mapThreads } from "./map-shared.js";
import {
  activityToJson,
  associatedListText,
  type MapJournal,
  STATE_FOLDER,
  type SummariesRecord,
  stateFolderOf,
  writeMapJournal,
} from "./map-state.js";
import { MapWorkers } from "./map-workers.js";
import { writeArchive } from "./mapped-summaries.js";
import { OutputWriter } from "./output-writer.js";
import { addressFingerprints } from "./shared-work.js";
import { ASSOCIATED_LIST, ASSOCIATED_NUMBERS, requestersPath, SUMMARIES_UNDO } from "./state-paths.js";
import { updateUndeterminedRequesters } from "./undetermined-requesters.js";
import { discardUndoLog, MapUndoLog } from "./undo-log.js";

export type { MapOptions, MapProgress, MapSummary } from "./map-options.js";

/** The folders, readers and locks of one map run, set up before the catalog is read. */
interface MapSetup {
  binnedFolder: string;
  mappedFolder: string;
  stateFolder: string;
  summariesFolder: string | null;
  /** `by_region.tsv`'s disclosure threshold. */
  threshold: number;
  addresses: AddressReader;
  /** The IP key's bytes when the binned rows hold tokens, for worker threads. */
  ipKeyBytes: Uint8Array | null;
  resolver: RegionResolver;
  columns: AddressColumns;
  errorLog: ErrorLog;
  unlock: (() => void)[];
  /** The worker threads of a map shared out (map-shared.ts), null on one thread. */
  pool: MapWorkers | null;
}

/**
 * Maps binned objects to Dandisets: for every selected Dandiset and version, one table per
 * accessed asset (each address turned into a region), summaries by day, region and asset per
 * version and per Dandiset, and archive-wide summaries and totals.
 *
 * A run plans (map-plan.ts: which Dandisets, which objects), computes (map-objects.ts: the mapped
 * objects and their change in activity; map-dandisets.ts: each Dandiset's numbers and folder),
 * then writes the archive's numbers, the published summaries and its journal, here.
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
  validateMapOptions(options);
  const setup = openMapRun(options);
  try {
    // Bin must not add rows while they are read; a binned folder that cannot be written (the
    // original tool's, a read-only copy) cannot be binned into either.
    const binJournal = readJournal(setup.binnedFolder);
    if (setup.summariesFolder !== null && binnedFolderHasStatus(setup.binnedFolder) === false)
      throw new UsageError(
        `\`binnedFolder\` ${setup.binnedFolder} holds rows without their HTTP status (binned from an earlier ` +
          "version's reduced days, or the original tool's): the summaries' downloads and views cannot be counted " +
          "from them; rebuild the work folder from the raw logs (`dandi-s3-log-parser run --rebuild …`), or map " +
          "without `summariesFolder` for the mapped tables alone",
        { code: "ERR_BINNED_WITHOUT_STATUS", optionNames: ["binnedFolder", "summariesFolder"] },
      );
    if (binJournal !== null) lockIfWritable(path.join(setup.binnedFolder, ".bin_lock"), setup.unlock);
    if (setup.summariesFolder !== null)
      setup.unlock.push(acquireRunLock(path.join(setup.summariesFolder, SUMMARIES_LOCK)));
    const committed = recover(setup.mappedFolder, setup.stateFolder);
    // A rebuild or a first map shared out starts its workers now: they boot while the catalog is
    // read and the run planned.
    const hasher = RequesterHasher.open(setup.stateFolder, (column) => setup.addresses.addressOf(column));
    const rows =
      binJournal === null ? Number.POSITIVE_INFINITY : binJournal.reduce((sum, d) => sum + d.rows, 0);
    const early = options.rebuild === true || committed === null;
    setup.pool = startWorkers(options, setup, hasher, mapThreads(options.workers ?? 1, early, rows));
    const summary = emptyMapSummary();
    const catalog = await catalogFor(options, summary);
    const plan = planMapRun({
      options,
      catalog,
      committed,
      binJournal,
      binnedFolder: setup.binnedFolder,
      stateFolder: setup.stateFolder,
      summariesFolder: setup.summariesFolder,
      summary,
    });
    // The plan may map everything anew for another reason (a binned folder made anew): then too.
    if (setup.pool === null && !early)
      setup.pool = startWorkers(
        options,
        setup,
        hasher,
        mapThreads(options.workers ?? 1, plan.decision.rebuild, rows),
      );
    if (!plan.decision.rebuild) await closeWorkers(setup);
    summary.threads = (setup.pool?.count ?? 0) + 1;
    const run = startRun(options, setup, plan, committed, summary, hasher);
    try {
      options.onProgress?.({ phase: "map", done: 0, total: run.progress.total });
      const objects = await mapObjects(run, plan);
      const dandisets = await mapDandisets(run, plan, objects);
      if (run.pool !== null) {
        run.distinctAddresses = await distinctAddressesOf(
          run.pool,
          addressFingerprints(setup.resolver.addresses()),
        );
        await closeWorkers(setup);
        run.pool = null;
      }
      const archiveRequesters = writeArchiveNumbers(run, plan, objects, dandisets);
      const summaryWriter = publish(run, setup, plan, objects, dandisets, archiveRequesters, committed);
      commit(run, setup, plan, dandisets, summaryWriter, binJournal, committed);
      fillSummary(summary, run, setup, objects, dandisets, summaryWriter);
      summary.seconds = (Date.now() - started) / 1000;
      return summary;
    } catch (error) {
      // The workers stop first: none may write once the run's changes are being undone.
      await closeWorkers(setup);
      run.undo.close();
      // Put the folder back as the last committed run left it; if even that fails, the next run does.
      try {
        recover(setup.mappedFolder, setup.stateFolder);
      } catch {}
      throw error;
    }
  } finally {
    await closeWorkers(setup);
    setup.errorLog.close();
    for (const unlock of setup.unlock.reverse()) unlock();
  }
}

function openMapRun(options: MapOptions): MapSetup {
  const binnedFolder = requireFolder(options.binnedFolder, "binnedFolder");
  const mappedFolder = prepareOutputFolder(
    options.mappedFolder,
    binnedFolder,
    "mappedFolder",
    "binnedFolder",
  );
  // Addresses are read through this: tokens decoded before their region is looked up.
  const binnedMode = checkReadableWith(binnedFolder, options.ipKey ?? null);
  const ipKey = binnedMode.mode === "keyed" ? options.ipKey! : null;
  const addresses = new AddressReader(ipKey, binnedFolder);
  // Range files are read before the catalog, so a bad folder fails in a second, not after the API.
  const resolver = RegionResolver.create({ ipRangesFolder: options.ipRangesFolder });
  const columns = new AddressColumns((column) => resolver.regionOf(addresses.addressOf(column)));
  const summariesFolder = prepareSummariesFolder(options.summariesFolder, binnedFolder, mappedFolder);
  const threshold = options.regionDisclosureThreshold ?? DEFAULT_REGION_DISCLOSURE_THRESHOLD;
  const stateFolder = stateFolderOf(mappedFolder);
  fs.mkdirSync(stateFolder, { recursive: true });
  const unlock = [acquireRunLock(path.join(mappedFolder, ".map_lock"))];
  const errorLog = new ErrorLog("map", undefined, options.keepRawLines);
  return {
    binnedFolder,
    mappedFolder,
    stateFolder,
    summariesFolder,
    threshold,
    addresses,
    ipKeyBytes: ipKey === null ? null : ipKey.bytes,
    resolver,
    columns,
    errorLog,
    unlock,
    pool: null,
  };
}

/** `threads - 1` worker threads, null for one thread. */
function startWorkers(
  options: MapOptions,
  setup: MapSetup,
  hasher: RequesterHasher,
  threads: number,
): MapWorkers | null {
  if (threads <= 1) return null;
  return new MapWorkers(
    {
      binnedFolder: setup.binnedFolder,
      mappedFolder: setup.mappedFolder,
      ipRangesFolder: options.ipRangesFolder,
      ipKeyBytes: setup.ipKeyBytes,
      requesterKey: hasher.keyBytes,
    },
    threads - 1,
  );
}

async function closeWorkers(setup: MapSetup): Promise<void> {
  const pool = setup.pool;
  setup.pool = null;
  await pool?.close();
}

function startRun(
  options: MapOptions,
  setup: MapSetup,
  plan: MapPlan,
  committed: MapJournal | null,
  summary: MapSummary,
  hasher: RequesterHasher,
): MapRun {
  const undo = new MapUndoLog(setup.mappedFolder, setup.stateFolder, (committed?.batch ?? 0) + 1);
  return {
    options,
    binnedFolder: setup.binnedFolder,
    mappedFolder: setup.mappedFolder,
    stateFolder: setup.stateFolder,
    columns: setup.columns,
    hasher,
    errorLog: setup.errorLog,
    summary,
    undo,
    writer: new OutputWriter(setup.mappedFolder, undo, holdsNothingPublished(setup.mappedFolder)),
    progress: { done: 0, total: plan.pending.length + plan.plans.size },
    pool: setup.pool,
    distinctAddresses: null,
  };
}

/** Step 3: the archive's tables, over every binned object, and the numbers kept for the next run. */
function writeArchiveNumbers(
  run: MapRun,
  plan: MapPlan,
  objects: ObjectsMapped,
  dandisets: DandisetsMapped,
): BigUint64Array {
  const { writer, mappedFolder } = run;
  const { journal } = plan;
  const mapped = Object.values(dandisets.records).filter((r) => r.tables > 0);
  writeArchive(writer, objects.archive, mapped.length);
  writer.write(`${STATE_FOLDER}/archive.json`, `${JSON.stringify(activityToJson(objects.archive))}\n`);
  writer.write(
    `${STATE_FOLDER}/${ASSOCIATED_NUMBERS}`,
    `${JSON.stringify(activityToJson(objects.listed))}\n`,
  );
  if (journal?.associated !== plan.associatedPrint)
    writer.write(`${STATE_FOLDER}/${ASSOCIATED_LIST}`, associatedListText(plan.associated));
  let requesters =
    journal === null
      ? new BigUint64Array(0)
      : readRequesterSet(path.join(mappedFolder, requestersPath("archive")));
  if (journal === null || objects.newRequesters.some((set) => set.length > 0)) {
    requesters = unionOfAll([requesters, ...objects.newRequesters]);
    writer.write(requestersPath("archive"), requesterSetBytes(requesters));
  }
  run.summary.requesters = requesters.length;
  return requesters;
}

/** Step 4: the published summaries, changed under their own undo log and committed with the rest. */
function publish(
  run: MapRun,
  setup: MapSetup,
  plan: MapPlan,
  objects: ObjectsMapped,
  dandisets: DandisetsMapped,
  archiveRequesters: BigUint64Array,
  committed: MapJournal | null,
): OutputWriter | null {
  const { summariesFolder, stateFolder } = setup;
  if (summariesFolder === null) return null;
  const undo = new MapUndoLog(
    summariesFolder,
    path.join(stateFolder, SUMMARIES_UNDO),
    (committed?.batch ?? 0) + 1,
  );
  const writer = new OutputWriter(summariesFolder, undo, isEmptyFolder(summariesFolder));
  const totals = publishSummaries({
    writer,
    mainWriter: run.writer,
    stateFolder,
    threshold: setup.threshold,
    records: dandisets.records,
    changed: dandisets.changed,
    full:
      plan.journal === null ||
      JSON.stringify(plan.journal.summaries) !== JSON.stringify(summariesRecordOf(setup)),
    archive: objects.archive,
    listed: objects.listed,
    archiveRequesters: archiveRequesters.length,
    undeterminedRequesters: updateUndeterminedRequesters(run, plan, objects, objects.listedBefore),
  });
  for (const [id, record] of Object.entries(dandisets.records))
    dandisets.records[id] = { ...record, totals: totals.get(id) ?? null };
  undo.close();
  return writer;
}

function summariesRecordOf(setup: MapSetup): SummariesRecord | null {
  return setup.summariesFolder === null
    ? null
    : { folder: setup.summariesFolder, threshold: setup.threshold };
}

/** Step 5: the commit, by replacing the journal; then the undo logs go. */
function commit(
  run: MapRun,
  setup: MapSetup,
  plan: MapPlan,
  dandisets: DandisetsMapped,
  summaryWriter: OutputWriter | null,
  binJournal: BinJournal,
  committed: MapJournal | null,
): void {
  const next = {
    binBatch: lastBatchOf(binJournal ?? []),
    binDays: binJournal?.map((d) => `${d.day}\t${d.rows}\t${d.batch}`) ?? [],
    binJournaled: binJournal !== null,
    objectType: run.options.objectType ?? null,
    dandisets: dandisets.records,
    associated: plan.associatedPrint,
    summaries: summariesRecordOf(setup),
  };
  run.undo.close();
  const { writer } = run;
  const changedFiles =
    writer.written + writer.removed + (summaryWriter?.written ?? 0) + (summaryWriter?.removed ?? 0);
  // A run that changed nothing leaves the journal as it was, so a rerun touches no file at all.
  if (plan.journal === null || changedFiles > 0 || !sameJournal(plan.journal, next))
    writeMapJournal(setup.stateFolder, { batch: (committed?.batch ?? 0) + 1, ...next });
  discardUndoLog(path.join(setup.stateFolder, SUMMARIES_UNDO));
  discardUndoLog(setup.stateFolder);
}

function fillSummary(
  summary: MapSummary,
  run: MapRun,
  setup: MapSetup,
  objects: ObjectsMapped,
  dandisets: DandisetsMapped,
  summaryWriter: OutputWriter | null,
): void {
  const mapped = Object.values(dandisets.records).filter((r) => r.tables > 0);
  summary.dandisetsMapped = mapped.length;
  summary.versionsMapped = mapped.reduce((sum, r) => sum + r.versions, 0);
  summary.assetTables = mapped.reduce((sum, r) => sum + r.tables, 0);
  summary.bytesSent = objects.archive.byDay.totalBytes();
  summary.distinctAddresses = run.distinctAddresses ?? setup.resolver.distinctAddresses;
  summary.filesWritten = run.writer.written;
  summary.filesUnchanged = run.writer.unchanged;
  summary.filesRemoved = run.writer.removed;
  summary.summariesFolder = setup.summariesFolder;
  summary.summaryFilesWritten = summaryWriter?.written ?? 0;
  summary.summaryFilesUnchanged = summaryWriter?.unchanged ?? 0;
  summary.summaryFilesRemoved = summaryWriter?.removed ?? 0;
  summary.errorLogPath = setup.errorLog.count > 0 ? setup.errorLog.path : null;
}

function sameJournal(journal: MapJournal, next: Omit<MapJournal, "format" | "batch">): boolean {
  const { format: _format, batch: _batch, ...rest } = journal;
  return JSON.stringify(rest) === JSON.stringify(next);
}

/** Whether the mapped folder holds nothing but what map keeps for itself (dot entries). */
function holdsNothingPublished(mappedFolder: string): boolean {
  return fs.readdirSync(mappedFolder).every((name) => name.startsWith("."));
}

/** Locks the binned folder unless it cannot be written (then bin cannot run in it either). */
function lockIfWritable(lockPath: string, unlock: (() => void)[]): void {
  try {
    unlock.push(acquireRunLock(lockPath));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EROFS" || code === "EPERM") return;
    throw error;
  }
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
