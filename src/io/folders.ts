import * as fs from "node:fs";
import * as path from "node:path";
import { RunError, UsageError } from "../errors.js";
import { refuseInsideStepFolder } from "../formats/step-folders.js";

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

/**
 * Whether `inner` is `outer` or lies somewhere below it, symbolic links resolved: an output folder
 * reached through a link into the input folder is inside it too.
 */
export function isInside(inner: string, outer: string): boolean {
  const relative = path.relative(realPathOf(outer), realPathOf(inner));
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** `file` with the links of its nearest existing ancestor resolved (the rest does not exist yet). */
function realPathOf(file: string): string {
  const resolved = path.resolve(file);
  let existing = resolved;
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), path.relative(existing, resolved));
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return resolved;
      existing = parent;
    }
  }
}

/**
 * Creates `folder` (and its parents), explaining the failures a user can act on: a file in its
 * place (a usage error), or a disk that is read-only or not writable, which recursive mkdir
 * reports as ENOENT.
 */
export function makeFolder(folder: string, option: string): void {
  try {
    fs.mkdirSync(folder, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTDIR") {
      throw new UsageError(`\`${option}\` ${folder} is a file, not a folder (or lies below one)`, {
        code: "ERR_NOT_A_FOLDER",
        optionNames: [option],
      });
    }
    throw explainWriteFailure(error, folder);
  }
}

/**
 * An error saying why `target` cannot be created when its nearest existing folder is read-only
 * (EROFS) or not writable (EACCES, EPERM); otherwise `error` as it is.
 */
export function explainWriteFailure(error: unknown, target: string): unknown {
  let existing = path.resolve(target);
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  let why: string | null = null;
  try {
    fs.accessSync(existing, fs.constants.W_OK);
  } catch (access) {
    const code = (access as NodeJS.ErrnoException).code;
    if (code === "EROFS") why = "is on a read-only file system (EROFS)";
    else if (code === "EACCES" || code === "EPERM") why = `cannot be written by this user (${code})`;
  }
  if (why === null) return error;
  return new RunError(
    `cannot create ${target}: ${existing} ${why}; choose a folder on a writable disk, or make it writable`,
    { code: "ERR_NOT_WRITABLE", cause: error },
  );
}

/**
 * Checks that an output folder is not the input folder or inside it, nor (but for reduce's and bin's
 * own) inside a reduced or binned folder, then creates it.
 */
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
  if (outputOption !== "reducedFolder" && outputOption !== "binnedFolder")
    refuseInsideStepFolder(resolved, outputOption);
  makeFolder(resolved, outputOption);
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
