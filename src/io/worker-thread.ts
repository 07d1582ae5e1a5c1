import { Worker } from "node:worker_threads";

/**
 * Starts the worker module that sits beside `callerUrl` under `name` (without extension).
 *
 * The commands' bundles (`.cjs`) run the bundle `name.cjs` beside them; the library's modules
 * run `name.js`. Under the tests' TypeScript loader the caller is a .ts file and so is
 * its worker; loader hooks given with `--import` do not reach worker threads on Node 20, so the
 * worker first registers the loader itself, then imports the module.
 */
export function startWorker(callerUrl: string, name: string): Worker {
  if (callerUrl.endsWith(".cjs")) return new Worker(new URL(`./${name}.cjs`, callerUrl));
  if (!callerUrl.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, callerUrl));
  const loader = import.meta.resolve("tsx/esm/api");
  const module = new URL(`./${name}.ts`, callerUrl).href;
  const bootstrap = `import(${JSON.stringify(loader)}).then((api) => { api.register(); return import(${JSON.stringify(module)}); });`;
  return new Worker(bootstrap, { eval: true });
}
