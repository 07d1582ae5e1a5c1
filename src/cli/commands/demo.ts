import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { EXIT_FAILED, EXIT_OK, runCommand } from "../run-command.js";
import { describeRunSummary, runFailed, runWithProgress } from "./run.js";

interface DemoFlags {
  work_folder: string;
  quiet?: boolean;
}

/** The bundled sample logs and catalog, generated once by `generate` (see samples/README.md). */
export const SAMPLES_FOLDER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "samples",
);

/** `demo`: the whole chain on the bundled samples, offline. */
export function configureDemoCommand(command: Command): Command {
  return command
    .description(
      "Run the whole chain (reduce, bin, map, report) on the bundled sample logs with the bundled catalog, offline, " +
        "and print where the report is. Running it again does only what is new (nothing), then rebuilds the report.",
    )
    .option("--work_folder <folder>", "where the tables and the report go", "dandi-s3-log-parser-demo")
    .option("--quiet", "no progress display")
    .action((flags: DemoFlags) =>
      runCommand(async (signal) => {
        const summary = await runWithProgress(
          {
            rawFolder: path.join(SAMPLES_FOLDER, "raw"),
            workFolder: flags.work_folder,
            catalog: path.join(SAMPLES_FOLDER, "catalog.json"),
            signal,
          },
          flags.quiet,
        );
        process.stdout.write(`${describeRunSummary(summary)}\n`);
        if (summary.report !== null) {
          process.stdout.write(
            `\nThe demo report: ${summary.report.indexPath}\nOpen it in a browser (it needs no server).\n`,
          );
        }
        return runFailed(summary) ? EXIT_FAILED : EXIT_OK;
      }),
    );
}
