import type { Command } from "commander";
import type { BinSummary } from "../../bin/bin-all.js";
import { REJECT_DESCRIPTIONS, REJECT_REASONS } from "../../bin/reject-reasons.js";
import { formatBytes, formatCount, formatCountTable, formatSeconds, plural } from "../format.js";
import { addKeepRawLinesOption } from "../ip-key-options.js";
import { addStuckAfterOption, type LockFlags, lockSettingsOf } from "../lock-options.js";
import { BIN_FLAGS } from "../option-flags.js";
import { positiveInteger, positiveNumber } from "../options.js";
import { createProgress } from "../progress.js";
import { EXIT_OK, runCommand } from "../run-command.js";

interface BinFlags extends LockFlags {
  reduced_s3_logs_folder_path: string;
  binned_s3_logs_folder_path: string;
  file_limit?: number;
  file_processing_limit?: number;
  maximum_number_of_workers: number;
  maximum_buffer_size_in_mb: number;
  quiet?: boolean;
  keep_raw_lines?: boolean;
}

/** The options of the bin step: the original tool's names, plus a memory bound. */
export function configureBinCommand(command: Command): Command {
  command
    .description(
      "Bin reduced days (YYYY/MM/DD.tsv) into one table per object: blobs/aaa/bbb/<uuid>.tsv and zarr/<uuid>.tsv " +
        "with timestamp, bytes sent and IP address, rows in time order. Only days not binned yet are read, so a " +
        "daily run adds the new days; a run stopped at any moment, even killed, is undone up to its last " +
        "finished batch and the next run carries on. Rows whose object key is not a DANDI blob or Zarr key are " +
        "never written; they are listed with file and line in the error log.",
    )
    .requiredOption(
      "--reduced_s3_logs_folder_path <folder>",
      "folder of reduced days, laid out as YYYY/MM/DD.tsv (the reduce step's output)",
    )
    .requiredOption(
      "--binned_s3_logs_folder_path <folder>",
      "folder the object tables are written to (created if missing; must not be inside the reduced folder)",
    )
    .option("--file_limit <n>", "bin at most this many days in this run, the earliest first", positiveInteger)
    .option(
      "--file_processing_limit <n>",
      "same as --file_limit (the original README's spelling)",
      positiveInteger,
    )
    .option(
      "--maximum_number_of_workers <n>",
      "threads binning at once (the main thread and n-1 workers), each writing the files of a share of the objects",
      positiveInteger,
      1,
    )
    .option(
      "--maximum_buffer_size_in_mb <mb>",
      "approximate memory for the rows held at once; days are binned in batches of about this size, " +
        "each object file written once per batch",
      positiveNumber,
      1000,
    );
  // Options shared with other commands, after the command's own.
  addKeepRawLinesOption(command);
  addStuckAfterOption(command);
  return command.option("--quiet", "no progress display").action((flags: BinFlags) =>
    runCommand(
      BIN_FLAGS,
      async (signal) => {
        const { binAllReducedS3LogsByObjectKey } = await import("../../bin/bin-all.js");
        const progress = await createProgress("bin", "bytes", flags.quiet);
        let summary: BinSummary;
        try {
          summary = await binAllReducedS3LogsByObjectKey({
            reducedFolder: flags.reduced_s3_logs_folder_path,
            binnedFolder: flags.binned_s3_logs_folder_path,
            fileLimit: flags.file_limit ?? flags.file_processing_limit,
            workers: flags.maximum_number_of_workers,
            bufferBytes: flags.maximum_buffer_size_in_mb * 1024 * 1024,
            keepRawLines: flags.keep_raw_lines,
            signal,
            onProgress: (p) => progress.update(p.bytesDone, p.bytesTotal),
          });
        } finally {
          progress.stop();
        }
        process.stdout.write(`${describeBinSummary(summary)}\n`);
        return EXIT_OK;
      },
      lockSettingsOf(flags),
    ),
  );
}

export function describeBinSummary(summary: BinSummary): string {
  const lines = [
    `bin: ${plural(summary.daysBinned, "day")} binned, ${summary.daysAlreadyBinned} already binned` +
      (summary.daysLeft > 0 ? `, ${summary.daysLeft} left for later runs (--file_limit)` : "") +
      ` (${formatBytes(summary.bytesRead)} in ${formatSeconds(summary.seconds)}, ${plural(summary.batches, "batch")}` +
      `${summary.threads > 1 ? `, on ${summary.threads} threads` : ""})`,
  ];
  if (summary.rolledBackInterruptedBatch)
    lines.push("an interrupted batch of an earlier run was undone; its days were binned again");
  const rejected = REJECT_REASONS.reduce((sum, reason) => sum + summary.rowsRejected[reason], 0);
  const rows: [string, number, string][] = [
    ["rows binned", summary.rowsBinned, ""],
    ["rows rejected", rejected, summary.errorLogPath === null ? "" : `listed in ${summary.errorLogPath}`],
  ];
  for (const reason of REJECT_REASONS) {
    const n = summary.rowsRejected[reason];
    if (n > 0) rows.push([`  ${reason}`, n, REJECT_DESCRIPTIONS[reason]]);
  }
  rows.push(["object files written", summary.objectsWritten, `${formatCount(summary.objectsCreated)} new`]);
  if (summary.ambiguousTies > 0) {
    rows.push([
      "ambiguous ties",
      summary.ambiguousTies,
      "same-second rows of a backfilled day, placed after",
    ]);
  }
  lines.push(formatCountTable(rows));
  return lines.join("\n");
}
