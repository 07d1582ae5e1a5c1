import * as fs from "node:fs";
import * as path from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import {
  checkList,
  checkNumber,
  checkOptionsObject,
  checkPath,
  checkSignal,
  checkWholeNumber,
  invalidOption,
} from "../check-options.js";
import { AbortedError } from "../errors.js";
import { tempPathFor } from "../io/atomic-file.js";
import { REDUCED_HEADER } from "../io/table-headers.js";
import { addLineCounts, emptyLineCounts, type LineCounts } from "../reduce/line-counts.js";
import { DAMAGE_KINDS, type DamageKind, LogLineFactory } from "./log-lines.js";
import { type AssetPool, makeAssetPool, makeIpPool } from "./pools.js";
import { Random } from "./random.js";

export interface GenerateRawLogsOptions {
  /** Same seed, same bytes. */
  seed?: number;
  /** First day, `YYYY-MM-DD`. */
  startDate?: string;
  days?: number;
  /** Approximate size of each day file; the day ends at the first line past it. */
  bytesPerDay?: number;
  /** Share of damaged lines, 0 to 1 (0: clean logs as AWS writes them). */
  damageRate?: number;
  damageKinds?: readonly DamageKind[];
  blobCount?: number;
  zarrCount?: number;
  ipCount?: number;
  /** Where the reduced tables a correct reducer writes go (same layout); none when omitted. */
  expectedReducedFolder?: string;
}

export interface GeneratedDay {
  relativePath: string;
  bytes: number;
  counts: LineCounts;
}

export interface GeneratedLogs {
  assets: AssetPool;
  days: GeneratedDay[];
  counts: LineCounts;
}

const DAY_SECONDS = 86_400;
const WRITE_BATCH_BYTES = 1 << 20;

function checkGenerateOptions(folder: string, options: GenerateRawLogsOptions): void {
  checkPath(folder, "folder", true);
  checkOptionsObject(options, "generateRawLogs", false);
  checkWholeNumber(options.seed, "seed", 0);
  const start = options.startDate;
  if (start !== undefined && !isDate(start))
    throw invalidOption("startDate", `takes a date as YYYY-MM-DD, not ${JSON.stringify(start)}`);
  checkWholeNumber(options.days, "days", 1);
  checkWholeNumber(options.bytesPerDay, "bytesPerDay", 1);
  checkNumber(options.damageRate, "damageRate", 0, 1);
  checkList(
    options.damageKinds,
    "damageKinds",
    (kind) => (DAMAGE_KINDS as readonly unknown[]).includes(kind),
    `kinds of damage among ${DAMAGE_KINDS.join(", ")}`,
  );
  checkWholeNumber(options.blobCount, "blobCount", 1);
  checkWholeNumber(options.zarrCount, "zarrCount", 1);
  checkWholeNumber(options.ipCount, "ipCount", 1);
  checkPath(options.expectedReducedFolder, "expectedReducedFolder", false);
}

/** `2024-02-29`, a day that exists (`Date.parse` takes `2024-02-31` for March 2). */
function isDate(value: unknown): boolean {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === value;
}

/** The asset pool a seed gives; also used to build a catalog that matches generated logs. */
export function assetPoolFor(
  options: Pick<GenerateRawLogsOptions, "seed" | "blobCount" | "zarrCount">,
): AssetPool {
  return makeAssetPool(
    new Random((options.seed ?? 1) ^ 0x5eed),
    options.blobCount ?? 400,
    options.zarrCount ?? 40,
  );
}

/**
 * Writes raw logs in the archive's layout, `<folder>/YYYY/MM/DD.log`, and, when asked, the reduced
 * day files a correct reducer must produce from them. Lines are mostly in time order with the
 * small disorder of real S3 log delivery. Each day file appears whole: written aside, then renamed.
 */
