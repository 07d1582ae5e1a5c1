import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import {
  type BinAllOptions,
  binAllReducedS3LogsByObjectKey,
  type Catalog,
  type DandiApiClientOptions,
  type FetchCatalogOptions,
  fetchCatalog,
  type GenerateRawLogsOptions,
  generateCatalog,
  generateRawLogs,
  generateRawLogsAsync,
  IpKey,
  type MapOptions,
  mapBinnedS3LogsToDandisets,
  type ReduceAllOptions,
  type ReduceFileOptions,
  type RekeyOptions,
  type RunAllOptions,
  reduceAllDandiRawS3Logs,
  reduceFile,
  rekeyWorkFolder,
  runAll,
  type UpdateIpRangesOptions,
  UsageError,
  updateIpRanges,
  writeCatalog,
} from "../src/index.ts";
import { type BuildReportOptions, buildReport } from "../src/report.ts";
import { tempFolder } from "./helpers.ts";

/**
 * Every exported step rejects every invalid option up front, with a UsageError whose `code` is
 * stable and whose message names the option as the library spells it, never a command-line flag.
 * Each table lists the step's options in a record typed against its options interface, so an
 * option added to a step without a case here fails the type check (`npm run lint`).
 */

interface Case {
  /** The options (or argument) named. */
  option: string;
  name: string;
  call: () => unknown;
  code: string;
}

const folders = tempFolder("options");
const RAW = path.join(folders, "raw");
const REDUCED = path.join(folders, "reduced");
const BINNED = path.join(folders, "binned");
const MAPPED = path.join(folders, "mapped");
const A_FILE = path.join(folders, "a-file");
const MISSING = path.join(folders, "missing");
/** A reduced folder inside the binned one, for bin's check that they lie apart. */
const REDUCED_IN_BINNED = path.join(BINNED, "reduced");
for (const folder of [RAW, REDUCED, BINNED, MAPPED, REDUCED_IN_BINNED]) fs.mkdirSync(folder);
fs.writeFileSync(A_FILE, "");
const CATALOG: Catalog = { dandisets: [] };
/** Nothing listens there: a check that let a call through would fail fast, not reach the archive. */
const NO_API = "http://127.0.0.1:9";
const NOT_A_SIGNAL = { aborted: false };

function expectBad<T>(option: keyof T & string, code: string, call: () => unknown, name = ""): Case {
  return { option, name: name || code, call, code };
}

const REDUCE: Record<keyof ReduceAllOptions | "options", Case[]> = ((base: ReduceAllOptions) => {
  const bad = (option: keyof ReduceAllOptions, value: unknown, code: string, name?: string) =>
    expectBad<ReduceAllOptions>(
      option,
      code,
      () => reduceAllDandiRawS3Logs({ ...base, [option]: value }),
      name,
    );
  return {
    options: [
      expectBad<{ options: 0 }>("options", "ERR_INVALID_OPTIONS", () =>
        reduceAllDandiRawS3Logs(undefined as unknown as ReduceAllOptions),
      ),
    ],
    rawFolder: [
      bad("rawFolder", 42, "ERR_INVALID_RAW_FOLDER"),
      bad("rawFolder", MISSING, "ERR_FOLDER_NOT_FOUND"),
      bad("rawFolder", A_FILE, "ERR_NOT_A_FOLDER"),
    ],
    reducedFolder: [
      bad("reducedFolder", "", "ERR_INVALID_REDUCED_FOLDER"),
      bad("reducedFolder", path.join(RAW, "out"), "ERR_OUTPUT_INSIDE_INPUT"),
    ],
    workers: [
      bad("workers", 0, "ERR_INVALID_WORKERS", "0"),
      bad("workers", 1.5, "ERR_INVALID_WORKERS", "1.5"),
    ],
    bufferBytes: [bad("bufferBytes", 1000, "ERR_INVALID_BUFFER_BYTES")],
    excludedYears: [
      bad("excludedYears", ["20x"], "ERR_INVALID_EXCLUDED_YEARS", "a year of three digits"),
      bad("excludedYears", "2019", "ERR_INVALID_EXCLUDED_YEARS", "a string, not a list"),
    ],
    excludedIps: [bad("excludedIps", ["not an address"], "ERR_INVALID_EXCLUDED_IPS")],
    operation: [bad("operation", "get", "ERR_INVALID_OPERATION")],
    maxLineBytes: [bad("maxLineBytes", 10, "ERR_INVALID_MAX_LINE_BYTES")],
    rangeBytes: [bad("rangeBytes", 0, "ERR_INVALID_RANGE_BYTES")],
    ipKey: [bad("ipKey", "a password", "ERR_INVALID_IP_KEY", "a password rather than an IpKey")],
    keepRawLines: [bad("keepRawLines", "yes", "ERR_INVALID_KEEP_RAW_LINES")],
    onProgress: [bad("onProgress", "every second", "ERR_INVALID_ON_PROGRESS")],
    signal: [bad("signal", NOT_A_SIGNAL, "ERR_INVALID_SIGNAL")],
    settleHours: [bad("settleHours", -1, "ERR_INVALID_SETTLE_HOURS", "-1")],
    networkTimeoutMs: [
      bad("networkTimeoutMs", 0, "ERR_INVALID_NETWORK_TIMEOUT_MS", "0"),
      bad("networkTimeoutMs", 2 ** 31, "ERR_INVALID_NETWORK_TIMEOUT_MS", "past what a timer can wait"),
    ],
    inventory: [
      bad("inventory", 3, "ERR_INVALID_INVENTORY"),
      bad("inventory", "manifest.json", "ERR_INVALID_INVENTORY", "for a folder, not a bucket"),
    ],
    now: [bad("now", "today", "ERR_INVALID_NOW")],
  };
})({ rawFolder: RAW, reducedFolder: REDUCED });

