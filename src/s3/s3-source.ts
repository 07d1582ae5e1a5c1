import * as fs from "node:fs";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type { S3Client } from "@aws-sdk/client-s3";
import { RunError, UsageError } from "../errors.js";
import { tempPathFor } from "../io/atomic-file.js";
import type { LogObject, LogObjectSource } from "./log-objects.js";
import { deliveryTimeOf } from "./object-names.js";

/** Attempts at one object (the SDK's own retries of a request come on top). */
const OBJECT_ATTEMPTS = 6;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 20_000;
/** Requests the SDK makes at most for one call, retrying throttling (503 SlowDown), 5xx and dropped connections. */
const SDK_ATTEMPTS = 8;

export interface S3SourceOptions {
  /** An S3 Inventory manifest (a path or s3:// URL) to take the keys from instead of listing. */
  inventory?: string;
  /** Reduce workers: downloads run twice as many at once, at least 4. */
  workers: number;
}

/** `s3://bucket/prefix/` split into its bucket and prefix. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (match === null || match[1] === "")
    throw new UsageError(`\`rawFolder\` ${url} is not s3://bucket/prefix/`, {
      code: "ERR_BAD_S3_URL",
      optionNames: ["rawFolder"],
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
  readonly readsInPlace = false;

  private constructor(
    private readonly sdk: typeof import("@aws-sdk/client-s3"),
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly options: S3SourceOptions,
  ) {
    this.description = `s3://${bucket}/${prefix}`;
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
    let client = new sdk.S3Client({
      forcePathStyle: customEndpoint,
      followRegionRedirects: true,
      maxAttempts: SDK_ATTEMPTS,
    });
    if (!hasRegion) {
      // A region from a profile is kept; with none anywhere, us-east-1, from which S3 redirects to the bucket's.
      const region = await client.config.region().catch(() => null);
      if (!region) {
        client.destroy();
        client = new sdk.S3Client({
          region: "us-east-1",
          forcePathStyle: customEndpoint,
          followRegionRedirects: true,
          maxAttempts: SDK_ATTEMPTS,
        });
      }
    }
    return new S3ObjectSource(sdk, client, bucket, prefix, options);
  }

  async list(
    signal?: AbortSignal,
  ): Promise<{ objects: LogObject[]; skipped: { file: string; reason: string }[] }> {
    const entries =
      this.options.inventory === undefined ? await this.listBucket(signal) : await this.readInventory(signal);
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
    return { objects, skipped };
  }

  async fetch(
    objects: readonly LogObject[],
    scratchFolder: string,
    signal?: AbortSignal,
  ): Promise<{ paths: string[]; release: () => void }> {
    fs.mkdirSync(scratchFolder, { recursive: true });
    const paths = objects.map((_, i) => tempPathFor(path.join(scratchFolder, `object-${i}`)));
    const release = () => {
      for (const file of paths) fs.rmSync(file, { force: true });
    };
    let next = 0;
    const downloader = async () => {
      while (next < objects.length) {
        const i = next++;
        await this.download(objects[i], paths[i], signal);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(4, this.options.workers * 2) }, downloader));
    } catch (error) {
      release();
      throw error;
    }
    return { paths, release };
  }

  /** One object to `file`, whole; retried from its start when the body breaks off. */
  private async download(object: LogObject, file: string, signal?: AbortSignal): Promise<void> {
    const key = this.prefix + object.key;
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await this.client.send(
          new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }),
          { abortSignal: signal },
        );
        // Raw lines, addresses in clear: readable by the owner only, as error logs are, while they exist.
        await pipeline(answer.Body as Readable, fs.createWriteStream(file, { mode: 0o600 }), { signal });
        const size = fs.statSync(file).size;
        if (size !== object.size) throw new Error(`${size} bytes arrived of ${object.size}`);
        return;
      } catch (error) {
        if (signal?.aborted) throw error;
        if (attempt >= OBJECT_ATTEMPTS || !isTransient(error))
          throw new RunError(`could not read s3://${this.bucket}/${key}: ${(error as Error).message}`, {
            cause: error,
          });
        await sleep(
          Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2),
        );
      }
    }
  }

  private async listBucket(signal?: AbortSignal): Promise<{ key: string; size: number; etag: string }[]> {
    const entries: { key: string; size: number; etag: string }[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new this.sdk.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix,
          ContinuationToken: token,
        }),
        { abortSignal: signal },
      );
      for (const item of page.Contents ?? [])
        if (item.Key !== undefined)
          entries.push({ key: item.Key, size: item.Size ?? 0, etag: cleanEtag(item.ETag) });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return entries;
  }

  /**
   * The keys an S3 Inventory lists: its `manifest.json` (local, or s3://) names CSV files, gzipped, in
   * its destination bucket, with the columns its `fileSchema` gives; keys in them are URL-encoded.
   */
  private async readInventory(signal?: AbortSignal): Promise<{ key: string; size: number; etag: string }[]> {
    const location = this.options.inventory as string;
    const text = location.startsWith("s3://")
      ? await this.readText(parseS3Url(location), signal)
      : fs.readFileSync(location, "utf8");
    const manifest = JSON.parse(text) as {
      destinationBucket?: string;
      fileFormat?: string;
      fileSchema?: string;
      files?: { key: string }[];
    };
    const bucket = manifest.destinationBucket?.replace(/^arn:aws:s3:::/, "");
    if (manifest.fileFormat !== "CSV" || !bucket || !manifest.fileSchema || !Array.isArray(manifest.files))
      throw new UsageError(
        `inventory manifest ${location} is not an S3 Inventory manifest in CSV format (destinationBucket, fileSchema, files)`,
        { code: "ERR_BAD_INVENTORY", optionNames: ["inventory"] },
      );
    const columns = manifest.fileSchema.split(",").map((name) => name.trim());
    const [keyAt, sizeAt, etagAt] = ["Key", "Size", "ETag"].map((name) => columns.indexOf(name));
    if (keyAt === -1 || sizeAt === -1)
      throw new UsageError(`inventory manifest ${location} lists no Key and Size columns`, {
        code: "ERR_BAD_INVENTORY",
        optionNames: ["inventory"],
      });
    const entries: { key: string; size: number; etag: string }[] = [];
    for (const file of manifest.files) {
      const csv = await this.readText({ bucket, prefix: file.key }, signal, true);
      for (const line of csv.split("\n")) {
        if (line === "") continue;
        const fields = parseCsvLine(line);
        const key = decodeURIComponent(fields[keyAt].replaceAll("+", " "));
        if (!key.startsWith(this.prefix)) continue;
        entries.push({
          key,
          size: Number(fields[sizeAt]),
          etag: etagAt === -1 ? "-" : cleanEtag(fields[etagAt]),
        });
      }
    }
    return entries;
  }

  private async readText(
    where: { bucket: string; prefix: string },
    signal?: AbortSignal,
    gzipped = false,
  ): Promise<string> {
    const answer = await this.client.send(
      new this.sdk.GetObjectCommand({ Bucket: where.bucket, Key: where.prefix }),
      {
        abortSignal: signal,
      },
    );
    const chunks: Buffer[] = [];
    const body = answer.Body as Readable;
    const stream = gzipped ? body.pipe(createGunzip()) : body;
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
}

function cleanEtag(etag: string | undefined): string {
  return etag ? etag.replaceAll('"', "") : "-";
}

/** One line of an inventory CSV: fields in double quotes, `""` for a quote inside. */
function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = "";
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else value += line[i++];
      }
      fields.push(value);
      i++;
    } else {
      const comma = line.indexOf(",", i);
      const end = comma === -1 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
