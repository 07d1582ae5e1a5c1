import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

/** What the stand-in does to the next GETs of objects, to test retries and kills. */
export interface S3Faults {
  /** Answer this many object GETs with 503 SlowDown first. */
  slowDown?: number;
  /** Cut this many object GETs off after half their body. */
  dropMidBody?: number;
  /** Send half the body of every object GET, then hold the rest until the client goes away. */
  holdMidBody?: boolean;
  /** Accept every object GET (not a listing) and never answer it. */
  neverAnswerGets?: boolean;
  /** Accept every listing and never answer it. */
  neverAnswerLists?: boolean;
  /** Answer every listing with this error (such as 500 InternalError), every time. */
  failLists?: { status: number; code: string };
  /** Answer every request with 403 AccessDenied. */
  denyAccess?: boolean;
  /** Wait this long before answering each object GET, as a distant S3 does. */
  getDelayMs?: number;
  /** Refuse (403) every listing of a prefix longer than this one, as a policy with `StringEquals` does. */
  listOnlyPrefix?: string;
  /** Answer every listing by a delimiter as truncated, with the same continuation token each time. */
  repeatFolderToken?: boolean;
}

/**
 * A local S3 stand-in on 127.0.0.1 speaking what reduce uses, path-style: ListObjectsV2 (in pages
 * of `pageSize`) and GetObject, with faults to order. Objects live in memory.
 */
export class S3StandIn {
  readonly buckets = new Map<string, Map<string, Buffer>>();
  faults: S3Faults = {};
  /** Answers given, by kind: `list`, `get`, `slowDown`, `dropped`, `held`. */
  readonly served = { list: 0, get: 0, slowDown: 0, dropped: 0, held: 0, unanswered: 0, failed: 0 };
  /** Keys sent in listings, the `start-after` of each listing, and the most object GETs answered at once. */
  keysListed = 0;
  readonly startAfters: string[] = [];
  mostGetsAtOnce = 0;
  /** Listings by folder (`delimiter=/`) answered. */
  folderListings = 0;
  private getsNow = 0;
  private server: http.Server | null = null;

  constructor(private readonly pageSize = 1000) {}

  put(bucket: string, key: string, body: Buffer): void {
    let objects = this.buckets.get(bucket);
    if (objects === undefined) {
      objects = new Map();
      this.buckets.set(bucket, objects);
    }
    objects.set(key, body);
  }

