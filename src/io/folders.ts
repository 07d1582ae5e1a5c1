import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../errors.js";

/** Checks that `folder` exists and is a directory; `what` names it in the message, as the flag does. */
export function requireFolder(folder: string, what: string): string {
  const resolved = path.resolve(folder);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw new UsageError(`${what} ${folder} does not exist; pass the folder that holds the files`);
  }
  if (!stat.isDirectory()) throw new UsageError(`${what} ${folder} is a file, not a folder`);
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
  outputWhat: string,
  inputWhat: string,
): string {
  const resolved = path.resolve(output);
  if (isInside(resolved, input)) {
    throw new UsageError(
      `${outputWhat} ${output} is inside ${inputWhat} ${input}; choose a folder outside it`,
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