const REDUCE_FILE: Record<
  keyof ReduceFileOptions | "options" | "inputPath" | "outputPath" | "tempPath",
  Case[]
> = (() => {
  const input = path.join(RAW, "01.log");
  const output = path.join(REDUCED, "01.tsv");
  const temp = path.join(REDUCED, ".01.tsv.tmp");
  const bad = (option: keyof ReduceFileOptions, value: unknown, code: string) =>
    expectBad<ReduceFileOptions>(option, code, () => reduceFile(input, output, temp, { [option]: value }));
  const badPath = (option: string, paths: unknown[], code: string): Case => ({
    option,
    name: code,
    code,
    call: () => reduceFile(...(paths as [string, string, string])),
  });
  return {
    options: [badPath("options", [input, output, temp, "all"], "ERR_INVALID_OPTIONS")],
    inputPath: [badPath("inputPath", ["", output, temp], "ERR_INVALID_INPUT_PATH")],
    outputPath: [badPath("outputPath", [input, 1, temp], "ERR_INVALID_OUTPUT_PATH")],
    tempPath: [badPath("tempPath", [input, output, null], "ERR_INVALID_TEMP_PATH")],
    operation: [bad("operation", "GET", "ERR_INVALID_OPERATION")],
    excludedYears: [bad("excludedYears", new Set(["20"]), "ERR_INVALID_EXCLUDED_YEARS")],
    excludedIps: [bad("excludedIps", ["192.0.2.1 "], "ERR_INVALID_EXCLUDED_IPS")],
    maxLineBytes: [bad("maxLineBytes", 5, "ERR_INVALID_MAX_LINE_BYTES")],
    outputBufferBytes: [bad("outputBufferBytes", 0, "ERR_INVALID_OUTPUT_BUFFER_BYTES")],
    readBufferBytes: [bad("readBufferBytes", 0, "ERR_INVALID_READ_BUFFER_BYTES")],
    readBuffer: [bad("readBuffer", "buffer", "ERR_INVALID_READ_BUFFER")],
    range: [bad("range", { start: 5, end: 2 }, "ERR_INVALID_RANGE")],
    flushAsWritten: [bad("flushAsWritten", 1, "ERR_INVALID_FLUSH_AS_WRITTEN")],
    header: [bad("header", "no", "ERR_INVALID_HEADER")],
    ipKeyBytes: [bad("ipKeyBytes", new Uint8Array(16), "ERR_INVALID_IP_KEY_BYTES")],
    onProgress: [bad("onProgress", "yes", "ERR_INVALID_ON_PROGRESS")],
    onMalformed: [bad("onMalformed", 1, "ERR_INVALID_ON_MALFORMED")],
    displayName: [bad("displayName", 5, "ERR_INVALID_DISPLAY_NAME")],
  };
})();

