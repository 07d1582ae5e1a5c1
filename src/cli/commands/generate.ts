import * as path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { writeFileAtomic } from "../../io/atomic-file.js";
import { formatBytes, plural } from "../format.js";
import { GENERATE_FLAGS } from "../option-flags.js";
import { positiveInteger } from "../options.js";
import { EXIT_OK, runCommand } from "../run-command.js";

interface GenerateFlags {
  output_folder: string;
  catalog_output?: string;
  seed: number;
  days: number;
  start_date: string;
  bytes_per_day: number;
  damage_rate: number;
  blobs: number;
  zarrs: number;
  dandisets: number;
}

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(`expected a share from 0 to 1, got "${value}"`);
  return n;
}

/** Realistic synthetic logs (and a matching catalog) for trying the tool, tests and benchmarks. */
export function configureGenerateCommand(command: Command): Command {
  return command
    .description(
      "Write realistic synthetic S3 access logs of the DANDI bucket (YYYY/MM/DD.log) and, if asked, a catalog " +
        "snapshot that places their objects in Dandisets. The same seed always gives the same bytes.",
    )
    .requiredOption("--output_folder <folder>", "where the raw logs go")
    .option("--catalog_output <file>", "also write a matching catalog snapshot (for map --catalog)")
    .option("--seed <n>", "seed of the generator", positiveInteger, 1)
    .option("--days <n>", "number of day files", positiveInteger, 7)
    .option("--start_date <YYYY-MM-DD>", "first day", "2024-01-01")
    .option("--bytes_per_day <n>", "approximate size of each day file", positiveInteger, 1_000_000)
    .option(
      "--damage_rate <share>",
      "share of lines with one kind of damage real logs carry (0 to 1)",
      rate,
      0,
    )
    .option("--blobs <n>", "blob objects in the bucket", positiveInteger, 400)
    .option("--zarrs <n>", "Zarr objects in the bucket", positiveInteger, 40)
    .option("--dandisets <n>", "Dandisets in the catalog", positiveInteger, 8)
    .action((flags: GenerateFlags) =>
      runCommand(GENERATE_FLAGS, async (signal) => {
        const { generateCatalog } = await import("../../generate/catalog.js");
        const { generateRawLogsAsync } = await import("../../generate/raw-logs.js");
        const options = {
          seed: flags.seed,
          days: flags.days,
          startDate: flags.start_date,
          bytesPerDay: flags.bytes_per_day,
          damageRate: flags.damage_rate,
          blobCount: flags.blobs,
          zarrCount: flags.zarrs,
        };
        const generated = await generateRawLogsAsync(flags.output_folder, options, signal);
        const bytes = generated.days.reduce((sum, day) => sum + day.bytes, 0);
        process.stdout.write(
          `generate: ${plural(generated.days.length, "day file")}, ${plural(generated.counts.lines, "line")} ` +
            `(${formatBytes(bytes)}) in ${path.resolve(flags.output_folder)}\n`,
        );
        if (flags.catalog_output !== undefined) {
          const catalog = generateCatalog(generated.assets, { seed: flags.seed, dandisets: flags.dandisets });
          writeFileAtomic(flags.catalog_output, `${JSON.stringify(catalog, null, 1)}\n`);
          process.stdout.write(
            `generate: catalog of ${plural(catalog.dandisets.length, "Dandiset")} in ${path.resolve(flags.catalog_output)}\n`,
          );
        }
        return EXIT_OK;
      }),
    );
}
