import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Runs every `bench/*.bench.ts` (or those named on the command line, such as `reduce`), one after
 * the other so they do not compete for the two cores. Each prints its own ratios.
 */
const folder = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = fs
  .readdirSync(folder)
  .filter((name) => name.endsWith(".bench.ts"))
  .filter((name) => wanted.length === 0 || wanted.includes(name.replace(/\.bench\.ts$/, "")))
  .sort();
for (const name of benches) {
  console.log(`\n## ${name.replace(/\.bench\.ts$/, "")}`);
  const bench = (await import(path.join(folder, name))) as { run: () => Promise<void> };
  await bench.run();
}