const BIN: Record<keyof BinAllOptions, Case[]> = ((base: BinAllOptions) => {
  const bad = (option: keyof BinAllOptions, value: unknown, code: string) =>
    expectBad<BinAllOptions>(option, code, () =>
      binAllReducedS3LogsByObjectKey({ ...base, [option]: value }),
    );
  return {
    reducedFolder: [
      bad("reducedFolder", null, "ERR_INVALID_REDUCED_FOLDER"),
      bad("reducedFolder", MISSING, "ERR_FOLDER_NOT_FOUND"),
      bad("reducedFolder", REDUCED_IN_BINNED, "ERR_OUTPUT_INSIDE_INPUT"),
    ],
    binnedFolder: [
      bad("binnedFolder", 7, "ERR_INVALID_BINNED_FOLDER"),
      bad("binnedFolder", path.join(REDUCED, "binned"), "ERR_OUTPUT_INSIDE_INPUT"),
    ],
    fileLimit: [bad("fileLimit", 0, "ERR_INVALID_FILE_LIMIT")],
    workers: [bad("workers", 0, "ERR_INVALID_WORKERS"), bad("workers", 1.5, "ERR_INVALID_WORKERS")],
    bufferBytes: [bad("bufferBytes", Number.NaN, "ERR_INVALID_BUFFER_BYTES")],
    onProgress: [bad("onProgress", 1, "ERR_INVALID_ON_PROGRESS")],
    signal: [bad("signal", NOT_A_SIGNAL, "ERR_INVALID_SIGNAL")],
    keepRawLines: [bad("keepRawLines", 1, "ERR_INVALID_KEEP_RAW_LINES")],
  };
})({ reducedFolder: REDUCED, binnedFolder: BINNED });

/** The API client's options, as fetchCatalog takes them and as map and runAll take them under `api`. */
function apiCases(
  call: (api: DandiApiClientOptions) => unknown,
): Record<keyof DandiApiClientOptions, Case[]> {
  const bad = (option: keyof DandiApiClientOptions, value: unknown, code: string, name?: string) =>
    expectBad<DandiApiClientOptions>(option, code, () => call({ apiUrl: NO_API, [option]: value }), name);
  return {
    apiUrl: [
      bad("apiUrl", "not a url", "ERR_INVALID_API_URL", "not a URL"),
      bad("apiUrl", "ftp://example.org", "ERR_INVALID_API_URL", "not http"),
    ],
    apiKey: [bad("apiKey", 12, "ERR_INVALID_API_KEY")],
    concurrency: [bad("concurrency", 0, "ERR_INVALID_CONCURRENCY", "0 (would wait forever)")],
    timeoutMs: [bad("timeoutMs", 0, "ERR_INVALID_TIMEOUT_MS")],
    retry: [
      bad("retry", 3, "ERR_INVALID_RETRY"),
      bad("retry", { attempts: 0 }, "ERR_INVALID_ATTEMPTS", "retry.attempts 0"),
      bad("retry", { baseDelayMs: -1 }, "ERR_INVALID_BASE_DELAY_MS", "retry.baseDelayMs -1"),
      bad("retry", { maxDelayMs: Number.NaN }, "ERR_INVALID_MAX_DELAY_MS", "retry.maxDelayMs NaN"),
      bad("retry", { maxRetryAfterMs: "1s" }, "ERR_INVALID_MAX_RETRY_AFTER_MS", "retry.maxRetryAfterMs text"),
    ],
    signal: [bad("signal", NOT_A_SIGNAL, "ERR_INVALID_SIGNAL")],
    onRetry: [bad("onRetry", true, "ERR_INVALID_ON_RETRY")],
  };
}

