import { createHash } from "node:crypto";
import {
  checkFunction,
  checkNumber,
  checkObject,
  checkSignal,
  checkString,
  checkWholeNumber,
  invalidOption,
  MAX_TIMER_MS,
} from "../check-options.js";
import { AbortedError, RunError, UsageError } from "../errors.js";
import { type CatalogAsset, CatalogError, toCatalogAsset } from "./catalog.js";
import {
  backoffMs,
  DEFAULT_RETRY,
  RETRIABLE_STATUSES,
  type RetryOptions,
  retryAfterMs,
  sleep,
} from "./http-retry.js";
import { Limiter } from "./limiter.js";

export const DEFAULT_API_URL = "https://api.dandiarchive.org/api";
export const PAGE_SIZE = 1000;

export interface DandiApiClientOptions {
  /** The API root, such as `https://api.dandiarchive.org/api`. */
  apiUrl?: string;
  /** Sent as `Authorization: token …` to the API's own origin only; defaults to `DANDI_API_KEY`. */
  apiKey?: string;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Per attempt, in milliseconds. */
  timeoutMs?: number;
  retry?: RetryOptions;
  signal?: AbortSignal;
  /** Called before each retry, with what went wrong. */
  onRetry?: (event: { url: string; attempt: number; reason: string; delayMs: number }) => void;
}

/** Pages of one listing at most when the API gives no count: a thousand times the archive's largest. */
const MAX_PAGES = 100_000;
/**
 * Attempts at one page that timed out, at most: an API that sent nothing for a minute three times
 * over is stuck, and waiting through every retry (eight, with their backoff) only keeps the daily
 * job, and its lock, waiting longer.
 */
const TIMEOUT_ATTEMPTS = 3;

type AttemptOutcome = { value: unknown } | { reason: string; retryAfterMs: number | null; timedOut: boolean };

/** A Dandiset as `/dandisets/` lists it. */
export interface ListedDandiset {
  identifier: string;
  name?: string;
  embargo_status?: string;
}

function nameOf(version: unknown): string | null {
  const name = (version as { name?: unknown } | null | undefined)?.name;
  return typeof name === "string" ? name : null;
}

