import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { RunError } from "../../errors.js";
import { DEMO_FLAGS } from "../option-flags.js";
import { EXIT_FAILED, EXIT_OK, runCommand } from "../run-command.js";
import { generatedAtFromEnvironment } from "../source-date-epoch.js";
import { describeRunSummary, runFailed, runWithProgress } from "./run.js";

interface DemoFlags {
  work_folder: string;
  quiet?: boolean;
}

/**
 * The bundled sample logs and catalog, generated once by `generate` (see samples/README.md), in the
 * package's own folder: the nearest folder above this module that holds `samples/catalog.json`. Found
 * by looking rather than by a fixed number of `..`, because this module runs from src/ under the tests
 * and bundled into dist/cli/ when built.
 */
export function samplesFolder(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const samples = path.join(folder, "samples");
    if (fs.existsSync(path.join(samples, "catalog.json"))) return samples;
    const parent = path.dirname(folder);
    if (parent === folder)
      throw new RunError("the bundled samples/ folder is missing from this installation");
    folder = parent;
  }
}

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
      runCommand(DEMO_FLAGS, async (signal) => {
        const samples = samplesFolder();
        const summary = await runWithProgress(
          {
            rawFolder: path.join(samples, "raw"),
            workFolder: flags.work_folder,
            catalog: path.join(samples, "catalog.json"),
            generatedAt: generatedAtFromEnvironment(),
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