const SELECTION_CASES = <T extends { restrictTo?: unknown }>(call: (options: Partial<T>) => unknown) => ({
  restrictTo: [
    expectBad<T>("restrictTo" as keyof T & string, "ERR_INVALID_RESTRICT_TO", () =>
      call({ restrictTo: ["12"] } as Partial<T>),
    ),
  ],
  excluded: [
    expectBad<T>("excluded" as keyof T & string, "ERR_INVALID_EXCLUDED", () =>
      call({ excluded: "000003" } as unknown as Partial<T>),
    ),
  ],
  limit: [
    expectBad<T>("limit" as keyof T & string, "ERR_INVALID_LIMIT", () =>
      call({ limit: 0 } as unknown as Partial<T>),
    ),
  ],
});

const FETCH: Record<keyof FetchCatalogOptions | "options", Case[]> = (() => {
  const fetchWith = (options: Partial<FetchCatalogOptions>) => fetchCatalog({ apiUrl: NO_API, ...options });
  return {
    options: [
      expectBad<{ options: 0 }>("options", "ERR_INVALID_OPTIONS", () =>
        fetchCatalog("000003" as unknown as FetchCatalogOptions),
      ),
    ],
    ...apiCases((api) => fetchCatalog(api)),
    ...SELECTION_CASES<FetchCatalogOptions>(fetchWith),
    onProgress: [
      expectBad<FetchCatalogOptions>("onProgress", "ERR_INVALID_ON_PROGRESS", () =>
        fetchWith({ onProgress: 1 as never }),
      ),
    ],
    onWarning: [
      expectBad<FetchCatalogOptions>("onWarning", "ERR_INVALID_ON_WARNING", () =>
        fetchWith({ onWarning: "log" as never }),
      ),
    ],
  };
})();

const WRITE_CATALOG: Record<"file" | "catalog", Case[]> = {
  file: [
    {
      option: "file",
      name: "ERR_INVALID_FILE",
      code: "ERR_INVALID_FILE",
      call: () => writeCatalog("", CATALOG),
    },
  ],
  catalog: [
    {
      option: "catalog",
      name: "not a catalog",
      code: "ERR_INVALID_CATALOG",
      call: () => writeCatalog(path.join(folders, "c.json"), {} as Catalog),
    },
    {
      option: "catalog",
      name: "an asset without a blob or zarr",
      code: "ERR_INVALID_CATALOG",
      call: () =>
        writeCatalog(path.join(folders, "c.json"), {
          dandisets: [
            {
              identifier: "000003",
              versions: [
                {
                  version: "draft",
                  assets: [{ asset_id: "a", path: "x.nwb", blob: null, zarr: null, size: 1 }],
                },
              ],
            },
          ],
        }),
    },
  ],
};

