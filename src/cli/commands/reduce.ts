import type { Command } from "commander";
import type { ReduceSummary } from "../../reduce/reduce-all.js";
import { DEFAULT_OPERATION } from "../../s3log/fields.js";
import { formatBytes, formatLineCounts, formatSeconds, plural } from "../format.js";
import { addIpKeyOption, addKeepRawLinesOption, type IpKeyFlags, ipKeyOfFlags } from "../ip-key-options.js";
import { addStuckAfterOption, type LockFlags, lockSettingsOf } from "../lock-options.js";
import { addLogObjectOptions, type LogObjectFlags } from "../log-object-options.js";
import { addNetworkTimeoutOption, type NetworkFlags, networkTimeoutMsOf } from "../network-options.js";
import { REDUCE_FLAGS } from "../option-flags.js";
import { commaList, positiveInteger, positiveNumber } from "../options.js";
import { withProgress } from "../progress.js";
import { EXIT_FAILED, EXIT_OK, runCommand } from "../run-command.js";

interface ReduceFlags extends IpKeyFlags, LogObjectFlags, NetworkFlags, LockFlags {
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
  command
    .description(
      "Reduce raw S3 access logs (YYYY/MM/DD.log day files, or log objects as AWS delivers them, in a folder or " +
        "a bucket) to one small table per day (YYYY/MM/DD.tsv) of the downloads of DANDI assets: timestamp, IP " +
        "address, object key and bytes sent. Only what is new is reduced.",
    )
    .requiredOption(
      "--raw_s3_logs_folder_path <folder>",
      "raw logs: a folder of YYYY/MM/DD.log day files, a folder of log objects as AWS delivers them, " +
        "or a bucket as s3://bucket/prefix/",
    )
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
    .option("--operation_type <operation>", "the S3 operation to keep", DEFAULT_OPERATION);
  // Options shared with other commands, after the command's own.
  addIpKeyOption(command);
  addLogObjectOptions(command);
  addNetworkTimeoutOption(command);
  addKeepRawLinesOption(command);
  addStuckAfterOption(command);
  return command.option("--quiet", "no progress display").action((flags: ReduceFlags) =>
    runCommand(
      REDUCE_FLAGS,
      async (signal) => {
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
            settleHours: flags.settle_hours,
            inventory: flags.inventory,
            networkTimeoutMs: networkTimeoutMsOf(flags),
            ipKey,
            keepRawLines: flags.keep_raw_lines,
            signal,
            onProgress: (p) => update(p.bytesDone, p.bytesTotal),
          }),
        );
        process.stdout.write(`${describeReduceSummary(summary)}\n`);
        writeReduceFailures(summary);
        return summary.failures.length > 0 ? EXIT_FAILED : EXIT_OK;
      },
      lockSettingsOf(flags),
    ),
  );
}

export function describeReduceSummary(summary: ReduceSummary): string {
  const rate = summary.seconds > 0 ? `, ${formatBytes(summary.bytesRead / summary.seconds)}/s` : "";
  if (summary.objects !== null) return describeObjectSummary(summary);
  const lines = [
    `reduce: ${plural(summary.filesReduced, "day file")} reduced, ${summary.filesAlreadyReduced} already reduced, ` +
      `${summary.filesInExcludedYears} in excluded years (${formatBytes(summary.bytesRead)} in ${formatSeconds(summary.seconds)}${rate})`,
  ];
  if (summary.filesReduced > 0) lines.push(formatLineCounts(summary.counts, summary.errorLogPath));
  if (summary.filesGrown > 0)
    lines.push(
      `${plural(summary.filesGrown, "day file")} grew since reduced: the new lines were reduced as further units`,
    );
  for (const file of summary.filesStillBeingWritten)
    lines.push(
      `waiting: ${file}: modified in the last few minutes, probably still being written; the next run reduces it`,
    );
  for (const skipped of summary.filesSkipped) lines.push(`skipped: ${skipped.file}: ${skipped.reason}`);
  return lines.join("\n");
}

/** Files that could not be reduced go to standard error, where a cron job's mail and logs look. */
export function writeReduceFailures(summary: ReduceSummary): void {
  for (const failure of summary.failures)
    process.stderr.write(`failed: ${failure.file}: ${failure.message}\n`);
}

function describeObjectSummary(summary: ReduceSummary): string {
  const objects = summary.objects as NonNullable<ReduceSummary["objects"]>;
  const rate = summary.seconds > 0 ? `, ${formatBytes(summary.bytesRead / summary.seconds)}/s` : "";
  const lines = [
    `reduce: ${plural(objects.objectsReduced, "log object")} reduced, ${objects.objectsAlreadyReduced} already reduced, ` +
      `${objects.objectsWaiting} waiting for their days to settle (${formatBytes(summary.bytesRead)} in ${formatSeconds(summary.seconds)}${rate})`,
    `days settled through ${objects.settledThrough ?? "none"}: ${plural(objects.daysWritten.length, "day")} written, ` +
      `${plural(objects.lateUnits.length, "further unit")} of days already written (late lines), ` +
      `${plural(objects.daysPending.length, "day")} held until settled`,
  ];
  if (objects.objectsReduced > 0) lines.push(formatLineCounts(summary.counts, summary.errorLogPath));
  for (const unit of objects.lateUnits) lines.push(`late lines: ${unit}`);
  for (const skipped of summary.filesSkipped) lines.push(`skipped: ${skipped.file}: ${skipped.reason}`);
  return lines.join("\n");
}
