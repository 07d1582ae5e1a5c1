import * as fs from "node:fs";
import { RunError } from "../errors.js";

/**
 * Opening files in an output folder without following symbolic links: a link planted there (or a
 * table replaced by one) would otherwise have rows, IP addresses among them, written to whatever it
 * points at. `O_NOFOLLOW` makes the open itself fail on a link, at no cost beyond the open.
 */
const NO_FOLLOW = fs.constants.O_NOFOLLOW ?? 0;

export const READ_NO_FOLLOW = fs.constants.O_RDONLY | NO_FOLLOW;
export const UPDATE_NO_FOLLOW = fs.constants.O_RDWR | NO_FOLLOW;
export const REPLACE_NO_FOLLOW =
  fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | NO_FOLLOW;

/** Opens `file` with `flags` (one of the above); a symbolic link is refused with a message naming it. */
export function openNoFollow(file: string, flags: number): number {
  try {
    return fs.openSync(file, flags, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw symbolicLinkError(file);
    throw error;
  }
}

export function symbolicLinkError(file: string): RunError {
  return new RunError(
    `${file} is a symbolic link; nothing is read or written through links in an output folder ` +
      "(it could point outside it): put the real file or folder in its place, or remove the link, and rerun",
    { code: "ERR_SYMBOLIC_LINK" },
  );
}

/** The lstat of `file`, null when it does not exist; a symbolic link is refused. */
export function lstatNoFollow(file: string): fs.Stats | null {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw error;
  }
  if (stat.isSymbolicLink()) throw symbolicLinkError(file);
  return stat;
}
