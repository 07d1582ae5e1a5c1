/**
 * dandi-s3-log-parser as a library: the S3 access log parser, and each step of the pipeline.
 * The report (which loads a chart renderer) is imported separately: `dandi-s3-log-parser/report`.
 */

// Bin.
export {
  type BinAllOptions,
  type BinProgress,
  type BinSummary,
  binAllReducedS3LogsByObjectKey,
  DEFAULT_BIN_BUFFER_BYTES,
} from "./bin/bin-all.js";
export { BINNED_HEADER, BINNED_STATUS_HEADER } from "./bin/object-files.js";
export { REJECT_REASONS, type RejectReason } from "./bin/reject-reasons.js";
// Map: the DANDI catalog (API or snapshot), regions and the mapping to Dandisets.
export {
  ApiStatusError,
  DandiApiClient,
  type DandiApiClientOptions,
  DEFAULT_API_URL,
} from "./dandi/api-client.js";
export {
  type Catalog,
  type CatalogAsset,
  type CatalogDandiset,
  CatalogError,
  type CatalogVersion,
  loadCatalog,
  writeCatalog,
} from "./dandi/catalog.js";
export { type FetchCatalogOptions, type FetchedCatalog, fetchCatalog } from "./dandi/fetch-catalog.js";
// DANDI object keys.
export { toAssetKey } from "./dandi/object-key.js";
// Errors the caller can act on.
export { AbortedError, type LibraryErrorOptions, RunError, UsageError } from "./errors.js";
// Which rows a work folder's reduced and binned folders hold: with the HTTP status or without.
export {
  BINNED_FORMAT_FILE,
  binnedFolderHasStatus,
  REDUCED_FORMAT_FILE,
  type ReducedFolderFormat,
  reducedFolderFormat,
} from "./formats/work-formats.js";
// Synthetic logs and catalogs, for trying the tool and for benchmarks.
export { type GeneratedCatalog, generateCatalog } from "./generate/catalog.js";
export {
  assetPoolFor,
  type GenerateRawLogsOptions,
  generateRawLogs,
  generateRawLogsAsync,
} from "./generate/raw-logs.js";
export {
  countryOfPublished,
  isCloudRegion,
  isResolvedRegion,
  publishedRegionOf,
  regionCoordinates,
} from "./geo/published-regions.js";
export {
  BOGON_REGION,
  RegionResolver,
  type RegionResolverOptions,
  UNKNOWN_REGION,
} from "./geo/region-resolver.js";
export {
  type FailedRangeFile,
  type UpdatedRangeFile,
  type UpdateIpRangesOptions,
  type UpdateIpRangesSummary,
  updateIpRanges,
} from "./geo/update-ip-ranges.js";
export { LockedError } from "./io/run-lock.js";
export { assetFileNames } from "./map/asset-file-names.js";
export {
  type MapOptions,
  type MapProgress,
  type MapSummary,
  mapBinnedS3LogsToDandisets,
} from "./map/map-binned.js";
// Reduce.
export { IP_KEY_VARIABLE, IpKey, passwordProblems } from "./privacy/ip-key.js";
export { AddressReader, IpTokenWriter, isIpToken } from "./privacy/ip-token.js";
export { maskAddresses } from "./privacy/mask-addresses.js";
export { type RekeyOptions, type RekeySummary, rekeyWorkFolder } from "./privacy/rekey.js";
export type { LineCounts } from "./reduce/line-counts.js";
export {
  LogReducer,
  type LogReducerOptions,
  REDUCED_HEADER,
  type ReducerSink,
} from "./reduce/log-reducer.js";
export { type ReduceAllOptions, type ReduceSummary, reduceAllDandiRawS3Logs } from "./reduce/reduce-all.js";
export { type ReduceFileOptions, reduceFile } from "./reduce/reduce-file.js";

// The daily chain.
export { type RunAllOptions, type RunAllSummary, runAll, type StepName } from "./run/run-all.js";
// The S3 access log format, for any bucket's logs.
export { DEFAULT_OPERATION, S3_LOG_FIELD_NAMES, type S3LogFieldName } from "./s3log/fields.js";
export { isOperation, LineLocator, LOCATED } from "./s3log/line-locator.js";
export { type ParseResult, parseS3LogLine, type S3LogRecord } from "./s3log/parse-line.js";
export {
  FILTER_REASONS,
  type FilterReason,
  MALFORMED_REASONS,
  type MalformedReason,
} from "./s3log/reasons.js";
export { isoTimestampOf } from "./s3log/timestamp.js";
