/**
 * The report step, as `dandi-s3-log-parser/report`: apart from the rest of the library because it
 * loads a chart renderer that takes a third of a second to start.
 */
export {
  type BuildReportOptions,
  buildReport,
  REPORT_MARKER,
  type ReportSummary,
} from "./report/build-report.js";
