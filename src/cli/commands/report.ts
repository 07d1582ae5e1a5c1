import type { Command } from "commander";
import type { ReportSummary } from "../../report/build-report.js";
import { formatCount, formatSeconds } from "../format.js";
import { addStuckAfterOption, type LockFlags, lockSettingsOf } from "../lock-options.js";
import { REPORT_FLAGS } from "../option-flags.js";
import { positiveInteger } from "../options.js";
import { withProgress } from "../progress.js";
import { EXIT_OK, runCommand } from "../run-command.js";
import { generatedAtFromEnvironment } from "../source-date-epoch.js";

interface ReportFlags extends LockFlags {
  mapped_s3_logs_folder_path: string;
  output_folder: string;
  summaries_folder_path?: string;
  maximum_number_of_workers: number;
  quiet?: boolean;
}

/** The report step: the static site of charts and tables made from the mapped folder. */
export function configureReportCommand(command: Command): Command {
  addStuckAfterOption(command);
  return command
    .description(
      "Make a static usage report from mapped tables: index.html ranking the Dandisets, with archive-wide " +
        "totals and charts, and a page per Dandiset. Opens from disk; needs no server and no network. " +
        "A report already in the output folder is brought up to date: only the pages of Dandisets whose " +
        "tables changed are drawn again, and the index.",
    )
    .requiredOption(
      "--mapped_s3_logs_folder_path <folder>",
      "folder written by the map step (<dandiset>/<version>/… tables)",
    )
    .requiredOption(
      "--output_folder <folder>",
      "folder the report is written to (created, or replaced if it holds a report)",
    )
    .option(
      "--summaries_folder_path <folder>",
      "the access summaries map published (--summaries_folder_path of map): adds downloads, requesters and " +
        "the traffic on objects of no Dandiset",
    )
    .option(
      "--maximum_number_of_workers <n>",
      "threads drawing pages at once (the main thread and n-1 workers)",
      positiveInteger,
      1,
    )
    .option("--quiet", "no progress display")
    .action((flags: ReportFlags) =>
      runCommand(
        REPORT_FLAGS,
        async (signal) => {
          // Loaded here: the chart renderer takes a third of a second to load, which other commands need not pay.
          const { buildReport } = await import("../../report/build-report.js");
          const summary = await withProgress("report", "items", flags.quiet, (update) =>
            buildReport({
              mappedFolder: flags.mapped_s3_logs_folder_path,
              outputFolder: flags.output_folder,
              summariesFolder: flags.summaries_folder_path,
              generatedAt: generatedAtFromEnvironment(),
              workers: flags.maximum_number_of_workers,
              signal,
              onProgress: (p) => update(p.done, p.total),
            }),
          );
          process.stdout.write(`${describeReportSummary(summary)}\n`);
          return EXIT_OK;
        },
        lockSettingsOf(flags),
      ),
    );
}

export function describeReportSummary(summary: ReportSummary): string {
  const { tables, none } = summary.requestSources;
  const derived = summary.requestSources["asset files"];
  const drawn = summary.pagesWritten - 1;
  const kept = [
    summary.pagesUnchanged > 0 ? `${formatCount(summary.pagesUnchanged)} unchanged` : "",
    summary.pagesRemoved > 0 ? `${formatCount(summary.pagesRemoved)} removed` : "",
  ].filter((part) => part !== "");
  const lines = [
    `report: ${formatCount(drawn)} Dandiset pages and the index written in ${formatSeconds(summary.seconds)}` +
      (kept.length > 0 ? ` (${kept.join(", ")})` : ""),
  ];
  if (summary.dandisets === 0) {
    lines.push(
      "note: no Dandiset folders found (folders holding dandiset_summary_by_day.tsv); " +
        "is --mapped_s3_logs_folder_path the folder the map step wrote?",
    );
  }
  if (derived > 0 || none > 0) {
    lines.push(
      `requests: from request tables for ${formatCount(tables)} Dandisets, counted from asset files for ` +
        `${formatCount(derived)}, unknown for ${formatCount(none)}`,
    );
  }
  if (summary.chartWarnings.length > 0) {
    lines.push(
      `chart warnings (${summary.chartWarnings.length}): ${summary.chartWarnings.slice(0, 3).join("; ")}`,
    );
  }
  lines.push(summary.indexPath);
  return lines.join("\n");
}
