import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";

export interface Renderer {
  vega: typeof import("vega");
  vegaLite: typeof import("vega-lite");
}

let loading: Promise<Renderer> | null = null;

/**
 * Vega and Vega-Lite, loaded once, with the first chart rather than with this module: the built
 * commands are bundled into one file each, where a static import would be paid by every command.
 */
export function loadRenderer(): Promise<Renderer> {
  loading ??= Promise.resolve().then(() => loadBundles() ?? loadModules());
  return loading;
}

/**
 * The fast path: the one-file builds both packages publish for browsers. Imported as ES modules, Vega
 * is some 30 packages and Node resolves, reads and links each file in turn: 0.26-0.65 s to load both,
 * against 0.09-0.23 s for the two files (measured alternately on a busy 2-core machine). The files are
 * UMD, run as CommonJS with Vega handed to Vega-Lite, because Node would read them as ES modules (their
 * packages say `"type": "module"`) and Vega-Lite's own `require("vega")` would load the ES modules
 * anyway. Returns null, for the slow path, when the files are not where these versions keep them.
 */
function loadBundles(): Renderer | null {
  const require = createRequire(import.meta.url);
  let vegaFile: string;
  let vegaLiteFile: string;
  try {
    vegaFile = path.join(path.dirname(require.resolve("vega")), "vega.min.js");
    vegaLiteFile = path.join(path.dirname(require.resolve("vega-lite")), "vega-lite.min.js");
  } catch {
    return null;
  }
  if (!fs.existsSync(vegaFile) || !fs.existsSync(vegaLiteFile)) return null;
  const vega = runUmd(vegaFile, require) as typeof import("vega");
  const vegaLite = runUmd(vegaLiteFile, (name) =>
    name === "vega" ? vega : require(name),
  ) as typeof import("vega-lite");
  if (typeof vega.View !== "function" || typeof vegaLite.compile !== "function") return null;
  return { vega, vegaLite };
}

function runUmd(file: string, require: (name: string) => unknown): unknown {
  const module = { exports: {} as Record<string, unknown> };
  const run = vm.compileFunction(fs.readFileSync(file, "utf8"), ["exports", "module", "require"], {
    filename: file,
  });
  run(module.exports, module, require);
  return module.exports;
}

async function loadModules(): Promise<Renderer> {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  return { vega, vegaLite };
}
