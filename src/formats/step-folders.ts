import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../errors.js";

/**
 * The files that mark a folder as reduce's or bin's: their records, format markers and locks. Reduce,
 * bin and rekey own what such a folder holds, and rekey rewrites its tables: a published folder (the
 * mapped tables, the summaries, the report) placed inside one would have its `.tsv` files taken for
 * rows, so it is refused there.
 */
const MARKERS: Readonly<Record<"reduced" | "binned", readonly string[]>> = {
  reduced: [".reduced_format", ".reduced_source", ".reduced_days", ".reduced_objects", ".reduce_lock"],
  binned: [".binned_days", ".binned_format", ".bin_sizes", ".bin_lock"],
};

/** The reduced or binned folder that `folder` is or lies in (links resolved), and which it is; null when none. */
export function enclosingStepFolder(
  folder: string,
): { folder: string; kind: "reduced" | "binned"; marker: string } | null {
  let at = realPathOfExisting(path.resolve(folder));
  for (;;) {
    for (const kind of ["reduced", "binned"] as const)
      for (const marker of MARKERS[kind])
        if (fs.existsSync(path.join(at, marker))) return { folder: at, kind, marker };
    const parent = path.dirname(at);
    if (parent === at) return null;
    at = parent;
  }
}

/** Refuses a published folder (`option`) that is, or lies inside, a reduced or binned folder (exit code 2). */
export function refuseInsideStepFolder(folder: string, option: string): void {
  const enclosing = enclosingStepFolder(folder);
  if (enclosing === null) return;
  throw new UsageError(
    `\`${option}\` ${folder} lies inside the ${enclosing.kind} folder ${enclosing.folder} (it holds ${enclosing.marker}): ` +
      `reduce, bin and rekey treat what is there as their own, and rekey would rewrite its tables; choose a folder outside it`,
    { code: "ERR_OUTPUT_INSIDE_STEP_FOLDER", optionNames: [option] },
  );
}

/** `file` with the links of its nearest existing ancestor resolved. */
function realPathOfExisting(file: string): string {
  let existing = file;
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), path.relative(existing, file));
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return file;
      existing = parent;
    }
  }
}
