import * as fs from "node:fs";

/** The text of `file`, or null when there is no such file; any other failure is thrown. */
export function readTextIfExists(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