export class ApiStatusError extends RunError {
  override name = "ApiStatusError";
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`${url} answered HTTP ${status}${hintFor(status)}`, {
      code: "ERR_API_STATUS",
      optionNames: status === 404 ? ["apiUrl"] : [],
    });
  }

  /** Embargoed Dandisets answer 401 to anonymous users and 403 to users without access. */
  get isEmbargoed(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

function hintFor(status: number): string {
  if (status === 401 || status === 403) return "; set DANDI_API_KEY to a key of an account with access";
  if (status === 404) return "; check `apiUrl` (such as https://api.dandiarchive.org/api)";
  return "";
}

/** The DANDI API root from an option, `DANDI_API_URL` or the public archive, without a trailing slash. */
export function resolveApiUrl(apiUrl?: string): string {
  const fromEnvironment = apiUrl === undefined && Boolean(process.env.DANDI_API_URL);
  const chosen = apiUrl ?? (process.env.DANDI_API_URL || DEFAULT_API_URL);
  const fail = (problem: string) =>
    fromEnvironment
      ? new UsageError(`DANDI_API_URL ${chosen} ${problem}`, { code: "ERR_INVALID_API_URL" })
      : invalidOption("apiUrl", `${chosen} ${problem}`);
  if (typeof chosen !== "string") throw invalidOption("apiUrl", `must be a URL such as ${DEFAULT_API_URL}`);
  let url: URL;
  try {
    url = new URL(chosen);
  } catch {
    throw fail(`is not a URL; pass one such as ${DEFAULT_API_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw fail("must start with https:// (or http:// for a local server)");
  }
  return chosen.replace(/\/+$/, "");
}

/**
 * Checks the client's options up front; `prefix` (such as `api.`) is how the caller nests them.
 * A `concurrency` of 0 would leave every request waiting for a free slot forever.
 */
export function checkApiClientOptions(options: DandiApiClientOptions | undefined, prefix = ""): void {
  if (options === undefined) return;
  checkObject(options, prefix === "" ? "options" : prefix.slice(0, -1));
  if (options.apiUrl !== undefined) resolveApiUrl(options.apiUrl);
  checkString(options.apiKey, `${prefix}apiKey`);
  checkWholeNumber(options.concurrency, `${prefix}concurrency`, 1);
  checkNumber(options.timeoutMs, `${prefix}timeoutMs`, 1, MAX_TIMER_MS);
  checkObject(options.retry, `${prefix}retry`);
  if (options.retry !== undefined) {
    checkWholeNumber(options.retry.attempts, `${prefix}retry.attempts`, 1);
    checkNumber(options.retry.baseDelayMs, `${prefix}retry.baseDelayMs`, 0);
    checkNumber(options.retry.maxDelayMs, `${prefix}retry.maxDelayMs`, 0);
    checkNumber(options.retry.maxRetryAfterMs, `${prefix}retry.maxRetryAfterMs`, 0);
  }
  checkSignal(options.signal, `${prefix}signal`);
  checkFunction(options.onRetry, `${prefix}onRetry`);
}

/**
 * A small client for the read-only part of the DANDI REST API the map step needs: Dandisets,
 * their versions, and each version's assets, all paginated `{count, next, previous, results}`.
 */
export class DandiApiClient {
  readonly apiUrl: string;
  private readonly origin: string;
  private readonly apiKey: string | undefined;
  private readonly limiter: Limiter;
  /** Requests in flight at most. */
  readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly retry: Required<RetryOptions>;
  private readonly signal: AbortSignal | undefined;
  private readonly onRetry: DandiApiClientOptions["onRetry"];
  requests = 0;
  retries = 0;

  constructor(options: DandiApiClientOptions = {}) {
    checkApiClientOptions(options);
    this.apiUrl = resolveApiUrl(options.apiUrl);
    this.origin = new URL(this.apiUrl).origin;
    this.apiKey = options.apiKey ?? (process.env.DANDI_API_KEY || undefined);
    this.concurrency = options.concurrency ?? 8;
    this.limiter = new Limiter(this.concurrency);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.signal = options.signal;
    this.onRetry = options.onRetry;
  }

  async listDandisetIdentifiers(): Promise<string[]> {
    return (await this.listDandisets()).map((dandiset) => dandiset.identifier);
  }

  /** Every Dandiset the API lists, with its name (its draft's) and embargo status when it gives them. */
  async listDandisets(): Promise<ListedDandiset[]> {
    const dandisets: ListedDandiset[] = [];
    for await (const results of this.pages(`${this.apiUrl}/dandisets/?page_size=${PAGE_SIZE}`)) {
      for (const item of results) {
        const { identifier, embargo_status, draft_version, most_recent_published_version } = (item ??
          {}) as Record<string, unknown>;
        if (typeof identifier !== "string") continue;
        const listed: ListedDandiset = { identifier };
        const name = nameOf(draft_version) ?? nameOf(most_recent_published_version);
        if (name !== null) listed.name = name;
        if (typeof embargo_status === "string") listed.embargo_status = embargo_status;
        dandisets.push(listed);
      }
    }
    return dandisets;
  }

  async listVersions(identifier: string): Promise<string[]> {
    const versions: string[] = [];
    const url = `${this.apiUrl}/dandisets/${encodeURIComponent(identifier)}/versions/?page_size=${PAGE_SIZE}`;
    for await (const results of this.pages(url)) {
      for (const item of results) {
        const version = (item as { version?: unknown })?.version;
        if (typeof version !== "string") throw new RunError(`${url}: a version without a "version" name`);
        versions.push(version);
      }
    }
    return versions;
  }

  async listAssets(identifier: string, version: string): Promise<CatalogAsset[]> {
    const assets: CatalogAsset[] = [];
    const url =
      `${this.apiUrl}/dandisets/${encodeURIComponent(identifier)}/versions/` +
      `${encodeURIComponent(version)}/assets/?page_size=${PAGE_SIZE}`;
    let page = 0;
    for await (const results of this.pages(url)) {
      page++;
      results.forEach((item, i) => {
        try {
          assets.push(toCatalogAsset(item, `${url} page ${page} result ${i}`));
        } catch (error) {
          // The archive sent something the map step cannot use: a fault of the server, not of the caller.
          if (error instanceof CatalogError) throw new RunError(error.message, { cause: error });
          throw error;
        }
      });
    }
    return assets;
  }

  /**
   * Every page's `results`, following `next` links (later asset pages carry `count: null`). A server
   * whose `next` links never end is stopped: at most as many pages as the first page's `count` needs
   * (plus two), and no more results than that count and a page; a page whose results repeat an
   * earlier page's (`next` links that keep changing and lead nowhere new), or `MAX_PAGES` when it
   * gives no count; and never an empty page that points further.
   */
  async *pages(firstUrl: string): AsyncGenerator<unknown[]> {
    let url: string | null = firstUrl;
    const seen = new Set<string>();
    const digests = new Set<string>();
    let limit = MAX_PAGES;
    let expected: number | null = null;
    let results = 0;
    let margin = 0;
    const endless = (problem: string) =>
      new RunError(`${firstUrl}: ${problem}; stopped there: check \`apiUrl\``, {
        code: "ERR_API_ENDLESS_PAGES",
        optionNames: ["apiUrl"],
      });
    while (url !== null) {
      if (seen.has(url))
        throw new RunError(`${url}: the API's "next" link points back to a page already read`, {
          code: "ERR_API_ENDLESS_PAGES",
        });
      if (seen.size >= limit)
        throw endless(
          `the API kept answering "next" past ${limit} pages` +
            `${expected === null ? "" : ` (it said there were ${expected} results)`}`,
        );
      seen.add(url);
      const page = (await this.getJson(url)) as { results?: unknown; next?: unknown; count?: unknown };
      if (typeof page !== "object" || page === null || !Array.isArray(page.results)) {
        throw new RunError(`${url}: expected a page {"count", "next", "results": [...]} from the API`);
      }
      if (seen.size === 1 && typeof page.count === "number" && page.results.length > 0) {
        expected = page.count;
        margin = page.results.length;
        limit = Math.min(MAX_PAGES, Math.ceil(page.count / page.results.length) + 2);
      }
      if (page.results.length === 0 && typeof page.next === "string") {
        throw new RunError(`${url}: an empty page whose "next" points further; the API's paging is broken`, {
          code: "ERR_API_ENDLESS_PAGES",
        });
      }
      results += page.results.length;
      if (expected !== null && results > expected + margin)
        throw endless(`the API gave ${results} results, where its first page said there were ${expected}`);
      // Items can shift by one between pages while the archive changes; a whole page never repeats.
      const digest = createHash("sha256").update(JSON.stringify(page.results)).digest("base64");
      if (digests.has(digest) && typeof page.next === "string")
        throw endless(`${url} repeats the results of an earlier page, and its "next" link leads further`);
      digests.add(digest);
      yield page.results;
      if (page.next !== null && page.next !== undefined && typeof page.next !== "string") {
        throw new RunError(`${url}: "next" must be a URL or null`);
      }
      url = (page.next as string | null | undefined) ?? null;
    }
  }

  /** GETs `url` and parses its JSON, retrying what a later attempt may fix. */
  async getJson(url: string): Promise<unknown> {
    let timeouts = 0;
    for (let attempt = 1; ; attempt++) {
      if (this.signal?.aborted) throw new AbortedError("interrupted while reading the DANDI API");
      const outcome = await this.limiter.run(() => this.attempt(url));
      if ("value" in outcome) return outcome.value;
      if (outcome.timedOut) timeouts++;
      if (attempt >= this.retry.attempts || timeouts >= TIMEOUT_ATTEMPTS) {
        throw new RunError(
          `${url}: ${outcome.reason}, still after ${attempt} attempts; check the API (\`apiUrl\` ${this.apiUrl}) and try again later`,
          { code: outcome.timedOut ? "ERR_NETWORK_TIMEOUT" : "ERR_API_UNREACHABLE", optionNames: ["apiUrl"] },
        );
      }
      const delayMs =
        outcome.retryAfterMs !== null
          ? Math.min(outcome.retryAfterMs, this.retry.maxRetryAfterMs)
          : backoffMs(attempt, this.retry);
      this.retries++;
      this.onRetry?.({ url, attempt, reason: outcome.reason, delayMs });
      try {
        await sleep(delayMs, this.signal);
      } catch {
        throw new AbortedError("interrupted while waiting to retry the DANDI API");
      }
    }
  }

  private async attempt(url: string): Promise<AttemptOutcome> {
    this.requests++;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = this.signal === undefined ? timeout : AbortSignal.any([this.signal, timeout]);
    const headers: Record<string, string> = { Accept: "application/json" };
    // The token goes to the API only, never to a host a "next" link might name.
    if (this.apiKey !== undefined && new URL(url).origin === this.origin) {
      headers.Authorization = `token ${this.apiKey}`;
    }
    let response: Response;
    try {
      response = await fetch(url, { headers, signal, redirect: "follow" });
    } catch (error) {
      if (this.signal?.aborted) throw new AbortedError("interrupted while reading the DANDI API");
      return {
        reason: timeout.aborted ? `no answer within ${this.timeoutMs / 1000} s` : networkReason(error),
        retryAfterMs: null,
        timedOut: timeout.aborted,
      };
    }
    if (!response.ok) {
      // The body is not needed; reading it frees the connection for reuse.
      await response.arrayBuffer().catch(() => undefined);
      if (RETRIABLE_STATUSES.has(response.status)) {
        return {
          reason: `HTTP ${response.status}`,
          retryAfterMs: retryAfterMs(response.headers.get("retry-after")),
          timedOut: false,
        };
      }
      throw new ApiStatusError(url, response.status);
    }
    try {
      return { value: JSON.parse(await response.text()) };
    } catch (error) {
      if (this.signal?.aborted) throw new AbortedError("interrupted while reading the DANDI API");
      // A body cut short by a dropped connection; the next attempt will likely get it whole.
      if (timeout.aborted)
        return {
          reason: `no whole answer within ${this.timeoutMs / 1000} s`,
          retryAfterMs: null,
          timedOut: true,
        };
      return {
        reason: `an unreadable answer (${(error as Error).message})`,
        retryAfterMs: null,
        timedOut: false,
      };
    }
  }
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `network error (${cause?.code ?? cause?.message ?? (error as Error).message})`;
}
