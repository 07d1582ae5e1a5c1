import * as path from "node:path";
import {
  checkNumber,
  checkObject,
  checkOptionsObject,
  checkSignal,
  invalidOption,
  MAX_TIMER_MS,
} from "../check-options.js";
import { AbortedError, RunError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { VERSION } from "../version.js";
import { blocksOf, providerOf } from "./provider-ranges.js";
import {
  bundledRangesFolder,
  DEFAULT_RANGE_URLS,
  DOWNLOADED_PROVIDERS,
  type DownloadedProvider,
  dateInText,
  dateOfRangeFile,
  RANGE_FILE_NAMES,
  type RangeSources,
  readSources,
  refreshedRangesFolder,
  SOURCES_FILE,
} from "./range-files.js";

export interface UpdateIpRangesOptions {
  /** Where to download each provider's file from; the providers' own addresses by default. */
  urls?: Partial<Record<DownloadedProvider, string>>;
  /** Per download, from the request to the last byte; 60 s by default. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface UpdatedRangeFile {
  provider: DownloadedProvider;
  url: string;
  /** Where it was written. */
  file: string;
  bytes: number;
  blocks: number;
  /** The file's own date (GitHub: when it was taken), ms since 1970. */
  date: number;
  /** The date of the package's snapshot of the same provider, which map reads instead when it is newer. */
  bundledDate: number | null;
}

export interface FailedRangeFile {
  provider: DownloadedProvider;
  url: string;
  reason: string;
}

export interface UpdateIpRangesSummary {
  folder: string;
  written: UpdatedRangeFile[];
  failed: FailedRangeFile[];
}

const URL_CODES: Readonly<Record<DownloadedProvider, string>> = {
  AWS: "ERR_INVALID_AWS_URL",
  GCP: "ERR_INVALID_GCP_URL",
  GitHub: "ERR_INVALID_GITHUB_URL",
};
const DEFAULT_TIMEOUT_MS = 60_000;
/** AWS's file, the largest, is under 3 MB; anything this large is not a range file. */
const MAX_BYTES = 64 * 1024 * 1024;

/**
 * Downloads each provider's range file, checks that it is that provider's file (its shape, a date
 * for AWS and GCP, at least one block), and writes it into the settings folder's `ip-ranges/` aside
 * then renamed, with `sources.json` saying where and when it was taken. The providers are
 * independent: a file that fails leaves the previous copy in place and the others are still written.
 */
export async function updateIpRanges(options: UpdateIpRangesOptions = {}): Promise<UpdateIpRangesSummary> {
  checkOptionsObject(options, "updateIpRanges", false);
  checkObject(options.urls, "urls");
  checkNumber(options.timeoutMs, "timeoutMs", 1, MAX_TIMER_MS);
  checkSignal(options.signal);
  const urls = Object.fromEntries(
    DOWNLOADED_PROVIDERS.map((provider) => [
      provider,
      checkedUrl(options.urls?.[provider] ?? DEFAULT_RANGE_URLS[provider], provider),
    ]),
  ) as Record<DownloadedProvider, string>;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const folder = refreshedRangesFolder();

  const outcomes = await Promise.all(
    DOWNLOADED_PROVIDERS.map((provider) => download(provider, urls[provider], timeoutMs, options.signal)),
  );
  if (options.signal?.aborted) throw new AbortedError("interrupted while downloading the range files");

  const bundled = bundledRangesFolder();
  const bundledSources = readSources(bundled);
  const sources: RangeSources = readSources(folder);
  const summary: UpdateIpRangesSummary = { folder, written: [], failed: [] };
  for (const outcome of outcomes) {
    if ("reason" in outcome) {
      summary.failed.push(outcome);
      continue;
    }
    const { provider, url, bytes, date, blocks, retrieved } = outcome;
    const file = path.join(folder, RANGE_FILE_NAMES[provider]);
    writeFileAtomic(file, bytes);
    sources[provider] = { file: RANGE_FILE_NAMES[provider], url, retrieved };
    summary.written.push({
      provider,
      url,
      file,
      bytes: bytes.length,
      blocks,
      date,
      bundledDate: dateOfRangeFile(
        provider,
        path.join(bundled, RANGE_FILE_NAMES[provider]),
        bundledSources[provider],
      ),
    });
  }
  // After the files: a copy whose entry is missing (a kill in between) is dated by its file's time.
  if (summary.written.length > 0)
    writeFileAtomic(path.join(folder, SOURCES_FILE), `${JSON.stringify(sources, null, 2)}\n`);
  return summary;
}

function checkedUrl(value: unknown, provider: DownloadedProvider): string {
  if (typeof value === "string") {
    try {
      const url = new URL(value);
      if (url.protocol === "https:" || url.protocol === "http:") return url.href;
    } catch {
      // Said below.
    }
  }
  throw invalidOption(
    `urls.${provider}`,
    `must be an http or https URL, not ${JSON.stringify(value)}`,
    URL_CODES[provider],
  );
}

type Downloaded = {
  provider: DownloadedProvider;
  url: string;
  bytes: Buffer;
  date: number;
  blocks: number;
  retrieved: string;
};

async function download(
  provider: DownloadedProvider,
  url: string,
  timeoutMs: number,
  stop: AbortSignal | undefined,
): Promise<Downloaded | FailedRangeFile> {
  const failed = (reason: string): FailedRangeFile => ({ provider, url, reason });
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = stop === undefined ? timeout : AbortSignal.any([stop, timeout]);
  let bytes: Buffer;
  try {
    const response = await fetch(url, {
      signal,
      redirect: "follow",
      // GitHub's API refuses requests without a User-Agent.
      headers: { Accept: "application/json", "User-Agent": `dandi-s3-log-parser/${VERSION}` },
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return failed(`answered HTTP ${response.status}; check the address, or try again later`);
    }
    bytes = await readBody(response);
  } catch (error) {
    if (stop?.aborted) return failed("interrupted");
    if (timeout.aborted) return failed(`no whole answer within ${timeoutMs / 1000} s; try again later`);
    return failed(`${(error as Error).message}; check the address and the network`);
  }
  const retrieved = new Date().toISOString();
  const problem = problemOf(provider, bytes);
  if (typeof problem === "string") return failed(`${problem}; nothing written for ${provider}`);
  const date = provider === "GitHub" ? Date.parse(retrieved) : problem.date;
  return { provider, url, bytes, date, blocks: problem.blocks, retrieved };
}

async function readBody(response: Response): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length"));
  if (declared > MAX_BYTES) throw new RunError(`its answer is ${declared} bytes, too large for a range file`);
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body === null) return Buffer.alloc(0);
  for await (const chunk of response.body) {
    total += chunk.length;
    if (total > MAX_BYTES)
      throw new RunError(`its answer passed ${MAX_BYTES} bytes, too large for a range file`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Why these bytes are not the provider's file, or its date and number of blocks. */
function problemOf(provider: DownloadedProvider, bytes: Buffer): string | { date: number; blocks: number } {
  const what = { AWS: "AWS ip-ranges.json", GCP: "GCP cloud.json", GitHub: "GitHub meta" }[provider];
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    return `the answer is not JSON (${(error as Error).message}), so not ${what}`;
  }
  const shape = providerOf(data);
  if (shape !== provider)
    return `the answer is ${shape === null ? "JSON of no known shape" : `${shape}'s file`}, not ${what}`;
  const record = data as Record<string, unknown>;
  let date = Number.NaN;
  if (provider !== "GitHub") {
    const field = provider === "AWS" ? "createDate" : "creationTime";
    date = dateInText(provider, JSON.stringify({ [field]: record[field] })) ?? Number.NaN;
    if (Number.isNaN(date)) return `the answer has no ${field}, which ${what} always has`;
  }
  const blocks = blocksOf(provider, record).size;
  if (blocks === 0) return `the answer lists no address block, which ${what} always does`;
  return { date, blocks };
}
