import { type Command, Option } from "commander";
import { UsageError } from "../../errors.js";
import type { MapProgress, MapSummary } from "../../map/map-binned.js";
import { formatBytes, formatCount, formatSeconds } from "../format.js";
import { addIpKeyOption, addKeepRawLinesOption, type IpKeyFlags, ipKeyOfFlags } from "../ip-key-options.js";
import { addStuckAfterOption, type LockFlags, lockSettingsOf } from "../lock-options.js";
import { addNetworkTimeoutOption, type NetworkFlags, networkTimeoutMsOf } from "../network-options.js";
import { MAP_FLAGS } from "../option-flags.js";
import { commaList, positiveInteger, wholeNumber } from "../options.js";
import { createProgress, type ProgressDisplay } from "../progress.js";
import { addRetiredPrivacyFlags, type RetiredFlags, refuseRetiredPrivacyFlags } from "../retired-flags.js";
import { EXIT_FAILED, EXIT_OK, runCommand } from "../run-command.js";

interface MapFlags extends IpKeyFlags, RetiredFlags, NetworkFlags, LockFlags {
  binned_s3_logs_folder_path: string;
  mapped_s3_logs_folder_path?: string;
  dandiset_logs_folder_path?: string;
  excluded_dandisets: string[];
  restrict_to_dandisets: string[];
  dandiset_limit?: number;
  object_type?: "blobs" | "zarr";
  api_url?: string;
  catalog?: string;
  ip_ranges_folder?: string;
  rebuild?: boolean;
  maximum_number_of_workers: number;
  summaries_folder_path?: string;
  region_disclosure_threshold?: number;
  publish_embargoed?: boolean;
  quiet?: boolean;
}

/** The options of the map step: the original tool's names, plus the catalog and region sources. */
export function configureMapCommand(command: Command): Command {
  command
    .description(
      "Map binned objects (blobs/aaa/bbb/<uuid>.tsv, zarr/<uuid>.tsv) to the Dandisets and versions that hold them: " +
        "one table per accessed asset with addresses turned into regions, and summaries by day, region and asset.",
    )
    .requiredOption(
      "--binned_s3_logs_folder_path <folder>",
      "folder of binned objects, as the bin step writes it",
    )
    .option(
      "--mapped_s3_logs_folder_path <folder>",
      "folder the Dandiset tables are written to (created if missing)",
    )
    .addOption(
      new Option(
        "--dandiset_logs_folder_path <folder>",
        "the same as --mapped_s3_logs_folder_path",
      ).hideHelp(),
    )
    .option(
      "--excluded_dandisets <ids>",
      "comma-separated Dandisets to leave out, such as 000003,000026",
      commaList,
      [],
    )
    .option("--restrict_to_dandisets <ids>", "comma-separated Dandisets to map, and no others", commaList, [])
    .option(
      "--dandiset_limit <n>",
      "map at most this many Dandisets (the first by identifier)",
      positiveInteger,
    )
    .addOption(new Option("--object_type <type>", "map only blobs or only Zarrs").choices(["blobs", "zarr"]))
    .option(
      "--api_url <url>",
      "the DANDI API (default: DANDI_API_URL, else https://api.dandiarchive.org/api)",
    )
    .option(
      "--catalog <file>",
      "read Dandisets and assets from this snapshot instead of the API (see the catalog command)",
    )
    .option(
      "--ip_ranges_folder <folder>",
      "folder of AWS ip-ranges.json, GCP cloud.json, GitHub meta, Azure service tags",
    )
    .option(
      "--rebuild",
      "forget what earlier runs kept and map every binned object again (after updating the location data, say)",
    )
    .option(
      "--maximum_number_of_workers <n>",
      "threads mapping a rebuild or a first map (the main thread and n-1 workers); a daily run uses one",
      positiveInteger,
      1,
    )
    .option(
      "--summaries_folder_path <folder>",
      "also publish access summaries here (summaries/<id>/by_day.tsv …, totals.json, archive_totals.json, " +
        "region_codes_to_coordinates.yaml), as DANDI's usage page reads them",
    )
    .option(
      "--publish_embargoed",
      "also publish Dandisets that are not open to all (embargoed; visible with DANDI_API_KEY): by default " +
        "they get no folder, since their assets' paths would show, and count in the archive's figures only",
    )
    .option(
      "--region_disclosure_threshold <n>",
      "in the summaries, a by_region.tsv is published once it names more than n resolved regions, and " +
        "replaced only when more than n change (default 5; 0 publishes every change)",
      wholeNumber,
    );
  addRetiredPrivacyFlags(command);
  addNetworkTimeoutOption(command);
  // Options shared with other commands, after the command's own.
  addIpKeyOption(command);
  addKeepRawLinesOption(command);
  addStuckAfterOption(command);
  return command.option("--quiet", "no progress display").action((flags: MapFlags) =>
    runCommand(
      MAP_FLAGS,
      async (signal) => {
        refuseRetiredPrivacyFlags(flags);
        const { mapBinnedS3LogsToDandisets } = await import("../../map/map-binned.js");
        const mappedFolder = mappedFolderOf(flags);
        const progress = phasedProgress(flags.quiet);
        let summary: MapSummary;
        try {
          summary = await mapBinnedS3LogsToDandisets({
            binnedFolder: flags.binned_s3_logs_folder_path,
            mappedFolder,
            catalog: flags.catalog,
            api: { apiUrl: flags.api_url, timeoutMs: networkTimeoutMsOf(flags) },
            restrictTo: flags.restrict_to_dandisets,
            excluded: flags.excluded_dandisets,
            limit: flags.dandiset_limit,
            objectType: flags.object_type,
            ipRangesFolder: flags.ip_ranges_folder,
            rebuild: flags.rebuild,
            workers: flags.maximum_number_of_workers,
            summariesFolder: flags.summaries_folder_path,
            regionDisclosureThreshold: flags.region_disclosure_threshold,
            publishEmbargoed: flags.publish_embargoed,
            ipKey: await ipKeyOfFlags(flags),
            keepRawLines: flags.keep_raw_lines,
            signal,
            onProgress: progress.update,
            onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
          });
        } finally {
          progress.stop();
        }
        process.stdout.write(`${describeMapSummary(summary)}\n`);
        return summary.failures.length > 0 ? EXIT_FAILED : EXIT_OK;
      },
      lockSettingsOf(flags),
    ),
  );
}

