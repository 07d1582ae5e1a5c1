import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * Bundles each command-line entry point into one file in dist/cli/; the library in dist/ stays as
 * tsc writes it. Node 20 loads ES modules one at a time (resolve, read, compile; about 0.4 ms each)
 * and commander through its CommonJS bridge: unbundled, the bin command began its work 35 ms after
 * Node's own start-up, bundled 15 ms, on a step that takes a quarter of a second in all.
 *
 * One file per entry point, no shared chunks: with esbuild's code splitting, `main.js bin` loaded 22
 * chunks and kept little of the gain. A bundle hoists its imports of Node's own modules to the top, so
 * code that seldom runs must not import a slow one statically; Vega (0.3 s) stays outside and is
 * imported when the first chart is drawn. The worker of reduce sits beside the commands, where
 * `new URL("./worker.js", import.meta.url)` finds it. Identifiers are kept, so stack traces still
 * name functions, and the source maps lead back to src/.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = path.join(ROOT, "dist", "cli");
const ENTRIES: Record<string, string> = {
  main: "src/cli/main.ts",
  "reduce-all-dandi-raw-s3-logs": "src/cli/reduce-all-dandi-raw-s3-logs.ts",
  "bin-all-reduced-s3-logs-by-object-key": "src/cli/bin-all-reduced-s3-logs-by-object-key.ts",
  "map-binned-s3-logs-to-dandisets": "src/cli/map-binned-s3-logs-to-dandisets.ts",
  worker: "src/reduce/worker.ts",
};

fs.rmSync(OUT, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: Object.entries(ENTRIES).map(([out, input]) => ({ in: input, out })),
  outdir: OUT,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  // tsx is imported only by the tests' loader for TypeScript workers.
  external: ["vega", "vega-lite", "tsx"],
  // Bundled CommonJS packages (commander, mmdb-lib) call require() for Node's own modules.
  banner: {
    js: 'import { createRequire as createRequireForBundle } from "node:module"; const require = createRequireForBundle(import.meta.url);',
  },
  logLevel: "warning",
});
