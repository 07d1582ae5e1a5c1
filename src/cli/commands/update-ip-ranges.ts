import type { Command } from "commander";
import type { UpdateIpRangesSummary } from "../../geo/update-ip-ranges.js";
import { formatBytes, plural } from "../format.js";
import { UPDATE_IP_RANGES_FLAGS } from "../option-flags.js";
import { timeoutSeconds } from "../options.js";
import { EXIT_FAILED, EXIT_OK, runCommand } from "../run-command.js";

interface UpdateIpRangesFlags {
  aws_url?: string;
  gcp_url?: string;
  github_url?: string;
  timeout_seconds: number;
}

/** `update-ip-ranges`: newer copies of the providers' range files, for map's cloud regions. */
export function configureUpdateIpRangesCommand(command: Command): Command {
  return command
    .description(
      "Download the cloud providers' address ranges (AWS ip-ranges.json, GCP cloud.json, GitHub meta) into the " +
        "settings folder's ip-ranges/, each checked to be that provider's file and written whole. Map names cloud " +
        "regions (AWS/us-east-1) from, per provider, the newer of these copies and the snapshot shipped with the " +
        "package, unless given --ip_ranges_folder.",
    )
    .option(
      "--aws_url <url>",
      "where to download AWS ip-ranges.json from",
      "https://ip-ranges.amazonaws.com/ip-ranges.json",
    )
    .option(
      "--gcp_url <url>",
      "where to download GCP cloud.json from",
      "https://www.gstatic.com/ipranges/cloud.json",
    )
    .option("--github_url <url>", "where to download GitHub meta from", "https://api.github.com/meta")
    .option("--timeout_seconds <n>", "give up on a download after this many seconds", timeoutSeconds, 60)
    .action((flags: UpdateIpRangesFlags) =>
      runCommand(UPDATE_IP_RANGES_FLAGS, async (signal) => {
        const { updateIpRanges } = await import("../../geo/update-ip-ranges.js");
        const summary = await updateIpRanges({
          urls: { AWS: flags.aws_url, GCP: flags.gcp_url, GitHub: flags.github_url },
          timeoutMs: flags.timeout_seconds * 1000,
          signal,
        });
        process.stdout.write(`${describeUpdateSummary(summary)}\n`);
        for (const failure of summary.failed)
          process.stderr.write(`error: ${failure.provider}: ${failure.url} ${failure.reason}\n`);
        return summary.failed.length > 0 ? EXIT_FAILED : EXIT_OK;
      }),
    );
}

export function describeUpdateSummary(summary: UpdateIpRangesSummary): string {
  const lines = [`update-ip-ranges: ${plural(summary.written.length, "file")} written to ${summary.folder}`];
  for (const file of summary.written) {
    const dated = file.provider === "GitHub" ? `taken ${when(file.date)}` : `of ${when(file.date)}`;
    const use =
      file.bundledDate !== null && file.bundledDate >= file.date
        ? `; the package's own, of ${when(file.bundledDate)}, is as new or newer and stays in use`
        : "";
    lines.push(
      `  ${file.provider.padEnd(6)}  ${file.file.slice(summary.folder.length + 1)} ${dated}: ` +
        `${plural(file.blocks, "block")}, ${formatBytes(file.bytes)}${use}`,
    );
  }
  for (const failure of summary.failed)
    lines.push(`  ${failure.provider.padEnd(6)}  not updated (see below)`);
  return lines.join("\n");
}

function when(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
