import type { Command } from "commander";
import type { ReduceSummary } from "../../reduce/reduce-all.js";
import { DEFAULT_OPERATION } from "../../s3log/fields.js";
import { formatBytes, formatLineCounts, formatSeconds, plural } from "../format.js";
import { addIpKeyOption, addKeepRawLinesOption, type IpKeyFlags, ipKeyOfFlags } from "../ip-key-options.js";
import { REDUCE_FLAGS } from "../option-flags.js";
import { commaList, positiveInteger, positiveNumber } from "../options.js";
import { withProgress } from "../progress.js";
import { EXIT_FAILED, EXIT_OK, runCommand } from "../run-command.js";

interface ReduceFlags extends IpKeyFlags {
  raw_s3_logs_folder_path: string;
  reduced_s3_logs_folder_path: string;
  maximum_number_of_workers: number;
  maximum_buffer_size_in_mb: number;
  excluded_years: string[];
  excluded_ips: string[];
  operation_type: string;
  quiet?: boolean;
}

/** The options of the reduce step, the original tool's names and defaults. */
export function configureReduceCommand(command: Command): Command {
  addIpKeyOption(command);
  addKeepRawLinesOption(command);
  return command
    .description(
      "Reduce raw S3 access logs (YYYY/MM/DD.log) to one small table per day (YYYY/MM/DD.tsv) of the downloads " +
        "of DANDI assets: timestamp, IP address, object key and bytes sent. Days already reduced are skipped.",
    )
    .requiredOption("--raw_s3_logs_folder_path <folder>", "folder of raw logs, laid out as YYYY/MM/DD.log")
    .requiredOption(
      "--reduced_s3_logs_folder_path <folder>",
      "folder the reduced days are written to (created if missing)",
    )
    .option(
      "--maximum_number_of_workers <n>",
      "threads reducing at once (the main thread and n-1 workers); a big day is split among them",
      positiveInteger,
      1,
    )
    .option(
      "--maximum_buffer_size_in_mb <mb>",
      "approximate memory for read buffers, split over the workers",
      positiveNumber,
      1000,
    )
    .option(
      "--excluded_years <years>",
      "comma-separated years to leave out, such as 2019,2020",
      commaList,
      [],
    )
    .option("--excluded_ips <ips>", "comma-separated IP addresses whose requests are left out", commaList, [])
    .option("--operation_type <operation>", "the S3 operation to keep", DEFAULT_OPERATION)
    .option("--quiet", "no progress display")
    .action((flags: ReduceFlags) =>
      runCommand(REDUCE_FLAGS, async (signal) => {
        const { reduceAllDandiRawS3Logs } = await import("../../reduce/reduce-all.js");
        const ipKey = await ipKeyOfFlags(flags);
        const summary = await withProgress("reduce", "bytes", flags.quiet, (update) =>
          reduceAllDandiRawS3Logs({
            rawFolder: flags.raw_s3_logs_folder_path,
            reducedFolder: flags.reduced_s3_logs_folder_path,
            workers: flags.maximum_number_of_workers,
            bufferBytes: flags.maximum_buffer_size_in_mb * 1024 * 1024,
            excludedYears: flags.excluded_years,
            excludedIps: flags.excluded_ips,
            operation: flags.operation_type,
            ipKey,
            keepRawLines: flags.keep_raw_lines,
            signal,
            onProgress: (p) => update(p.bytesDone, p.bytesTotal),
          }),
        );
        process.stdout.write(`${describeReduceSummary(summary)}\n`);
        return summary.failures.length > 0 ? EXIT_FAILED : EXIT_OK;
      }),
    );
}

export function describeReduceSummary(summary: ReduceSummary): string {
  const rate = summary.seconds > 0 ? `, ${formatBytes(summary.bytesRead / summary.seconds)}/s` : "";
  const lines = [
    `reduce: ${plural(summary.filesReduced, "day file")} reduced, ${summary.filesAlreadyReduced} already reduced, ` +
      `${summary.filesInExcludedYears} in excluded years (${formatBytes(summary.bytesRead)} in ${formatSeconds(summary.seconds)}${rate})`,
  ];
  if (summary.filesReduced > 0) lines.push(formatLineCounts(summary.counts, summary.errorLogPath));
  for (const skipped of summary.filesSkipped) lines.push(`skipped: ${skipped.file}: ${skipped.reason}`);
  for (const failure of summary.failures) lines.push(`failed: ${failure.file}: ${failure.message}`);
  return lines.join("\n");
}