export function generateRawLogs(folder: string, options: GenerateRawLogsOptions = {}): GeneratedLogs {
  const steps = writeRawLogs(folder, options);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * `generateRawLogs`, letting the event loop run between writes so that `signal` (Ctrl-C, SIGTERM)
 * can stop it; stopped, it removes the day file it was writing and rejects with `AbortedError`.
 */
export async function generateRawLogsAsync(
  folder: string,
  options: GenerateRawLogsOptions = {},
  signal?: AbortSignal,
): Promise<GeneratedLogs> {
  checkSignal(signal);
  const steps = writeRawLogs(folder, options);
  try {
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done) return step.value;
      await nextTurn();
      if (signal?.aborted)
        throw new AbortedError("generate was interrupted; the day files written before are whole");
    }
  } finally {
    // Runs the generator's own cleanup: the day file being written is removed.
    steps.return(undefined as never);
  }
}

/** The generation, one step per megabyte written. */
function* writeRawLogs(folder: string, options: GenerateRawLogsOptions): Generator<void, GeneratedLogs> {
  checkGenerateOptions(folder, options);
  const seed = options.seed ?? 1;
  const random = new Random(seed);
  const assets = assetPoolFor(options);
  const ips = makeIpPool(new Random(seed ^ 0x1b5), options.ipCount ?? 300);
  const factory = new LogLineFactory(random, assets, ips, {
    damageRate: options.damageRate ?? 0,
    damageKinds: options.damageKinds,
  });
  const start = Date.parse(`${options.startDate ?? "2024-01-01"}T00:00:00Z`) / 1000;
  const bytesPerDay = options.bytesPerDay ?? 1_000_000;
  const total = emptyLineCounts();
  const days: GeneratedDay[] = [];

  for (let day = 0; day < (options.days ?? 1); day++) {
    const dayStart = start + day * DAY_SECONDS;
    const date = new Date(dayStart * 1000).toISOString();
    const relativePath = path.join(date.slice(0, 4), date.slice(5, 7), `${date.slice(8, 10)}.log`);
    const filePath = path.join(folder, relativePath);
    fs.mkdirSync(path.dirname(filePath), { recursive: true });
    const tempPath = tempPathFor(filePath);
    const fd = fs.openSync(tempPath, "w");
    let done = false;
    const counts = emptyLineCounts();
    let expected = "";
    let bytes = 0;
    try {
      let batch: string[] = [];
      let batchBytes = 0;
      // Expected size of a line is ~700 bytes; spread the requests evenly over the day.
      const lineEstimate = Math.max(1, Math.round(bytesPerDay / 700));
      let index = 0;
      while (bytes < bytesPerDay) {
        const jitter = random.int(-30, 30);
        const when = Math.min(
          dayStart + DAY_SECONDS - 1,
          Math.max(dayStart, dayStart + Math.floor((index * DAY_SECONDS) / lineEstimate) + jitter),
        );
        index++;
        for (const line of factory.make(when)) {
          const text = line.text + line.terminator;
          batch.push(text);
          batchBytes += text.length;
          bytes += text.length;
          counts.lines++;
          if (line.fate.kind === "kept") {
            counts.kept++;
            expected += line.fate.row;
          } else if (line.fate.kind === "filtered") {
            counts.filtered[line.fate.reason]++;
          } else {
            counts.malformed[line.fate.reason]++;
          }
        }
        if (batchBytes >= WRITE_BATCH_BYTES) {
          fs.writeSync(fd, Buffer.from(batch.join(""), "latin1"));
          batch = [];
          batchBytes = 0;
          yield;
        }
      }
      fs.writeSync(fd, Buffer.from(batch.join(""), "latin1"));
      fs.renameSync(tempPath, filePath);
      done = true;
    } finally {
      fs.closeSync(fd);
      if (!done) fs.rmSync(tempPath, { force: true });
    }
    if (options.expectedReducedFolder !== undefined) {
      const expectedPath = path.join(options.expectedReducedFolder, relativePath.replace(/\.log$/, ".tsv"));
      fs.mkdirSync(path.dirname(expectedPath), { recursive: true });
      fs.writeFileSync(expectedPath, expected === "" ? "" : `${REDUCED_HEADER}${expected}`);
    }
    days.push({ relativePath, bytes, counts });
    addLineCounts(total, counts);
  }
  return { assets, days, counts: total };
}