const MAP: Record<keyof MapOptions | "options", Case[]> = ((base: MapOptions) => {
  const mapWith = (options: Partial<MapOptions>) => mapBinnedS3LogsToDandisets({ ...base, ...options });
  const bad = (option: keyof MapOptions, value: unknown, code: string, name?: string) =>
    expectBad<MapOptions>(option, code, () => mapWith({ [option]: value }), name);
  const api = apiCases((apiOptions) => mapWith({ api: apiOptions }));
  return {
    options: [
      expectBad<{ options: 0 }>("options", "ERR_INVALID_OPTIONS", () =>
        mapBinnedS3LogsToDandisets(null as never),
      ),
    ],
    binnedFolder: [
      bad("binnedFolder", 1, "ERR_INVALID_BINNED_FOLDER"),
      bad("binnedFolder", MISSING, "ERR_FOLDER_NOT_FOUND"),
    ],
    mappedFolder: [
      bad("mappedFolder", undefined, "ERR_INVALID_MAPPED_FOLDER"),
      bad("mappedFolder", path.join(BINNED, "mapped"), "ERR_OUTPUT_INSIDE_INPUT"),
    ],
    catalog: [
      bad("catalog", 5, "ERR_INVALID_CATALOG", "a number"),
      bad("catalog", { dandisets: "all" }, "ERR_INVALID_CATALOG", "a catalog of the wrong shape"),
      bad("catalog", MISSING, "ERR_CATALOG_NOT_READABLE", "a missing file"),
    ],
    api: [bad("api", "public", "ERR_INVALID_API"), ...Object.values(api).flat()],
    objectType: [bad("objectType", "trees", "ERR_INVALID_OBJECT_TYPE")],
    workers: [bad("workers", 0, "ERR_INVALID_WORKERS"), bad("workers", "2", "ERR_INVALID_WORKERS")],
    rebuild: [bad("rebuild", "yes", "ERR_INVALID_REBUILD")],
    publishEmbargoed: [bad("publishEmbargoed", 1, "ERR_INVALID_PUBLISH_EMBARGOED")],
    summariesFolder: [
      bad("summariesFolder", 7, "ERR_INVALID_SUMMARIES_FOLDER", "a number"),
      bad(
        "summariesFolder",
        path.join(BINNED, "summaries"),
        "ERR_OUTPUT_INSIDE_INPUT",
        "inside the binned folder",
      ),
    ],
    regionDisclosureThreshold: [
      bad("regionDisclosureThreshold", -1, "ERR_INVALID_REGION_DISCLOSURE_THRESHOLD", "negative"),
      bad("regionDisclosureThreshold", 2.5, "ERR_INVALID_REGION_DISCLOSURE_THRESHOLD", "a fraction"),
      // The rounding DANDI's page cannot read is gone; a caller that still passes it hears why.
      expectBad<MapOptions>(
        "regionDisclosureThreshold",
        "ERR_RETIRED_OPTION",
        () => mapWith({ privacyThreshold: 50 } as never),
        "privacyThreshold, retired",
      ),
      expectBad<MapOptions>(
        "regionDisclosureThreshold",
        "ERR_RETIRED_OPTION",
        () => mapWith({ privacyRounding: 20 } as never),
        "privacyRounding, retired",
      ),
    ],
    ipKey: [bad("ipKey", new Uint8Array(32), "ERR_INVALID_IP_KEY")],
    keepRawLines: [bad("keepRawLines", "no", "ERR_INVALID_KEEP_RAW_LINES")],
    ipRangesFolder: [
      bad("ipRangesFolder", 3, "ERR_INVALID_IP_RANGES_FOLDER", "a number"),
      bad("ipRangesFolder", MISSING, "ERR_INVALID_IP_RANGES_FOLDER", "a missing folder"),
    ],
    ...SELECTION_CASES<MapOptions>(mapWith),
    onProgress: [bad("onProgress", [], "ERR_INVALID_ON_PROGRESS")],
    onWarning: [bad("onWarning", {}, "ERR_INVALID_ON_WARNING")],
    signal: [bad("signal", NOT_A_SIGNAL, "ERR_INVALID_SIGNAL")],
  };
})({ binnedFolder: BINNED, mappedFolder: MAPPED, catalog: CATALOG });

const REPORT: Record<keyof BuildReportOptions | "options", Case[]> = ((base: BuildReportOptions) => {
  const bad = (option: keyof BuildReportOptions, value: unknown, code: string, name?: string) =>
    expectBad<BuildReportOptions>(option, code, () => buildReport({ ...base, [option]: value }), name);
  const busy = tempFolder("options-busy");
  fs.writeFileSync(path.join(busy, "thesis.tex"), "");
  return {
    options: [
      expectBad<{ options: 0 }>("options", "ERR_INVALID_OPTIONS", () => buildReport(undefined as never)),
    ],
    summariesFolder: [bad("summariesFolder", 9, "ERR_INVALID_SUMMARIES_FOLDER", "a number")],
    mappedFolder: [
      bad("mappedFolder", 1, "ERR_INVALID_MAPPED_FOLDER"),
      bad("mappedFolder", MISSING, "ERR_FOLDER_NOT_FOUND"),
    ],
    outputFolder: [
      bad("outputFolder", null, "ERR_INVALID_OUTPUT_FOLDER"),
      bad("outputFolder", path.join(MAPPED, "report"), "ERR_OUTPUT_INSIDE_INPUT"),
      bad("outputFolder", folders, "ERR_OUTPUT_HOLDS_INPUT"),
      bad("outputFolder", busy, "ERR_OUTPUT_NOT_A_REPORT"),
      bad("outputFolder", A_FILE, "ERR_NOT_A_FOLDER"),
    ],
    signal: [bad("signal", NOT_A_SIGNAL, "ERR_INVALID_SIGNAL")],
    onProgress: [bad("onProgress", 0, "ERR_INVALID_ON_PROGRESS")],
    workers: [
      bad("workers", 0, "ERR_INVALID_WORKERS", "0"),
      bad("workers", 2.5, "ERR_INVALID_WORKERS", "2.5"),
    ],
    generatedAt: [
      bad("generatedAt", "2024-01-01", "ERR_INVALID_GENERATED_AT", "a string"),
      bad("generatedAt", new Date(Number.NaN), "ERR_INVALID_GENERATED_AT", "an invalid Date"),
    ],
  };
})({ mappedFolder: MAPPED, outputFolder: path.join(folders, "report") });

