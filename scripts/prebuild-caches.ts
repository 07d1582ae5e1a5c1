import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Makes the caches shipped in `data/prebuilt/` (see src/io/prebuilt-caches.ts) from the packages
 * installed now: run after updating `@ip-location-db/asn`, `world-atlas`, Vega or `data/ip-ranges/`
 * (`npm run build:caches`); a test checks that the folder holds what this makes. Each cache is
 * made by the code that reads it, in a settings folder of its own, with the prebuilt ones unread.
 * The places of the city database ship apart, in `data/places/` (scripts/build-places.ts).
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const PREBUILT = path.join(ROOT, "data", "prebuilt");

/** Makes every cache into `into` (emptied first); returns the file names. */
export async function buildPrebuiltCaches(into: string): Promise<string[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "dslp-prebuild-"));
  const saved = {
    home: process.env.DANDI_S3_LOG_PARSER_HOME,
    prebuilt: process.env.DANDI_S3_LOG_PARSER_PREBUILT,
  };
  process.env.DANDI_S3_LOG_PARSER_HOME = home;
  process.env.DANDI_S3_LOG_PARSER_PREBUILT = "off";
  try {
    const { CloudAsnTable } = await import("../src/geo/asn-table.ts");
    const { ProviderRanges } = await import("../src/geo/provider-ranges.ts");
    const { bundledRangesFolder, chooseRangeFiles } = await import("../src/geo/range-files.ts");
    const { worldShapes } = await import("../src/report/world-map.ts");
    CloudAsnTable.load();
    // The package's own range files only: copies update-ip-ranges keeps are the user's.
    ProviderRanges.fromFiles(
      chooseRangeFiles(bundledRangesFolder(), path.join(home, "none")).map((c) => c.file),
      (message) => new Error(message),
    );
    await worldShapes();
    fs.rmSync(into, { recursive: true, force: true });
    fs.mkdirSync(into, { recursive: true });
    const names = fs.readdirSync(path.join(home, "cache")).sort();
    for (const name of names) fs.copyFileSync(path.join(home, "cache", name), path.join(into, name));
    return names;
  } finally {
    process.env.DANDI_S3_LOG_PARSER_HOME = saved.home;
    if (saved.prebuilt === undefined) delete process.env.DANDI_S3_LOG_PARSER_PREBUILT;
    else process.env.DANDI_S3_LOG_PARSER_PREBUILT = saved.prebuilt;
    fs.rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const names = await buildPrebuiltCaches(PREBUILT);
  console.log(`data/prebuilt/: ${names.join(", ")}`);
}
