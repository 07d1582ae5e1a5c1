import * as fs from "node:fs";
import * as path from "node:path";
import { startApiStandIn } from "../test/support/api-stand-in.ts";
import { generateArchiveCatalog, generateBinned } from "../test/support/archive.ts";
import { cli, mb, type Timing, tempFolder, timeCommand } from "./common.ts";

/**
 * The map step against a local stand-in of the DANDI API serving 1,000 Dandisets and 100,000
 * assets (target: under a minute), then the same binned folder from a catalog snapshot, and a
 * rerun with nothing new (which writes nothing).
 */
const ARCHIVE = {
  dandisets: 1000,
  assetsPerDandiset: 100,
  publishedShare: 0.3,
  accessedObjects: 5000,
  rowsPerObject: 20,
  addresses: 20_000,
  seed: 2024,
};

function line(label: string, timing: Timing): string {
  const memory = timing.peakBytes === null ? "" : `, peak ${mb(timing.peakBytes)}`;
  return `${label.padEnd(44)} ${timing.seconds.toFixed(1).padStart(6)} s${memory}`;
}

export async function run(): Promise<void> {
  const root = tempFolder("map");
  try {
    const catalog = generateArchiveCatalog(ARCHIVE);
    const binned = path.join(root, "binned");
    const generated = generateBinned(binned, catalog, ARCHIVE);
    const entries = catalog.dandisets.reduce(
      (n, d) => n + d.versions.reduce((m, v) => m + v.assets.length, 0),
      0,
    );
    console.log(
      `${catalog.dandisets.length} Dandisets, ${ARCHIVE.dandisets * ARCHIVE.assetsPerDandiset} assets ` +
        `(${entries} asset entries over all versions); ${generated.objects} binned objects, ${generated.rows} rows`,
    );
    const server = await startApiStandIn({ catalog });
    const env = { DANDI_S3_LOG_PARSER_HOME: path.join(root, "home") };
    try {
      const fromApi = await timeCommand(
        process.execPath,
        [
          cli("main"),
          "map",
          "--binned_s3_logs_folder_path",
          binned,
          "--mapped_s3_logs_folder_path",
          path.join(root, "api"),
          "--api_url",
          server.url,
          "--quiet",
        ],
        { env },
      );
      console.log(line("map, catalog from the API stand-in", fromApi));
      console.log(
        `  API requests served: ${server.requests.length}; target under 60 s: ${fromApi.seconds < 60 ? "met" : "MISSED"}`,
      );

      const snapshot = path.join(root, "catalog.json");
      const catalogTiming = await timeCommand(
        process.execPath,
        [cli("main"), "catalog", "--output", snapshot, "--api_url", server.url, "--quiet"],
        { env },
      );
      console.log(line("catalog snapshot from the API stand-in", catalogTiming));
    } finally {
      await server.close();
    }
    const snapshot = path.join(root, "catalog.json");
    const mapArgs = (out: string) => [
      cli("main"),
      "map",
      "--binned_s3_logs_folder_path",
      binned,
      "--mapped_s3_logs_folder_path",
      out,
      "--catalog",
      snapshot,
      "--quiet",
    ];
    console.log(
      line(
        "map, catalog from the snapshot",
        await timeCommand(process.execPath, mapArgs(path.join(root, "file")), { env }),
      ),
    );
    console.log(
      line(
        "map again, nothing new (writes nothing)",
        await timeCommand(process.execPath, mapArgs(path.join(root, "file")), { env }),
      ),
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
