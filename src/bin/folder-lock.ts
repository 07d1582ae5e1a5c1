import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../errors.js";

export const LOCK_NAME = ".bin_lock";

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Keeps two bin runs (say, overlapping cron jobs) out of one binned folder: each would add the same
 * days. A lock left by a killed run names a process that is gone and is taken over.
 */
export function lockFolder(binnedFolder: string): () => void {
  const file = path.join(binnedFolder, LOCK_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const pid = Number.parseInt(fs.readFileSync(file, "utf8"), 10);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new UsageError(
        `another bin run (process ${pid}) is writing to ${binnedFolder}; wait for it to end, or delete ${file} if that process is not a bin run`,
      );
    }
    fs.rmSync(file, { force: true });
  }
  throw new UsageError(`could not lock ${binnedFolder}: another bin run keeps taking ${file}`);
}
