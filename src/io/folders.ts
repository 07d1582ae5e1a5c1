import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../errors.js";

/**
 * Checks that `folder` exists and is a directory; `option` names it in the message, as the caller
 * spells the option (`rawFolder`).
 */
export function requireFolder(folder: string, option: string): string {
  const resolved = path.resolve(folder);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw new UsageError(`\`${option}\` ${folder} does not exist; pass the folder that holds the files`, {
      code: "ERR_FOLDER_NOT_FOUND",
      optionNames: [option],
    });
  }
  if (!stat.isDirectory()) {
    throw new UsageError(`\`${option}\` ${folder} is a file, not a folder`, {
      code: "ERR_NOT_A_FOLDER",
      optionNames: [option],
    });
  }
  return resolved;
}

/** Whether `inner` is `outer` or lies somewhere below it. */
export function isInside(inner: string, outer: string): boolean {
  const relative = path.relative(path.resolve(outer), path.resolve(inner));
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** Checks that an output folder is not the input folder or inside it, then creates it. */
export function prepareOutputFolder(
  output: string,
  input: string,
  outputOption: string,
  inputOption: string,
): string {
  const resolved = path.resolve(output);
  if (isInside(resolved, input)) {
    throw new UsageError(
      `\`${outputOption}\` ${output} is inside \`${inputOption}\` ${input}; choose a folder outside it`,
      { code: "ERR_OUTPUT_INSIDE_INPUT", optionNames: [outputOption, inputOption] },
    );
  }
  fs.mkdirSync(resolved, { recursive: true });
  return resolved;
}

/** Files below `folder` whose name passes `accept`, as sorted relative paths (`/`-separated). */
export function listFiles(folder: string, accept: (name: string) => boolean): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && accept(entry.name)) {
      files.push(path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
    }
  }
  return files.sort();
}

/** Removes `folder` and its parents below `root` while they are empty (undoing a run that made them). */
export function removeEmptyParents(root: string, folder: string): void {
  while (folder.startsWith(root) && folder.length > root.length) {
    try {
      fs.rmdirSync(folder);
    } catch {
      return;
    }
    folder = path.dirname(folder);
  }
}
