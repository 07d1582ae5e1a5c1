import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isProcessAlive } from "./process-alive.js";

/** Another live run holds the folder. Exit code 75 (EX_TEMPFAIL): try again later. */
export class LockedError extends Error {
  override name = "LockedError";
  readonly code = "ERR_LOCKED";

  constructor(
    message: string,
    /** Who holds the lock: `run 123 on host`, or null when its record cannot be read. */
    readonly holder: string | null = null,
    /** When that run took it, as its record says; null when unknown. */
    readonly heldSince: Date | null = null,
    /** The lock file. */
    readonly lockPath: string | null = null,
  ) {
    super(message);
  }

  /** How long the holder has held the lock, in ms; null when its record does not say. */
  heldForMs(now = Date.now()): number | null {
    return this.heldSince === null ? null : Math.max(0, now - this.heldSince.getTime());
  }
}

/** A duration for people: `45 s`, `12 min`, `3 h 12 min`, `2 days 5 h`. */
export function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.floor(ms / 1000)} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/** What a lock or claim file says: its owner (null when unreadable) and its exact text. */
interface Holder {
  owner: LockOwner | null;
  text: string;
}

/** How deep takeovers of takeovers of a dead taker's claim may go before giving up. */
const MAX_CLAIM_DEPTH = 4;
const CLAIM_MARK = ".takeover-";

function readHolder(file: string): Holder | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return { owner: typeof owner?.pid === "number" ? owner : null, text };
  } catch {
    return { owner: null, text };
  }
}

/**
 * Takes the lock file `lockPath` so that two runs (two cron jobs, a cron job and a person) never
 * work in one folder at once. Every change to the lock is a single atomic step that fails when
 * someone else got there first, so two runs can never both hold it:
 *  - a run writes its owner record to `<lock>.<pid>` and hard-links it to `<lock>`; link() fails
 *    when `<lock>` exists, so exactly one run wins;
 *  - a lock whose owner died (its process is gone on this host) is taken over by first claiming it:
 *    hard-linking a claim named after that owner, `<lock>.takeover-<owner>`, which only one taker
 *    can do. The claim's holder reads the lock again, removes it only if it still names the dead
 *    owner, then links its own as above. A lock that changed meanwhile is left alone, and a claim
 *    whose taker died is itself taken over the same way.
 * Reading and then renaming or removing the lock, without a claim, would let two takers both remove
 * a lock and the second remove the first's new one. Owner records left by runs killed while taking
 * the lock, and claims of dead takers, are removed once the lock is held. Returns the release.
 */
export function acquireRunLock(lockPath: string): () => void {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  const mine: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  const candidate = `${lockPath}.${process.pid}`;
  fs.writeFileSync(candidate, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryLink(candidate, lockPath)) {
        removeLeftovers(lockPath, mine.host);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          // Nobody takes over the lock of a live run, so it is still this run's.
          const holder = readHolder(lockPath);
          if (holder?.owner?.pid === process.pid && holder.owner.host === mine.host)
            fs.rmSync(lockPath, { force: true });
        };
      }
      const holder = readHolder(lockPath);
      if (holder === null) continue; // released meanwhile
      if (!isStale(holder, mine.host)) throw lockedBy(holder, lockPath);
      removeStale(lockPath, holder, candidate, mine.host, 0);
    }
    throw new LockedError(`could not take the lock ${lockPath}; try again`);
  } finally {
    fs.rmSync(candidate, { force: true });
  }
}

/**
 * Removes `file`, whose holder `stale` is dead, if no other taker does it first: under a claim
 * (see acquireRunLock), after checking that `file` still holds what was read.
 */
function removeStale(file: string, stale: Holder, candidate: string, host: string, depth: number): void {
  const claim = `${file}${CLAIM_MARK}${fingerprint(stale.text)}`;
  for (let attempt = 0; !tryLink(candidate, claim); attempt++) {
    const taker = readHolder(claim);
    if (taker === null) {
      if (attempt < 3) continue; // its taker finished meanwhile
      throw new LockedError(`could not take over the lock ${file}; try again`);
    }
    if (!isStale(taker, host)) throw lockedBy(taker, file, "taking over a lock left by a run that died");
    if (depth >= MAX_CLAIM_DEPTH)
      throw new LockedError(`${claim} was left by runs that died while taking the lock; remove it`);
    removeStale(claim, taker, candidate, host, depth + 1);
  }
  try {
    if (readHolder(file)?.text === stale.text) fs.rmSync(file, { force: true });
  } finally {
    // The file no longer names the dead holder, so the claim has done its work.
    fs.rmSync(claim, { force: true });
  }
}

function tryLink(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** A holder known dead: on this host, with no such process. Unreadable records are not presumed dead. */
function isStale(holder: Holder, host: string): boolean {
  return holder.owner !== null && holder.owner.host === host && !isProcessAlive(holder.owner.pid);
}

/**
 * The refusal of a lock a live run holds, with its age: a run that has held a folder for a day is
 * probably stuck, and cron mail that says "started 26 h ago" says so where "started at …" needs a
 * calculation. (`--stuck_after_hours` turns such an age into a failure; see cli/run-command.ts.)
 */
function lockedBy(holder: Holder, lockPath: string, doing = "working in"): LockedError {
  const { owner } = holder;
  const since = owner === null ? Number.NaN : Date.parse(owner.since);
  const heldSince = Number.isFinite(since) ? new Date(since) : null;
  const age = heldSince === null ? "" : ` (${formatAge(Math.max(0, Date.now() - since))} ago)`;
  const holderName = owner === null ? null : `run ${owner.pid} on ${owner.host}`;
  const who = owner === null ? "another run" : `${holderName}, started ${owner.since}${age},`;
  return new LockedError(
    `${who} is ${doing} ${path.dirname(lockPath)}; try again when it has finished ` +
      `(if no such run exists any more, remove ${lockPath})`,
    holderName,
    heldSince,
    lockPath,
  );
}

/** A short name for a holder's record: FNV-1a, enough to tell two records apart. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/**
 * Removes what runs killed while taking this lock left beside it: owner records (`<lock>.<pid>`)
 * and claims whose process is gone. Safe once the lock is held: no claim on a live holder's lock
 * is ever made, so a leftover claim can only name a lock that is gone.
 */
function removeLeftovers(lockPath: string, host: string): void {
  const folder = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (!/^\d+$/.test(rest) && !rest.startsWith(CLAIM_MARK.slice(1))) continue;
    const file = path.join(folder, name);
    const holder = readHolder(file);
    if (holder !== null && holder.owner?.pid !== process.pid && isStale(holder, host))
      fs.rmSync(file, { force: true });
    else if (holder?.owner == null && /^\d+$/.test(rest)) {
      // An owner record is named after its run: one killed between making its record and writing
      // it leaves an empty file, told by that name once no such process lives. (A run on another
      // machine is between the two for microseconds; its lock would fail, not be shared.)
      const pid = Number(rest);
      if (pid !== process.pid && !isProcessAlive(pid)) fs.rmSync(file, { force: true });
    }
  }
}
