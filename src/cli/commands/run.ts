import type { Command } from "commander";
import { IP_KEY_VARIABLE } from "../../privacy/key-derivation.js";
import type { RunAllOptions, RunAllSummary, StepName } from "../../run/run-all.js";
import { formatSeconds } from "../format.js";
import { addIpKeyOption, addKeepRawLinesOption, type IpKeyFlags, ipKeyOfFlags } from "../ip-key-options.js";
import { addStuckAfterOption, type LockFlags, lockSettingsOf } from "../lock-options.js";
import { addLogObjectOptions, type LogObjectFlags } from "../log-object-options.js";
import { addNetworkTimeoutOption, type NetworkFlags, networkTimeoutMsOf } from "../network-options.js";
import { RUN_FLAGS } from "../option-flags.js";
import { commaList, positiveInteger, positiveNumber, wholeNumber } from "../options.js";
import { createProgress, type ProgressDisplay } from "../progress.js";
import { EXIT_FAILED, EXIT_OK, runCommand } from "../run-command.js";
import { generatedAtFromEnvironment } from "../source-date-epoch.js";
import { describeBinSummary } from "./bin.js";
import { describeMapSummary } from "./map.js";
import { describeReduceSummary, writeReduceFailures } from "./reduce.js";
import { describeReportSummary } from "./report.js";

interface RunFlags extends IpKeyFlags, LogObjectFlags, NetworkFlags, LockFlags {
  raw_s3_logs_folder_path: string;
  work_folder: string;
  catalog?: string;
  api_url?: string;
  ip_ranges_folder?: string;
  maximum_number_of_workers: number;
  maximum_buffer_size_in_mb: number;
  excluded_years: string[];
  excluded_ips: string[];
  no_report?: boolean;
  report?: boolean;
  quiet?: boolean;
  ip_key_warning?: boolean;
  region_disclosure_threshold?: number;
  publish_embargoed?: boolean;
  rebuild?: boolean;
}

const STEP_UNITS: Record<StepName, "bytes" | "items"> = {
  reduce: "bytes",
  bin: "bytes",
  map: "items",
  report: "items",
};

/** `run`: the whole chain, for cron. */
/** Printed by every run without a key (see README, "IP addresses at rest"). */
export const NO_IP_KEY_WARNING = `warning: no IP key: reduced/ and binned/ keep IP addresses in clear; set ${IP_KEY_VARIABLE} or --ip_key_file to encrypt them (--no-ip_key_warning hides this line)`;