function mappedFolderOf(flags: MapFlags): string {
  const { mapped_s3_logs_folder_path: mapped, dandiset_logs_folder_path: alias } = flags;
  if (mapped !== undefined && alias !== undefined && mapped !== alias) {
    throw new UsageError(
      "--mapped_s3_logs_folder_path and --dandiset_logs_folder_path name the same folder; pass only one of them",
    );
  }
  const folder = mapped ?? alias;
  if (folder === undefined) {
    throw new UsageError(
      "--mapped_s3_logs_folder_path is missing; pass the folder the Dandiset tables go to",
    );
  }
  return folder;
}

/** One progress display per phase: Dandisets while the catalog is read, then objects. */
function phasedProgress(quiet = false): { update: (p: MapProgress) => void; stop: () => void } {
  let phase: MapProgress["phase"] | null = null;
  let display: ProgressDisplay | null = null;
  return {
    update(p) {
      if (p.phase !== phase) {
        display?.stop();
        phase = p.phase;
        display = createProgress(
          p.phase === "catalog" ? "catalog (Dandisets)" : "map (objects)",
          "items",
          quiet,
        );
      }
      display!.update(p.done, p.total);
    },
    stop() {
      display?.stop();
    },
  };
}

export function describeMapSummary(summary: MapSummary): string {
  const read =
    summary.objectsMapped === 0
      ? "no new rows to read"
      : `${formatCount(summary.rows)} rows read from ${formatCount(summary.objectsMapped)} changed objects`;
  const how = summary.rebuilt
    ? `everything mapped anew (${summary.rebuildReason})`
    : `${read}, ${formatCount(summary.dandisetsRedone)} Dandisets redone for catalog changes`;
  const lines = [
    `map: ${formatCount(summary.dandisetsMapped)} Dandisets mapped (${formatCount(summary.versionsMapped)} versions) of ` +
      `${formatCount(summary.dandisetsSelected)} selected, ${formatCount(summary.dandisetsEmbargoed.length)} skipped as embargoed; ` +
      `${formatCount(summary.assetTables)} asset tables, ${formatBytes(Number(summary.bytesSent))} sent in all; ` +
      `${summary.rebuilt ? `${formatCount(summary.rows)} rows of ${formatCount(summary.objectsMapped)} objects, ` : ""}` +
      `${how}, in ${formatSeconds(summary.seconds)}${summary.threads > 1 ? ` on ${summary.threads} threads` : ""}`,
    `files: ${formatCount(summary.filesWritten)} written, ${formatCount(summary.filesUnchanged)} unchanged, ` +
      `${formatCount(summary.filesRemoved)} removed; ${formatCount(summary.distinctAddresses)} distinct addresses located`,
  ];
  if (summary.summariesFolder !== null) {
    lines.push(
      `summaries: ${summary.summariesFolder} (${formatCount(summary.summaryFilesWritten)} written, ` +
        `${formatCount(summary.summaryFilesUnchanged)} unchanged, ${formatCount(summary.summaryFilesRemoved)} removed); ` +
        `${formatCount(summary.requesters)} distinct requesters`,
    );
  }
  if (summary.apiRequests > 0) {
    lines.push(
      `api: ${formatCount(summary.apiRequests)} requests, ${formatCount(summary.apiRetries)} retried`,
    );
  }
  if (summary.dandisetsEmbargoed.length > 0)
    lines.push(`embargoed: ${summary.dandisetsEmbargoed.join(", ")}`);
  if (summary.dandisetsRemoved.length > 0)
    lines.push(`removed (no longer in the catalog): ${summary.dandisetsRemoved.join(", ")}`);
  if (summary.dandisetsMissing.length > 0)
    lines.push(`gone from the archive: ${summary.dandisetsMissing.join(", ")}`);
  if (summary.objectsNotInCatalog > 0) {
    lines.push(
      `${formatCount(summary.objectsNotInCatalog)} objects read belong to no Dandiset (counted in the archive's tables)`,
    );
  }
  if (summary.malformedRows > 0) {
    lines.push(
      `${formatCount(summary.malformedRows)} malformed rows skipped, listed in ${summary.errorLogPath}`,
    );
  }
  for (const failure of summary.failures) lines.push(`failed: ${failure.file}: ${failure.message}`);
  return lines.join("\n");
}
