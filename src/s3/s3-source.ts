import { setMaxListeners } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type { S3Client } from "@aws-sdk/client-s3";
import { AbortedError, UsageError } from "../errors.js";
import { tempPathFor } from "../io/atomic-file.js";
import { envWholeNumber } from "../io/env-number.js";
import { gunzipFile, isGzipFile } from "../io/gzip.js";
import { BucketListing } from "./bucket-listing.js";
import { inventoryEntry, parseCsvLine, parseManifest } from "./inventory-format.js";
import { type ListedEntry, uniqueEntries } from "./listed-entries.js";
import type { ListFrom, LogObject, LogObjectSource, ObjectListing } from "./log-objects.js";
import { deliveryTimeOf } from "./object-names.js";
import { isTimeoutError, S3RetryStrategy, TIMEOUT_ATTEMPTS } from "./retry-strategy.js";
import { type S3ReadContext, s3Failure } from "./s3-errors.js";
import { keysFromWindow } from "./window-listing.js";

/** Attempts at one object whose body breaks off (the SDK's own retries of a request come on top). */
const OBJECT_ATTEMPTS = 6;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 20_000;
/**
 * Objects downloaded at once. A log object is small (a few KB to a few MB) and a GET waits tens of
 * milliseconds for its first byte, so downloads are bound by the round trips, not the cores: with
 * 20 ms per request and 50 KB objects, 4 at once read 10 MB/s. The AWS SDK keeps 50 connections.
 */
export const DEFAULT_DOWNLOADS = 32;
/** Abort listeners a download adds at most: its request, its body's pipe, its backoff's sleep. */
const LISTENERS_PER_DOWNLOAD = 3;

/** How long a request may send nothing (no connection, no answer, no byte of a body) unless told. */
export const DEFAULT_NETWORK_TIMEOUT_MS = 60_000;

export interface S3SourceOptions {
  /** An S3 Inventory manifest (a path or s3:// URL) to take the keys from instead of listing. */
  inventory?: string;
  /** Objects downloaded at once: `DEFAULT_DOWNLOADS` unless told (or `DANDI_S3_LOG_PARSER_S3_DOWNLOADS`). */
  downloads?: number;
  /**
   * How long a request may send nothing before it is given up: a connection not made, an answer
   * that does not come, a body that stops. Retried, then the run fails naming what it read.
   */
  timeoutMs?: number;
}

/** `s3://bucket/prefix/` split into its bucket and prefix. */
export function parseS3Url(url: string, option = "rawFolder"): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (match === null || match[1] === "")
    throw new UsageError(`\`${option}\` ${url} is not s3://bucket/prefix/`, {
      code: "ERR_BAD_S3_URL",
      optionNames: [option],
    });
  return { bucket: match[1], prefix: match[2] };
}

/**
 * Log objects in a bucket, through the AWS SDK: credentials and region from the standard chain
 * (environment, shared profile, instance or container role); the endpoint from the standard
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, with path-style addressing then, which MinIO, Ceph and
 * local test servers need. Objects are streamed to scratch files a few at a time, each retried
 * with backoff when the connection drops mid-body (the SDK retries the request itself).
 */
export class S3ObjectSource implements LogObjectSource {
  readonly description: string;
  private readonly timeoutMs: number;
  private readonly downloads: number;