  async start(): Promise<string> {
    this.server = http.createServer((request, response) => this.answer(request, response));
    this.server.listen(0, "127.0.0.1");
    await new Promise((resolve) => this.server?.once("listening", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Starts the server and returns the environment that points the AWS SDK of a command at it: its
   * endpoint, test credentials, a region, and no shared AWS files of the user's (`missing` names
   * files that do not exist).
   */
  async startForClients(missing: string): Promise<Record<string, string>> {
    return {
      AWS_ENDPOINT_URL_S3: await this.start(),
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: path.join(missing, "no-config"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(missing, "no-credentials"),
    };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private answer(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://localhost");
    const listing = url.searchParams.get("list-type") === "2";
    if (this.faults.denyAccess) {
      this.served.failed++;
      error(response, 403, "AccessDenied");
      return;
    }
    if ((listing && this.faults.neverAnswerLists) || (!listing && this.faults.neverAnswerGets)) {
      this.served.unanswered++;
      return;
    }
    const listedPrefix = url.searchParams.get("prefix") ?? "";
    if (
      listing &&
      this.faults.listOnlyPrefix !== undefined &&
      listedPrefix.length > this.faults.listOnlyPrefix.length
    ) {
      this.served.failed++;
      error(response, 403, "AccessDenied");
      return;
    }
    if (listing && this.faults.failLists !== undefined) {
      this.served.failed++;
      error(response, this.faults.failLists.status, this.faults.failLists.code);
      return;
    }
    const [, bucket, ...rest] = url.pathname.split("/");
    const objects = this.buckets.get(decodeURIComponent(bucket));
    if (objects === undefined) {
      error(response, 404, "NoSuchBucket");
      return;
    }
    const key = rest.map(decodeURIComponent).join("/");
    if (key === "" && url.searchParams.get("list-type") === "2") {
      this.list(objects, url, response);
      return;
    }
    const body = objects.get(key);
    if (body === undefined) {
      error(response, 404, "NoSuchKey");
      return;
    }
    if ((this.faults.slowDown ?? 0) > 0) {
      this.faults.slowDown = (this.faults.slowDown ?? 0) - 1;
      this.served.slowDown++;
      error(response, 503, "SlowDown");
      return;
    }
    this.served.get++;
    if ((this.faults.getDelayMs ?? 0) > 0) {
      this.getsNow++;
      this.mostGetsAtOnce = Math.max(this.mostGetsAtOnce, this.getsNow);
      setTimeout(() => {
        this.getsNow--;
        this.sendObject(request, response, body);
      }, this.faults.getDelayMs);
      return;
    }
    this.sendObject(request, response, body);
  }

  private sendObject(request: http.IncomingMessage, response: http.ServerResponse, body: Buffer): void {
    response.writeHead(200, {
      "content-length": body.length,
      etag: `"${createHash("md5").update(body).digest("hex")}"`,
      "content-type": "application/octet-stream",
    });
    const half = Math.floor(body.length / 2);
    if ((this.faults.dropMidBody ?? 0) > 0 && body.length > 1) {
      this.faults.dropMidBody = (this.faults.dropMidBody ?? 0) - 1;
      this.served.dropped++;
      response.write(body.subarray(0, half), () => request.socket.destroy());
      return;
    }
    if (this.faults.holdMidBody) {
      this.served.held++;
      response.write(body.subarray(0, half));
      return;
    }
    response.end(body);
  }

  private list(objects: Map<string, Buffer>, url: URL, response: http.ServerResponse): void {
    this.served.list++;
    const prefix = url.searchParams.get("prefix") ?? "";
    const delimiter = url.searchParams.get("delimiter");
    if (delimiter !== null) {
      this.listFolders(
        objects,
        prefix,
        delimiter,
        url.searchParams.get("continuation-token") ?? "",
        response,
      );
      return;
    }
    const startAfter = url.searchParams.get("start-after") ?? "";
    if (url.searchParams.get("continuation-token") === null) this.startAfters.push(startAfter);
    // As S3 does: a continuation token goes on from its own place, past `start-after` already.
    const after = url.searchParams.get("continuation-token") ?? startAfter;
    const keys = [...objects.keys()].filter((key) => key.startsWith(prefix) && key > after).sort();
    const page = keys.slice(0, this.pageSize);
    const truncated = keys.length > page.length;
    this.keysListed += page.length;
    const contents = page
      .map((key) => {
        const body = objects.get(key) as Buffer;
        const etag = createHash("md5").update(body).digest("hex");
        return `<Contents><Key>${escapeXml(key)}</Key><Size>${body.length}</Size><ETag>&quot;${etag}&quot;</ETag><LastModified>2024-01-01T00:00:00.000Z</LastModified><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join("");
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${this.pageSize}</MaxKeys>` +
      `<IsTruncated>${truncated}</IsTruncated>${contents}` +
      (truncated
        ? `<NextContinuationToken>${escapeXml(page[page.length - 1])}</NextContinuationToken>`
        : "") +
      "</ListBucketResult>";
    response.writeHead(200, { "content-type": "application/xml" });
    response.end(xml);
  }

  /**
   * A page of a listing by `delimiter`: the keys below the prefix without it, and the rest folded up
   * to its first occurrence (common prefixes), in one order, a page at a time as S3 pages them.
   */
  private listFolders(
    objects: Map<string, Buffer>,
    prefix: string,
    delimiter: string,
    after: string,
    response: http.ServerResponse,
  ): void {
    this.folderListings++;
    const entries = new Set<string>();
    for (const key of objects.keys()) {
      if (!key.startsWith(prefix)) continue;
      const at = key.indexOf(delimiter, prefix.length);
      entries.add(at === -1 ? key : key.slice(0, at + delimiter.length));
    }
    const sorted = [...entries].filter((entry) => entry > after).sort();
    const page = sorted.slice(0, this.pageSize);
    const isFolder = (entry: string) => entry.endsWith(delimiter) && !objects.has(entry);
    const keys = page.filter((entry) => !isFolder(entry));
    const folders = page.filter(isFolder);
    const truncated = sorted.length > page.length || this.faults.repeatFolderToken === true;
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Prefix>${escapeXml(prefix)}</Prefix><Delimiter>${escapeXml(delimiter)}</Delimiter><KeyCount>${page.length}</KeyCount>` +
      `<MaxKeys>${this.pageSize}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      (truncated
        ? `<NextContinuationToken>${this.faults.repeatFolderToken ? "again" : escapeXml(page[page.length - 1])}</NextContinuationToken>`
        : "") +
      keys
        .map(
          (key) =>
            `<Contents><Key>${escapeXml(key)}</Key><Size>${objects.get(key)?.length ?? 0}</Size></Contents>`,
        )
        .join("") +
      folders
        .map((folder) => `<CommonPrefixes><Prefix>${escapeXml(folder)}</Prefix></CommonPrefixes>`)
        .join("") +
      "</ListBucketResult>";
    response.writeHead(200, { "content-type": "application/xml" });
    response.end(xml);
  }
}

function error(response: http.ServerResponse, status: number, code: string): void {
  response.writeHead(status, { "content-type": "application/xml" });
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
  );
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
