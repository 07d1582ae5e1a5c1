import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isProcessAlive } from "./process-alive.js";

/** Another live run holds the folder. Exit code 75 (EX_TEMPFAIL): try again later. */
export class LockedError extends Error {
  override name = "LockedError";
  readonly code = "ERR_LOCKED";
}

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function readOwner(lockPath: string): LockOwner | null {
  try {
    return JSON.parse(fs.readFileSync(lockPath, "utf8")) as LockOwner;
  } catch {
    return null;
  }
}

/**
 * Takes the lock file `lockPath` so that two runs (two cron jobs, a cron job and a person) never
 * work in one folder at once. The lock is created with a hard link, which fails if the file exists,
 * so exactly one run wins. A lock left by a run that died (its process is gone on this host) is
 * taken over. Returns the function that releases it.
 */
export function acquireRunLock(lockPath: string): () => void {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  const mine: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  const candidate = `${lockPath}.${process.pid}`;
  fs.writeFileSync(candidate, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.linkSync(candidate, lockPath);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          const owner = readOwner(lockPath);
          if (owner?.pid === process.pid && owner.host === mine.host) fs.rmSync(lockPath, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const owner = readOwner(lockPath);
      const stale = owner !== null && owner.host === mine.host && !isProcessAlive(owner.pid);
      if (!stale) {
        const who =
          owner === null ? "another run" : `run ${owner.pid} on ${owner.host}, started ${owner.since},`;
        throw new LockedError(
          `${who} is working in ${path.dirname(lockPath)}; try again when it has finished ` +
            `(if no such run exists any more, remove ${lockPath})`,
        );
      }
      // The owner died without releasing the lock: move it aside (only one taker's rename succeeds).
      try {
        fs.renameSync(lockPath, `${lockPath}.stale-${owner.pid}-${process.pid}`);
        fs.rmSync(`${lockPath}.stale-${owner.pid}-${process.pid}`, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    throw new LockedError(`could not take the lock ${lockPath}; try again`);
  } finally {
    fs.rmSync(candidate, { force: true });
  }
}