const RUN: Record<keyof RunAllOptions | "options", Case[]> = ((base: RunAllOptions) => {
  const bad = (option: keyof RunAllOptions, value: unknown, code: string, name?: string) =>
    expectBad<RunAllOptions>(option, code, () => runAll({ ...base, [option]: value }), name);
  const api = apiCases((apiOptions) => runAll({ ...base, api: apiOptions }));
  return {
    options: [expectBad<{ options: 0 }>("options", "ERR_INVALID_OPTIONS", () => runAll("daily" as never))],
    rawFolder: [
      bad("rawFolder", false, "ERR_INVALID_RAW_FOLDER"),
      bad("rawFolder", MISSING, "ERR_FOLDER_NOT_FOUND"),
    ],
    workFolder: [
      bad("workFolder", 0, "ERR_INVALID_WORK_FOLDER"),
      bad("workFolder", path.join(RAW, "work"), "ERR_OUTPUT_INSIDE_INPUT"),
    ],
    catalog: [bad("catalog", 5, "ERR_INVALID_CATALOG")],
    api: [bad("api", 8, "ERR_INVALID_API"), ...Object.values(api).flat()],
    ipRangesFolder: [bad("ipRangesFolder", {}, "ERR_INVALID_IP_RANGES_FOLDER")],
    workers: [bad("workers", -1, "ERR_INVALID_WORKERS")],
    bufferBytes: [bad("bufferBytes", 0, "ERR_INVALID_BUFFER_BYTES")],
    excludedYears: [bad("excludedYears", ["19"], "ERR_INVALID_EXCLUDED_YEARS")],
    excludedIps: [bad("excludedIps", [42], "ERR_INVALID_EXCLUDED_IPS")],
    settleHours: [bad("settleHours", "3", "ERR_INVALID_SETTLE_HOURS")],
    inventory: [bad("inventory", "", "ERR_INVALID_INVENTORY")],
    networkTimeoutMs: [bad("networkTimeoutMs", "60s", "ERR_INVALID_NETWORK_TIMEOUT_MS")],
    skipReport: [bad("skipReport", "yes", "ERR_INVALID_SKIP_REPORT")],
    regionDisclosureThreshold: [
      bad("regionDisclosureThreshold", "5", "ERR_INVALID_REGION_DISCLOSURE_THRESHOLD", "a string"),
    ],
    publishEmbargoed: [bad("publishEmbargoed", "yes", "ERR_INVALID_PUBLISH_EMBARGOED")],
    rebuild: [bad("rebuild", 1, "ERR_INVALID_REBUILD")],
    ipKey: [bad("ipKey", {}, "ERR_INVALID_IP_KEY")],
    keepRawLines: [bad("keepRawLines", 0, "ERR_INVALID_KEEP_RAW_LINES")],
    generatedAt: [bad("generatedAt", new Date(Number.NaN), "ERR_INVALID_GENERATED_AT")],
    onProgress: [bad("onProgress", 1, "ERR_INVALID_ON_PROGRESS")],
    onWarning: [bad("onWarning", 1, "ERR_INVALID_ON_WARNING")],
    signal: [bad("signal", NOT_A_SIGNAL, "ERR_INVALID_SIGNAL")],
  };
})({ rawFolder: RAW, workFolder: path.join(folders, "work"), catalog: MISSING });