  private constructor(
    private readonly sdk: typeof import("@aws-sdk/client-s3"),
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly options: S3SourceOptions,
  ) {
    this.description = `s3://${bucket}/${prefix}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_NETWORK_TIMEOUT_MS;
    this.downloads = downloadsOf(options);
  }

  static async open(url: string, options: S3SourceOptions): Promise<S3ObjectSource> {
    const { bucket, prefix } = parseS3Url(url);
    // The SDK warns on Node 20 that its releases from 2027 on need Node 22; that is for whoever
    // pins its version (package.json), not for every run's output. Set, it is the user's choice.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    // Loaded only for a bucket: the other runs need not pay for its start-up.
    const sdk = await import("@aws-sdk/client-s3");
    const customEndpoint = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
    const hasRegion = Boolean(process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION);
    const timeoutMs = options.timeoutMs ?? DEFAULT_NETWORK_TIMEOUT_MS;
    const config = {
      forcePathStyle: customEndpoint,
      followRegionRedirects: true,
      // The SDK sets no timeout of its own: a server that accepts and never answers held a run,
      // and its lock, forever. `socketTimeout` is the socket's idle time, so a slow body that keeps
      // coming is never cut, one that stops is.
      // Connections enough for every download at once (the SDK's own agent keeps 50).
      requestHandler: {
        connectionTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        ...agentsFor(downloadsOf(options)),
      },
      retryStrategy: new S3RetryStrategy(),
    };
    let client = new sdk.S3Client(config);
    if (!hasRegion) {
      // A region from a profile is kept; with none anywhere, us-east-1, from which S3 redirects to the bucket's.
      const region = await client.config.region().catch(() => null);
      if (!region) {
        client.destroy();
        client = new sdk.S3Client({ ...config, region: "us-east-1" });
      }
    }
    return new S3ObjectSource(sdk, client, bucket, prefix, options);
  }

  /** Frees the client's connections, so that a library caller's process can end. */
  close(): void {
    this.client.destroy();
  }

  private context(
    what: string,
    option: S3ReadContext["option"],
    missingKeyIs: S3ReadContext["missingKeyIs"],
    signal?: AbortSignal,
  ): S3ReadContext {
    return { what, option, missingKeyIs, timeoutMs: this.timeoutMs, signal };
  }

  /**
   * With `from`, the listing leaves out what the keys' layout lets it (window-listing.ts): a daily
   * run then lists the last few days' objects, not every object the bucket ever got (thousands a
   * day, a thousand keys a request).
   */
  async list(signal?: AbortSignal, from?: ListFrom): Promise<ObjectListing> {
    const lister = new BucketListing(
      { client: this.client, sdk: this.sdk, bucket: this.bucket },
      (what) => this.context(what, "rawFolder", "usage", signal),
      signal,
    );
    const windowKeys =
      from === undefined || this.options.inventory !== undefined
        ? null
        : await keysFromWindow(lister, this.prefix, from).catch((error: unknown) => {
            // A policy that lets the prefix be listed, and no deeper prefix: list it whole, as before.
            if ((error as { code?: string }).code === "ERR_S3_ACCESS_DENIED") return null;
            throw error;
          });
    const entries = uniqueEntries(
      windowKeys ??
        (this.options.inventory === undefined
          ? await lister.keys(this.prefix)
          : await this.readInventory(signal)),
      this.options.inventory ?? this.description,
    );
    const objects: LogObject[] = [];
    const skipped: { file: string; reason: string }[] = [];
    for (const entry of entries) {
      const key = entry.key.slice(this.prefix.length);
      const delivered = deliveryTimeOf(key);
      if (delivered === null)
        skipped.push({
          file: entry.key,
          reason: "not named like a log object (YYYY-MM-DD-HH-MM-SS-UNIQUESTRING)",
        });
      else objects.push({ key, size: entry.size, etag: entry.etag, delivered });
    }
    objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { objects, skipped, leftOutBefore: windowKeys === null ? null : (from?.time ?? null) };
  }

  async fetch(
    objects: readonly LogObject[],
    scratchFolder: string,
    signal?: AbortSignal,
  ): Promise<{ paths: string[]; release: () => void }> {
    fs.mkdirSync(scratchFolder, { recursive: true });
    const paths = objects.map((_, i) => tempPathFor(path.join(scratchFolder, `object-${i}`)));
    const written = new Set<string>();
    const release = () => {
      for (const file of written) fs.rmSync(file, { force: true });
    };
    // The first failure stops the other downloads: none writes a scratch file after the release.
    const stop = new AbortController();
    const linked = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
    // Each download listens to it (its request, and the pipe of its body): not a leak, as Node
    // warns past 10 listeners.
    setMaxListeners(LISTENERS_PER_DOWNLOAD * this.downloads + 10, linked);
    let next = 0;
    const downloader = async () => {
      while (next < objects.length && !linked.aborted) {
        const i = next++;
        written.add(paths[i]);
        await this.download(objects[i], paths[i], linked, signal);
        if (isGzipFile(paths[i])) {
          // Read as the plain lines it holds; the download's size was checked on the bytes sent.
          const plain = tempPathFor(path.join(scratchFolder, `object-${i}-plain`));
          written.add(plain);
          await gunzipFile(paths[i], plain, `s3://${this.bucket}/${this.prefix}${objects[i].key}`, signal);
          fs.rmSync(paths[i], { force: true });
          paths[i] = plain;
        }
      }
    };
    try {
      await Promise.all(
        Array.from({ length: this.downloads }, () =>
          downloader().catch((error) => {
            stop.abort();
            throw error;
          }),
        ),
      );
    } catch (error) {
      release();
      throw signal?.aborted ? new AbortedError(`interrupted while reading ${this.description}`) : error;
    }
    return { paths, release };
  }

  /**
   * One object to `file`, whole; retried from its start when the body breaks off. A body that stops
   * (nothing for the timeout) is retried too, but `TIMEOUT_ATTEMPTS` timeouts in all end the run:
   * the SDK has already retried a request that timed out before its answer.
   */
  private async download(
    object: LogObject,
    file: string,
    signal: AbortSignal,
    runSignal: AbortSignal | undefined,
  ): Promise<void> {
    const key = this.prefix + object.key;
    const context = this.context(`s3://${this.bucket}/${key}`, "rawFolder", "run", runSignal);
    let timeouts = 0;
    for (let attempt = 1; ; attempt++) {
      let answered = false;
      try {
        const answer = await this.client.send(
          new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }),
          { abortSignal: signal },
        );
        answered = true;
        // Raw lines, addresses in clear: readable by the owner only, as error logs are, while they exist.
        await pipeline(answer.Body as Readable, fs.createWriteStream(file, { mode: 0o600 }), { signal });
        const size = fs.statSync(file).size;
        if (size !== object.size) throw new Error(`${size} bytes arrived of ${object.size}`);
        return;
      } catch (error) {
        if (signal.aborted) throw runSignal?.aborted ? s3Failure(error, context) : error;
        if (isTimeoutError(error)) timeouts++;
        const final = !answered && isTimeoutError(error);
        if (final || timeouts >= TIMEOUT_ATTEMPTS || attempt >= OBJECT_ATTEMPTS || !isTransient(error))
          throw s3Failure(error, context);
        await sleep(
          Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2),
          signal,
        ).catch(() => {
          throw s3Failure(error, context);
        });
      }
    }
  }

  /**
   * The keys an S3 Inventory lists: its `manifest.json` (local, or s3://) names CSV files, gzipped, in
   * its destination bucket, with the columns its `fileSchema` gives; keys in them are URL-encoded.
   * Every field is checked: a manifest or data file that is not what S3 writes is a usage error
   * naming the file and line, not a TypeError.
   */
  private async readInventory(signal?: AbortSignal): Promise<ListedEntry[]> {
    const location = this.options.inventory as string;
    const manifest = parseManifest(location, await this.readManifestText(location, signal));
    const entries: ListedEntry[] = [];
    // A manifest that names a data file twice would list its keys twice.
    for (const file of [...new Set(manifest.files)]) {
      const where = `s3://${manifest.bucket}/${file}`;
      const csv = await this.readText(
        { bucket: manifest.bucket, key: file },
        this.context(`inventory data file ${where}`, "inventory", "usage", signal),
        true,
      );
      for (const [i, line] of csv.split("\n").entries()) {
        if (line === "" || line === "\r") continue;
        const entry = inventoryEntry(
          parseCsvLine(line.replace(/\r$/, "")),
          manifest,
          `${where} line ${i + 1}`,
        );
        if (entry.key.startsWith(this.prefix)) entries.push(entry);
      }
    }
    return entries;
  }

  private async readManifestText(location: string, signal?: AbortSignal): Promise<string> {
    if (location.startsWith("s3://")) {
      const { bucket, prefix } = parseS3Url(location, "inventory");
      return this.readText(
        { bucket, key: prefix },
        this.context(`inventory manifest ${location}`, "inventory", "usage", signal),
        false,
      );
    }
    try {
      return fs.readFileSync(location, "utf8");
    } catch (error) {
      throw new UsageError(
        `\`inventory\` ${location} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the path of the inventory's manifest.json`,
        { code: "ERR_BAD_INVENTORY", optionNames: ["inventory"], cause: error },
      );
    }
  }

  private async readText(
    where: { bucket: string; key: string },
    context: S3ReadContext,
    gzipped: boolean,
  ): Promise<string> {
    const chunks: Buffer[] = [];
    try {
      const answer = await this.client.send(
        new this.sdk.GetObjectCommand({ Bucket: where.bucket, Key: where.key }),
        { abortSignal: context.signal },
      );
      const body = answer.Body as Readable;
      if (gzipped) {
        const gunzip = createGunzip();
        const collect = (async () => {
          for await (const chunk of gunzip) chunks.push(chunk as Buffer);
        })();
        await Promise.all([pipeline(body, gunzip, { signal: context.signal }), collect]);
      } else for await (const chunk of body) chunks.push(chunk as Buffer);
    } catch (error) {
      const zlib = (error as { code?: string }).code?.startsWith("Z_") ?? false;
      if (zlib && !context.signal?.aborted)
        throw new UsageError(
          `${context.what} is not gzip-compressed CSV, as S3 Inventory writes it (${(error as Error).message}); check \`inventory\``,
          { code: "ERR_BAD_INVENTORY", optionNames: ["inventory"], cause: error },
        );
      throw s3Failure(error, context);
    }
    return Buffer.concat(chunks).toString("utf8");
  }
}

/** Errors worth another try: the connection dropped, throttling, or the server's own failure. */
function isTransient(error: unknown): boolean {
  const e = error as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  return true;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function downloadsOf(options: S3SourceOptions): number {
  return options.downloads ?? envWholeNumber("DANDI_S3_LOG_PARSER_S3_DOWNLOADS", DEFAULT_DOWNLOADS);
}

/** Agents of `downloads` connections when more than the SDK's 50 are asked for; its own otherwise. */
function agentsFor(downloads: number): { httpAgent?: object; httpsAgent?: object } {
  if (downloads <= 50) return {};
  const agent = { keepAlive: true, maxSockets: downloads };
  return { httpAgent: agent, httpsAgent: agent };
}
