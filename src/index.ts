/**
 * dandi-s3-log-parser as a library: the S3 access log parser, and each step of the pipeline.
 */

// DANDI object keys.
export { toAssetKey } from "./dandi/object-key.js";
// Errors.
export { AbortedError, RunError, UsageError } from "./errors.js";
// Generated logs, for tests and benchmarks.
export { assetPoolFor, type GenerateRawLogsOptions, generateRawLogs } from "./generate/raw-logs.js";
export type { LineCounts } from "./reduce/line-counts.js";
// Reduce.
export {
  LogReducer,
  type LogReducerOptions,
  REDUCED_HEADER,
  type ReducerSink,
} from "./reduce/log-reducer.js";
export { type ReduceAllOptions, type ReduceSummary, reduceAllDandiRawS3Logs } from "./reduce/reduce-all.js";
export { type ReduceFileOptions, reduceFile } from "./reduce/reduce-file.js";
// The S3 access log format.
export { S3_LOG_FIELD_NAMES, type S3LogFieldName } from "./s3log/fields.js";
export { isOperation, LineLocator, LOCATED } from "./s3log/line-locator.js";
export { type ParseResult, parseS3LogLine, type S3LogRecord } from "./s3log/parse-line.js";
export {
  FILTER_REASONS,
  type FilterReason,
  MALFORMED_REASONS,
  type MalformedReason,
} from "./s3log/reasons.js";
export { isoTimestampOf } from "./s3log/timestamp.js";

// (bin) exports go here
// (map) exports go here
// (report) exports go here