const GENERATE: Record<keyof GenerateRawLogsOptions | "options" | "folder", Case[]> = (() => {
  const out = path.join(folders, "generated");
  const bad = (option: keyof GenerateRawLogsOptions, value: unknown, code: string, name?: string) =>
    expectBad<GenerateRawLogsOptions>(
      option,
      code,
      () => generateRawLogs(out, { days: 1, [option]: value }),
      name,
    );
  return {
    folder: [
      {
        option: "folder",
        name: "ERR_INVALID_FOLDER",
        code: "ERR_INVALID_FOLDER",
        call: () => generateRawLogs("", {}),
      },
    ],
    options: [
      expectBad<{ options: 0 }>("options", "ERR_INVALID_OPTIONS", () => generateRawLogs(out, 3 as never)),
    ],
    seed: [bad("seed", -1, "ERR_INVALID_SEED")],
    startDate: [
      bad("startDate", "2024-02-31", "ERR_INVALID_START_DATE", "a day that does not exist"),
      bad("startDate", "01/02/2024", "ERR_INVALID_START_DATE", "another shape"),
    ],
    days: [bad("days", 0, "ERR_INVALID_DAYS")],
    bytesPerDay: [bad("bytesPerDay", 0.5, "ERR_INVALID_BYTES_PER_DAY")],
    damageRate: [bad("damageRate", 2, "ERR_INVALID_DAMAGE_RATE")],
    damageKinds: [bad("damageKinds", ["fire"], "ERR_INVALID_DAMAGE_KINDS")],
    blobCount: [bad("blobCount", 0, "ERR_INVALID_BLOB_COUNT")],
    zarrCount: [bad("zarrCount", -3, "ERR_INVALID_ZARR_COUNT")],
    ipCount: [bad("ipCount", 0, "ERR_INVALID_IP_COUNT")],
    expectedReducedFolder: [bad("expectedReducedFolder", 5, "ERR_INVALID_EXPECTED_REDUCED_FOLDER")],
  };
})();

const GENERATE_CATALOG: Record<"pool" | "options" | "seed" | "dandisets", Case[]> = (() => {
  const pool = { blobs: [], zarrs: [] };
  const call = (options: unknown) => () => generateCatalog(pool, options as never);
  return {
    pool: [
      {
        option: "pool",
        name: "ERR_INVALID_POOL",
        code: "ERR_INVALID_POOL",
        call: () => generateCatalog(null as never),
      },
    ],
    options: [
      { option: "options", name: "ERR_INVALID_OPTIONS", code: "ERR_INVALID_OPTIONS", call: call("x") },
    ],
    seed: [{ option: "seed", name: "ERR_INVALID_SEED", code: "ERR_INVALID_SEED", call: call({ seed: 1.5 }) }],
    dandisets: [
      {
        option: "dandisets",
        name: "ERR_INVALID_DANDISETS",
        code: "ERR_INVALID_DANDISETS",
        call: call({ dandisets: 0 }),
      },
    ],
  };
})();

const REKEY: Record<keyof RekeyOptions | "options", Case[]> = (() => {
  const key = IpKey.fromPassword("a-Test-key-of-24-chars!!");
  const base: RekeyOptions = { workFolder: folders, ipKey: key };
  const bad = (option: keyof RekeyOptions, value: unknown, code: string, name?: string) =>
    expectBad<RekeyOptions>(option, code, () => rekeyWorkFolder({ ...base, [option]: value }), name);
  return {
    options: [expectBad<{ options: 0 }>("options", "ERR_INVALID_OPTIONS", () => rekeyWorkFolder(1 as never))],
    workFolder: [
      bad("workFolder", 3, "ERR_INVALID_WORK_FOLDER"),
      bad("workFolder", MISSING, "ERR_FOLDER_NOT_FOUND"),
    ],
    ipKey: [
      bad("ipKey", undefined, "ERR_INVALID_IP_KEY", "missing"),
      bad("ipKey", "pw", "ERR_INVALID_IP_KEY"),
    ],
    oldIpKey: [bad("oldIpKey", "pw", "ERR_INVALID_IP_KEY")],
    onProgress: [bad("onProgress", 1, "ERR_INVALID_ON_PROGRESS")],
    signal: [bad("signal", NOT_A_SIGNAL, "ERR_INVALID_SIGNAL")],
  };
})();