export function configureRunCommand(command: Command): Command {
  command
    .description(
      "Run the whole chain on a work folder: reduce the new raw days, bin them, map to Dandisets and rebuild the " +
        "report. Each step does only what is new; a lock keeps two runs from overlapping (exit code 75 when another " +
        "run holds it). Made for a daily cron job.",
    )
    .requiredOption(
      "--raw_s3_logs_folder_path <folder>",
      "raw logs: a folder of YYYY/MM/DD.log day files, a folder of log objects as AWS delivers them, " +
        "or a bucket as s3://bucket/prefix/",
    )
    .requiredOption(
      "--work_folder <folder>",
      "folder for reduced/, binned/, mapped/ and report/ (created if missing)",
    )
    .option("--catalog <file>", "read Dandisets and assets from this snapshot instead of the API")
    .option(
      "--api_url <url>",
      "the DANDI API (default: DANDI_API_URL, else https://api.dandiarchive.org/api)",
    )
    .option(
      "--ip_ranges_folder <folder>",
      "folder of the cloud providers' IP range files, for regions like AWS/us-east-2",
    )
    .option(
      "--maximum_number_of_workers <n>",
      "threads reducing at once (a big day split among them), binning and mapping a rebuild, and drawing the report's pages",
      positiveInteger,
      1,
    )
    .option("--maximum_buffer_size_in_mb <mb>", "approximate memory for buffers", positiveNumber, 1000)
    .option("--excluded_years <years>", "comma-separated years to leave out", commaList, [])
    .option("--excluded_ips <ips>", "comma-separated IP addresses whose requests are left out", commaList, [])
    .option("--no-report", "stop after the tables, without the report")
    .option(
      "--publish_embargoed",
      "also publish Dandisets that are not open to all (by default they count in the archive's figures only)",
    )
    .option(
      "--rebuild",
      "rebuild everything from the raw logs (after an upgrade that changed the rows): reduced/, binned/ and " +
        "mapped/ are moved to previous-<time>/ first and kept; the summaries and the report are rewritten in place",
    )
    .option(
      "--region_disclosure_threshold <n>",
      "a summaries folder's by_region.tsv is published once it names more than n resolved regions, and " +
        "replaced only when more than n change (default 5; 0 publishes every change)",
      wholeNumber,
    );
  // Options shared with other commands, after the command's own.
  addIpKeyOption(command);
  addLogObjectOptions(command);
  addNetworkTimeoutOption(command);
  addKeepRawLinesOption(command);
  addStuckAfterOption(command);
  return command
    .option("--quiet", "no progress display")
    .option("--no-ip_key_warning", "no warning when IP addresses are kept in clear (no key given)")
    .action((flags: RunFlags) =>
      runCommand(
        RUN_FLAGS,
        async (signal) => {
          const generatedAt = generatedAtFromEnvironment();
          const ipKey = await ipKeyOfFlags(flags);
          if (ipKey === null && flags.ip_key_warning !== false)
            process.stderr.write(`${NO_IP_KEY_WARNING}\n`);
          const summary = await runWithProgress(
            {
              rawFolder: flags.raw_s3_logs_folder_path,
              workFolder: flags.work_folder,
              catalog: flags.catalog,
              api: { apiUrl: flags.api_url },
              ipRangesFolder: flags.ip_ranges_folder,
              workers: flags.maximum_number_of_workers,
              bufferBytes: flags.maximum_buffer_size_in_mb * 1024 * 1024,
              excludedYears: flags.excluded_years,
              excludedIps: flags.excluded_ips,
              settleHours: flags.settle_hours,
              inventory: flags.inventory,
              networkTimeoutMs: networkTimeoutMsOf(flags),
              skipReport: flags.report === false,
              ipKey,
              keepRawLines: flags.keep_raw_lines,
              regionDisclosureThreshold: flags.region_disclosure_threshold,
              publishEmbargoed: flags.publish_embargoed,
              rebuild: flags.rebuild,
              generatedAt,
              signal,
            },
            flags.quiet,
          );
          process.stdout.write(`${describeRunSummary(summary)}\n`);
          writeReduceFailures(summary.reduce);
          return runFailed(summary) ? EXIT_FAILED : EXIT_OK;
        },
        lockSettingsOf(flags),
      ),
    );
}

/** Runs the chain with one progress display per step. */
export async function runWithProgress(options: RunAllOptions, quiet = false): Promise<RunAllSummary> {
  const { runAll } = await import("../../run/run-all.js");
  const shown: { step: StepName | null; display: ProgressDisplay | null } = { step: null, display: null };
  try {
    return await runAll({
      ...options,
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      onProgress: (step, done, total) => {
        if (step !== shown.step) {
          shown.display?.stop();
          shown.step = step;
          shown.display = createProgress(step, STEP_UNITS[step], quiet);
        }
        if (total > 0) shown.display?.update(done, total);
      },
    });
  } finally {
    shown.display?.stop();
  }
}

export function runFailed(summary: RunAllSummary): boolean {
  return summary.reduce.failures.length > 0 || summary.map.failures.length > 0;
}

export function describeRunSummary(summary: RunAllSummary): string {
  const parts = [
    describeReduceSummary(summary.reduce),
    describeBinSummary(summary.bin),
    describeMapSummary(summary.map),
  ];
  if (summary.report !== null) parts.push(describeReportSummary(summary.report));
  if (summary.rebuilt !== null) parts.push(describeRebuild(summary.rebuilt));
  parts.push(
    `run: finished in ${formatSeconds(summary.seconds)}; tables in ${summary.folders.mapped}, access summaries in ${summary.folders.summaries}`,
  );
  return parts.join("\n\n");
}

function describeRebuild(rebuilt: NonNullable<RunAllSummary["rebuilt"]>): string {
  const lines = [
    `rebuild: the previous reduced/, binned/ and mapped/ are in ${rebuilt.previous}; remove it once the new tables are checked`,
  ];
  const missing = rebuilt.missingDays;
  if (missing.length > 0)
    lines.push(
      `warning: ${missing.length} days of the previous reduced folder came from no raw log this time (${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}): the raw logs no longer hold them; their rows are only in ${rebuilt.previous}`,
    );
  return lines.join("\n");
}
