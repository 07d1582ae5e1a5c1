import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildOptions, build } from "esbuild";

/**
 * Bundles each command-line entry point into one CommonJS file in dist/cli/; the library in dist/
 * stays as tsc writes it. Start-up is most of a short step's time, and Node 20 loads ES modules one
 * at a time (resolve, read, compile; about 0.4 ms each), commander through a CommonJS bridge, and an
 * ES module entry point through a loader that costs 5 ms to set up: unbundled, the bin command began
 * its work 35 ms after Node's own start-up; bundled as CommonJS, about 7 ms.
 *
 * One file per entry point, no shared chunks: with code splitting, `main.js bin` loaded 22 chunks
 * and kept little of the gain. A bundle hoists static imports, so code that seldom runs must not
 * import a slow module statically: Vega (0.3 s) stays outside and is imported when the first chart is
 * drawn. Reduce's worker is bundled the same way, beside the commands: a worker thread boots its
 * own Node, and an ES module bundle there took 15-20 ms from "online" to its first answer, a
 * CommonJS one 8-10 ms. Identifiers are kept, so stack traces still name functions, and the
 * source maps lead back to src/.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = path.join(ROOT, "dist", "cli");
const ENTRY_POINTS: Record<string, string> = {
  main: "src/cli/main.ts",
  // Reduce's worker thread, started by the commands' bundles as ./worker.cjs beside them.
  worker: "src/reduce/worker.ts",
  // Bin's worker threads, started as ./bin-worker.cjs.
  "bin-worker": "src/bin/bin-worker.ts",
  // Map's worker threads (a rebuild shared out), started as ./map-worker.cjs.
  "map-worker": "src/map/map-worker.ts",
  // The report's worker threads, started as ./page-worker.cjs; Vega stays outside, loaded by each.
  "page-worker": "src/report/page-worker.ts",
  "reduce-all-dandi-raw-s3-logs": "src/cli/reduce-all-dandi-raw-s3-logs.ts",
  "bin-all-reduced-s3-logs-by-object-key": "src/cli/bin-all-reduced-s3-logs-by-object-key.ts",
  "map-binned-s3-logs-to-dandisets": "src/cli/map-binned-s3-logs-to-dandisets.ts",
};

const COMMON: BuildOptions = {
  absWorkingDir: ROOT,
  outdir: OUT,
  bundle: true,
  platform: "node",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  // tsx is imported only by the tests' loader for TypeScript workers.
  // The AWS SDK is loaded only to read a bucket (s3/s3-source.ts), from node_modules.
  external: ["vega", "vega-lite", "tsx", "@aws-sdk/client-s3"],
  logLevel: "warning",
};

fs.rmSync(OUT, { recursive: true, force: true });
await build({
  ...COMMON,
  entryPoints: Object.entries(ENTRY_POINTS).map(([out, input]) => ({ in: input, out })),
  format: "cjs",
  outExtension: { ".js": ".cjs" },
  // CommonJS has no import.meta; the modules that locate files beside themselves get the bundle's URL.
  define: { "import.meta.url": "bundleUrl" },
  // What else of import.meta there is (import.meta.resolve of the tests' TypeScript loader in
  // io/worker-thread.ts) runs only under the tests, from src/, never from a bundle.
  logOverride: { "empty-import-meta": "silent" },
  // The directive first: esbuild's own "use strict" comes after the banner, where it does nothing.
  banner: { js: '"use strict"; const bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
