import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { formatCount, formatSeconds } from "../format.js";
import { addNetworkTimeoutOption, type NetworkFlags, networkTimeoutMsOf } from "../network-options.js";
import { CATALOG_FLAGS } from "../option-flags.js";
import { commaList, positiveInteger } from "../options.js";
import { withProgress } from "../progress.js";
import { EXIT_OK, runCommand } from "../run-command.js";

interface CatalogFlags extends NetworkFlags {
  output: string;
  api_url?: string;
  excluded_dandisets: string[];
  restrict_to_dandisets: string[];
  dandiset_limit?: number;
  quiet?: boolean;
}

/** Writes a snapshot of the archive's catalog, so mapping can run offline and be repeated exactly. */
export function configureCatalogCommand(command: Command): Command {
  addNetworkTimeoutOption(command);
  return command
    .description(
      "Read every Dandiset, version and asset from the DANDI API and write them to a snapshot file for " +
        "map --catalog FILE.",
    )
    .requiredOption("--output <file>", "the snapshot file to write (JSON)")
    .option(
      "--api_url <url>",
      "the DANDI API (default: DANDI_API_URL, else https://api.dandiarchive.org/api)",
    )
    .option("--excluded_dandisets <ids>", "comma-separated Dandisets to leave out", commaList, [])
    .option(
      "--restrict_to_dandisets <ids>",
      "comma-separated Dandisets to include, and no others",
      commaList,
      [],
    )
    .option("--dandiset_limit <n>", "at most this many Dandisets (the first by identifier)", positiveInteger)
    .option("--quiet", "no progress display")
    .action((flags: CatalogFlags) =>
      runCommand(CATALOG_FLAGS, async (signal) => {
        const { writeCatalog } = await import("../../dandi/catalog.js");
        const { fetchCatalog } = await import("../../dandi/fetch-catalog.js");
        checkSnapshotPath(flags.output);
        const started = Date.now();
        const fetched = await withProgress("catalog (Dandisets)", "items", flags.quiet, (update) =>
          fetchCatalog({
            apiUrl: flags.api_url,
            timeoutMs: networkTimeoutMsOf(flags),
            restrictTo: flags.restrict_to_dandisets,
            excluded: flags.excluded_dandisets,
            limit: flags.dandiset_limit,
            signal,
            onProgress: (p) => update(p.dandisetsDone, p.dandisetsTotal),
            onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
          }),
        );
        writeCatalog(path.resolve(flags.output), fetched.catalog);
        const versions = fetched.catalog.dandisets.reduce((sum, d) => sum + d.versions.length, 0);
        const assets = fetched.catalog.dandisets.reduce(
          (sum, d) => sum + d.versions.reduce((n, v) => n + v.assets.length, 0),
          0,
        );
        process.stdout.write(
          `catalog: ${formatCount(fetched.catalog.dandisets.length)} Dandisets, ${formatCount(versions)} versions, ` +
            `${formatCount(assets)} assets written to ${flags.output}; ${formatCount(fetched.embargoed.length)} skipped as embargoed; ` +
            `${formatCount(fetched.requests)} requests, ${formatCount(fetched.retries)} retried, in ${formatSeconds((Date.now() - started) / 1000)}\n`,
        );
        if (fetched.embargoed.length > 0)
          process.stdout.write(`embargoed: ${fetched.embargoed.join(", ")}\n`);
        return EXIT_OK;
      }),
    );
}

/** Refuses, before anything is downloaded, an output that cannot become the snapshot file. */
function checkSnapshotPath(output: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(output);
  } catch {
    return;
  }
  if (stat.isDirectory())
    throw new UsageError(
      `--output ${output} is a folder; give the path of the snapshot file to write, such as catalog.json`,
    );
}