const UPDATE_IP_RANGES: Record<keyof UpdateIpRangesOptions | "options", Case[]> = (() => {
  // Nothing listens there: a check that let a call through would fail fast, not reach a provider.
  const base: UpdateIpRangesOptions = { urls: { AWS: NO_API, GCP: NO_API, GitHub: NO_API } };
  const bad = (option: keyof UpdateIpRangesOptions, value: unknown, code: string, name?: string) =>
    expectBad<UpdateIpRangesOptions>(option, code, () => updateIpRanges({ ...base, [option]: value }), name);
  return {
    options: [expectBad<{ options: 0 }>("options", "ERR_INVALID_OPTIONS", () => updateIpRanges(2 as never))],
    urls: [
      bad("urls", "https://example.org", "ERR_INVALID_URLS", "a string, not one per provider"),
      bad("urls", { ...base.urls, AWS: "ftp://example.org/ip-ranges.json" }, "ERR_INVALID_AWS_URL"),
      bad("urls", { ...base.urls, GCP: "cloud.json" }, "ERR_INVALID_GCP_URL"),
      bad("urls", { ...base.urls, GitHub: 42 }, "ERR_INVALID_GITHUB_URL"),
    ],
    timeoutMs: [bad("timeoutMs", 0, "ERR_INVALID_TIMEOUT_MS")],
    signal: [bad("signal", NOT_A_SIGNAL, "ERR_INVALID_SIGNAL")],
  };
})();

const STEPS: [string, Record<string, Case[]>][] = [
  ["rekeyWorkFolder", REKEY],
  ["reduceAllDandiRawS3Logs", REDUCE],
  ["reduceFile", REDUCE_FILE],
  ["binAllReducedS3LogsByObjectKey", BIN],
  ["mapBinnedS3LogsToDandisets", MAP],
  ["fetchCatalog", FETCH],
  ["writeCatalog", WRITE_CATALOG],
  ["buildReport", REPORT],
  ["runAll", RUN],
  ["generateRawLogs", GENERATE],
  [
    "generateRawLogsAsync",
    {
      signal: [
        expectBad<{ signal: 0 }>("signal", "ERR_INVALID_SIGNAL", () =>
          generateRawLogsAsync(path.join(folders, "generated-async"), { days: 1 }, NOT_A_SIGNAL as never),
        ),
      ],
    },
  ],
  ["generateCatalog", GENERATE_CATALOG],
  ["updateIpRanges", UPDATE_IP_RANGES],
];

async function rejectionOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return undefined;
}

for (const [step, table] of STEPS) {
  describe(`${step} rejects invalid options`, () => {
    for (const [option, cases] of Object.entries(table)) {
      test(`every option has a case: ${option}`, () => assert.ok(cases.length > 0));
      for (const testCase of cases) {
        test(`${option}: ${testCase.name}`, async () => {
          const error = await rejectionOf(testCase.call);
          assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
          assert.equal(error.code, testCase.code, error.message);
          assert.doesNotMatch(error.message, /--[a-z]/, "the library names options, not flags");
        });
      }
    }
  });
}

test("a rejected option is named in backticks and listed for the command line to translate", async () => {
  const error = await rejectionOf(() =>
    reduceAllDandiRawS3Logs({ rawFolder: RAW, reducedFolder: REDUCED, workers: 0 }),
  );
  assert.ok(error instanceof UsageError);
  assert.equal(error.message, "`workers` must be a whole number of 1 or more, not 0");
  assert.deepEqual(error.optionNames, ["workers"]);
});

test("fetchCatalog with concurrency 0 fails at once instead of waiting forever", async () => {
  const started = Date.now();
  await assert.rejects(fetchCatalog({ apiUrl: NO_API, concurrency: 0 }), { code: "ERR_INVALID_CONCURRENCY" });
  assert.ok(Date.now() - started < 5000);
});
