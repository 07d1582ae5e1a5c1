import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { RunError } from "../errors.js";
import { settingsFolder } from "../io/settings.js";

/**
 * Where the providers' range files come from when no `--ip_ranges_folder` is given: a dated snapshot
 * shipped in the package (`data/ip-ranges/`), and the copies `update-ip-ranges` keeps in the
 * settings folder (`ip-ranges/`). Both folders hold each provider's file as the provider publishes
 * it, under the same name, and `sources.json`, which says where and when each was taken. Per
 * provider the newer of the two is read, newer by the file's own date (AWS `createDate`, GCP
 * `creationTime`); GitHub's `meta` has no date, so for it the time it was taken counts, from
 * `sources.json` (or, for a copy that lost its entry, the file's time).
 */
export type DownloadedProvider = "AWS" | "GCP" | "GitHub";

export const DOWNLOADED_PROVIDERS: readonly DownloadedProvider[] = ["AWS", "GCP", "GitHub"];

/** Each provider's file, named as the provider names it. */
export const RANGE_FILE_NAMES: Readonly<Record<DownloadedProvider, string>> = {
  AWS: "ip-ranges.json",
  GCP: "cloud.json",
  GitHub: "meta.json",
};

export const DEFAULT_RANGE_URLS: Readonly<Record<DownloadedProvider, string>> = {
  AWS: "https://ip-ranges.amazonaws.com/ip-ranges.json",
  GCP: "https://www.gstatic.com/ipranges/cloud.json",
  GitHub: "https://api.github.com/meta",
};

/** Beside the range files: where and when each was taken. Never read as a range file. */
export const SOURCES_FILE = "sources.json";

export interface RangeSource {
  file: string;
  /** Where the provider publishes it. */
  url: string;
  /** When this copy was taken (ISO 8601, UTC). */
  retrieved: string;
  /** For the bundled snapshot: the archive it was taken from. */
  via?: string;
}

export type RangeSources = Partial<Record<DownloadedProvider, RangeSource>>;

export interface ChosenRangeFile {
  provider: DownloadedProvider;
  file: string;
  /** Milliseconds since 1970: the file's own date, or when it was taken. */
  date: number;
  origin: "bundled" | "refreshed";
}

/** The package's snapshot: the nearest `data/ip-ranges/` above this module (src/ under the tests, dist/cli/ bundled). */
export function bundledRangesFolder(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(folder, "data", "ip-ranges");
    if (fs.existsSync(path.join(candidate, SOURCES_FILE))) return candidate;
    const parent = path.dirname(folder);
    if (parent === folder)
      throw new RunError(
        "the bundled data/ip-ranges/ folder is missing from this installation; reinstall the package",
      );
    folder = parent;
  }
}

/** Where `update-ip-ranges` writes. */
export function refreshedRangesFolder(): string {
  return path.join(settingsFolder(), "ip-ranges");
}

export function readSources(folder: string): RangeSources {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(folder, SOURCES_FILE), "utf8")) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as RangeSources)
      : {};
  } catch {
    return {};
  }
}

/**
 * Per provider, the newer of the bundled file and the refreshed copy (the bundled one when they are
 * as old). Only the start of each file is read, where the providers put their date.
 */
export function chooseRangeFiles(
  bundled = bundledRangesFolder(),
  refreshed = refreshedRangesFolder(),
): ChosenRangeFile[] {
  const bundledSources = readSources(bundled);
  const refreshedSources = readSources(refreshed);
  const chosen: ChosenRangeFile[] = [];
  for (const provider of DOWNLOADED_PROVIDERS) {
    const name = RANGE_FILE_NAMES[provider];
    const inBundle = path.join(bundled, name);
    const bundleDate = dateOfRangeFile(provider, inBundle, bundledSources[provider]);
    if (bundleDate === null)
      throw new RunError(`the bundled ${inBundle} is missing or has no date; reinstall the package`);
    let best: ChosenRangeFile = { provider, file: inBundle, date: bundleDate, origin: "bundled" };
    const copy = path.join(refreshed, name);
    const copyDate = dateOfRangeFile(provider, copy, refreshedSources[provider]);
    if (copyDate !== null && copyDate > bundleDate)
      best = { provider, file: copy, date: copyDate, origin: "refreshed" };
    chosen.push(best);
  }
  return chosen;
}

const HEAD_BYTES = 4096;
const AWS_DATE = /"createDate"\s*:\s*"(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)"/;
const GCP_DATE = /"creationTime"\s*:\s*"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:\d\d)?"/;

/** The date of one provider's file (ms since 1970), or null when there is no such file or no date in it. */
export function dateOfRangeFile(
  provider: DownloadedProvider,
  file: string,
  source: RangeSource | undefined,
): number | null {
  let head: string;
  let mtimeMs: number;
  try {
    const fd = fs.openSync(file, "r");
    try {
      const buffer = Buffer.alloc(HEAD_BYTES);
      head = buffer.toString("utf8", 0, fs.readSync(fd, buffer, 0, HEAD_BYTES, 0));
      mtimeMs = fs.fstatSync(fd).mtimeMs;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  if (provider === "GitHub") {
    const retrieved = source?.file === path.basename(file) ? Date.parse(source.retrieved) : Number.NaN;
    return Number.isNaN(retrieved) ? Math.floor(mtimeMs) : retrieved;
  }
  return dateInText(provider, head);
}

/** The provider's own date in (the start of) its file, in ms since 1970; AWS and GCP write UTC. */
export function dateInText(provider: "AWS" | "GCP", text: string): number | null {
  if (provider === "AWS") {
    const m = AWS_DATE.exec(text);
    return m === null ? null : Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  }
  const m = GCP_DATE.exec(text);
  if (m === null) return null;
  // JavaScript dates keep milliseconds; GCP writes microseconds.
  const time = Date.parse(`${m[1].replace(/(\.\d{3})\d+$/, "$1")}${m[2] ?? "Z"}`);
  return Number.isNaN(time) ? null : time;
}
