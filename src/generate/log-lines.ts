import type { FilterReason, MalformedReason } from "../s3log/reasons.js";
import { type AssetPool, CIPHERS, REFERERS, USER_AGENTS } from "./pools.js";
import type { Random } from "./random.js";

/** What a correct reducer must make of a generated line. */
export type LineFate =
  | { kind: "kept"; row: string }
  | { kind: "filtered"; reason: FilterReason }
  | { kind: "malformed"; reason: MalformedReason };

export interface GeneratedLine {
  /** The line without its terminator; may hold bytes 0x80-0xff as latin1 characters (invalid UTF-8). */
  text: string;
  /** `\n`, or `\r\n` for a line written by a Windows tool. */
  terminator: string;
  fate: LineFate;
}

/** The kinds of damage real logs carry; each is one test case for the parser. */
export const DAMAGE_KINDS = [
  "quote_in_uri",
  "quote_in_referer",
  "quoted_agent",
  "spaced_requester",
  "no_remote_ip",
  "ipv6",
  "four_part_operation",
  "invalid_utf8",
  "blank_line",
  "crlf",
  "truncated",
  "hostile_key",
  "long_uri",
] as const;
export type DamageKind = (typeof DAMAGE_KINDS)[number];

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const OWNER = "8787a3c41bf7ce0d54359d9348ad5b08e16bd5bb8ae5aa4e1508b435773a066e";
const BUCKET = "dandiarchive";
const UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const VERSION_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
const HEX = "0123456789abcdef";

const OPERATIONS: readonly (readonly [string, number])[] = [
  ["REST.GET.OBJECT", 70],
  ["REST.HEAD.OBJECT", 12],
  ["REST.GET.BUCKET", 3],
  ["REST.PUT.OBJECT", 3],
  ["REST.PUT.PART", 1.5],
  ["REST.POST.UPLOADS", 0.5],
  ["REST.GET.OBJECT_TAGGING", 1],
  ["REST.GET.ACL", 1],
  ["REST.COPY.OBJECT_GET", 1],
  ["REST.OPTIONS.PREFLIGHT", 2],
  ["BATCH.DELETE.OBJECT", 1],
  ["S3.TRANSITION_INT.OBJECT", 2],
  ["WEBSITE.GET.OBJECT", 0.5],
];

const GET_STATUSES: readonly (readonly [number, number])[] = [
  [200, 68],
  [206, 22],
  [304, 4],
  [403, 2],
  [404, 3],
  [500, 0.3],
  [503, 0.7],
];

const ERROR_CODES: Record<number, string> = {
  403: "AccessDenied",
  404: "NoSuchKey",
  500: "InternalError",
  503: "SlowDown",
};

const OTHER_KEYS = [
  "dandisets/000003/draft/dandiset.yaml",
  "dandisets/000026/0.230110.1517/assets.jsonld",
  "dandiarchive-logo.png",
  "index.html",
  "favicon.ico",
];

const HOSTILE_KEYS = [
  "blobs/",
  "zarr/",
  "blobs/abc/def/not-a-uuid",
  "blobs/../../../etc/passwd",
  "zarr/../../outside",
  "blobs/11e/c89/11ec8933-1456-4942-922b-94e5878bb99",
  "blobs/000/000/11ec8933-1456-4942-922b-94e5878bb991",
  "zarr/cb65c877-882b-4554-8fa1-8f4e986e13a6/../../../x",
  "zarr/CB65C877-882B-4554-8FA1-8F4E986E13A6/0/0",
];

const CLOUDFRONT_REQUESTER = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID";
const FOUR_PART_OPERATIONS = ["S3.COMPUTE.OBJECT.CHECKSUM", "S3.EXPIRE.OBJECT.NONCURRENT"];

export interface LineFactoryOptions {
  /** Share of lines carrying one kind of damage, 0 to 1. */
  damageRate: number;
  /** Restricts damage to these kinds (all by default). */
  damageKinds?: readonly DamageKind[];
}

interface Request {
  operation: string;
  key: string;
  assetKey: string | null;
  status: number;
  bytesSent: string;
  objectSize: string;
}

/** Builds realistic S3 access log lines of the DANDI bucket, each with its expected fate. */
export class LogLineFactory {
  private readonly damageKinds: readonly DamageKind[];

  constructor(
    private readonly random: Random,
    private readonly assets: AssetPool,
    private readonly ips: readonly string[],
    private readonly options: LineFactoryOptions,
  ) {
    this.damageKinds = options.damageKinds ?? DAMAGE_KINDS;
  }

  /** One or two lines (a blank line comes before its neighbour) for a request at `epochSeconds`. */
  make(epochSeconds: number): GeneratedLine[] {
    const random = this.random;
    const damage = random.chance(this.options.damageRate) ? random.pick(this.damageKinds) : null;
    const forcesDownload =
      damage === "quote_in_uri" ||
      damage === "invalid_utf8" ||
      damage === "quoted_agent" ||
      damage === "spaced_requester" ||
      damage === "no_remote_ip" ||
      damage === "long_uri" ||
      damage === "quote_in_referer";
    const request = this.request(damage, forcesDownload);
    let ip = random.pick(this.ips);
    if (damage === "no_remote_ip") ip = "-";
    if (damage === "ipv6")
      ip = `2600:1f18:${random.int(0, 0xffff).toString(16)}::${random.int(1, 0xffff).toString(16)}`;

    const time = formatTime(epochSeconds);
    const requester =
      damage === "spaced_requester"
        ? CLOUDFRONT_REQUESTER
        : random.chance(0.08)
          ? `arn:aws:iam::${random.string("0123456789", 12)}:user/dandi-${random.string("abcdefgh", 6)}`
          : "-";
    const requestId = random.string(UPPER_DIGITS, 16);
    // AWS's own operations leave the request URI, referer and user agent bare: `- … - -`.
    const ownOperation = request.operation === "BATCH.DELETE.OBJECT";
    const quotedUri = this.uri(request, damage);
    const uri = ownOperation ? "-" : quotedUri;
    const errorCode = ERROR_CODES[request.status] ?? "-";
    const totalTime = random.int(1, 4000);
    const turnAround = request.status === 304 ? "-" : String(random.int(1, Math.min(totalTime, 200)));
    let referer = random.weighted(REFERERS);
    if (damage === "quote_in_referer")
      referer = `https://dandiarchive.s3.amazonaws.com//?s=index&content="x";$ch=explode(".","a.b")`;
    let agent = random.weighted(USER_AGENTS);
    if (damage === "quoted_agent") agent = `"${agent}"`;
    if (damage === "invalid_utf8") agent = `${agent} \xff\xfe(\xc3\x28)`;
    const versionId = random.chance(0.5) ? random.string(VERSION_ALPHABET, 32) : "-";
    const hostId = `${random.string(BASE64, 75)}=`;
    const head =
      `${OWNER} ${BUCKET} [${time}] ${ip} ${requester} ${requestId} ${request.operation} ${request.key} ` +
      `${uri} ${request.status === 0 ? "-" : request.status} ${errorCode} ${request.bytesSent} ${request.objectSize} ` +
      `${totalTime} ${turnAround} ${ownOperation ? "- -" : `"${referer}" "${agent}"`} ${versionId} ${hostId}`;
    const trailing = this.trailingFields();
    let text = trailing === null ? head.slice(0, head.length - hostId.length - 1) : head + trailing;

    let fate = fateOf(request, time, ip);
    if (damage === "truncated") {
      // Cut after the operation and before the version ID (where the oldest format ends), so the
      // line cannot pass as complete.
      const afterOperation = head.indexOf(request.operation) + request.operation.length + 1;
      const versionIdStart = head.length - hostId.length - 1 - versionId.length;
      text = head.slice(0, this.random.int(afterOperation, versionIdStart));
      fate =
        request.operation === "REST.GET.OBJECT"
          ? { kind: "malformed", reason: "truncated" }
          : { kind: "filtered", reason: "operation" };
    }
    const line: GeneratedLine = { text, terminator: damage === "crlf" ? "\r\n" : "\n", fate };
    if (damage === "blank_line")
      return [{ text: "", terminator: "\n", fate: { kind: "filtered", reason: "blank" } }, line];
    return [line];
  }

  private request(damage: DamageKind | null, forcesDownload: boolean): Request {
    const random = this.random;
    let operation = forcesDownload ? "REST.GET.OBJECT" : random.weighted(OPERATIONS);
    if (damage === "four_part_operation") operation = random.pick(FOUR_PART_OPERATIONS);
    if (damage === "hostile_key") {
      return {
        operation: "REST.GET.OBJECT",
        key: random.pick(HOSTILE_KEYS),
        assetKey: null,
        status: 200,
        bytesSent: "512",
        objectSize: "512",
      };
    }
    const { key, assetKey, size } = this.key();
    if (operation.startsWith("S3."))
      return { operation, key, assetKey, status: 0, bytesSent: "-", objectSize: String(size) };
    if (operation !== "REST.GET.OBJECT") {
      const status = random.chance(0.95) ? 200 : 403;
      return {
        operation,
        key,
        assetKey,
        status,
        bytesSent: status === 200 ? "-" : String(random.int(243, 400)),
        objectSize: String(size),
      };
    }
    const status = forcesDownload ? 200 : random.weighted(GET_STATUSES);
    let bytesSent: string;
    if (status === 200) bytesSent = String(random.chance(0.97) ? size : random.int(0, size));
    else if (status === 206) bytesSent = String(random.int(1, Math.min(size, 64 * 1024 * 1024)));
    else if (status === 304) bytesSent = "-";
    else bytesSent = String(random.int(243, 400));
    return { operation, key, assetKey, status, bytesSent, objectSize: String(size) };
  }

  private key(): { key: string; assetKey: string | null; size: number } {
    const random = this.random;
    const r = random.next();
    if (r < 0.5 && this.assets.zarrs.length > 0) {
      const zarr = random.pick(this.assets.zarrs);
      const inside = random.chance(0.1)
        ? random.pick([".zattrs", ".zgroup", "0/.zarray"])
        : `${random.int(0, 5)}/${random.int(0, 3)}/${random.int(0, 40)}/${random.int(0, 40)}/${random.int(0, 40)}`;
      return { key: `zarr/${zarr.id}/${inside}`, assetKey: `zarr/${zarr.id}`, size: zarr.chunkSize };
    }
    if (r < 0.93 && this.assets.blobs.length > 0) {
      const blob = random.pick(this.assets.blobs);
      const key = `blobs/${blob.id.slice(0, 3)}/${blob.id.slice(3, 6)}/${blob.id}`;
      return { key, assetKey: key, size: blob.size };
    }
    return { key: random.pick(OTHER_KEYS), assetKey: null, size: random.int(200, 90_000) };
  }

  private uri(request: Request, damage: DamageKind | null): string {
    const random = this.random;
    if (request.operation.startsWith("S3.")) return "-";
    const method =
      request.operation.split(".")[1] === "HEAD" ? "HEAD" : request.operation.includes("PUT") ? "PUT" : "GET";
    let target = `/${request.key}`;
    if (damage === "quote_in_uri") {
      target += `?response-content-disposition=attachment; filename="sub-01_ecephys.nwb"&x="y"`;
    } else if (damage === "invalid_utf8" && random.chance(0.5)) {
      target += "?name=caf\xe9\xff";
    } else if (damage === "long_uri") {
      target += `?X-Amz-Meta=${random.string(BASE64, random.int(20_000, 200_000))}`;
    } else if (random.chance(0.25)) {
      target +=
        `?response-content-disposition=attachment%3B%20filename%3D%22data.nwb%22&X-Amz-Algorithm=AWS4-HMAC-SHA256` +
        `&X-Amz-Credential=AKIA${random.string(UPPER_DIGITS, 16)}%2F20240101%2Fus-east-2%2Fs3%2Faws4_request` +
        `&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=${random.string(HEX, 64)}`;
    } else if (random.chance(0.2)) {
      target += `?versionId=${random.string(VERSION_ALPHABET, 32)}`;
    }
    return `"${method} ${target} HTTP/1.1"`;
  }

  /**
   * Signature version onwards; older lines stop after the host ID or the TLS version, and the
   * oldest (until about 2017) after the version ID, without a host ID (null).
   */
  private trailingFields(): string | null {
    const random = this.random;
    const era = random.next();
    if (era < 0.02) return null;
    if (era < 0.05) return "";
    const sigv = random.chance(0.3) ? "SigV4" : "-";
    const auth = sigv === "-" ? "-" : random.pick(["AuthHeader", "QueryString"]);
    const host = random.chance(0.8)
      ? "dandiarchive.s3.amazonaws.com"
      : "dandiarchive.s3.us-east-2.amazonaws.com";
    const tls = random.pick(["TLSv1.2", "TLSv1.3"]);
    const base = ` ${sigv} ${random.pick(CIPHERS)} ${auth} ${host} ${tls}`;
    if (era < 0.2) return base;
    if (era < 0.5) return `${base} - -`;
    return `${base} - - ${random.chance(0.1) ? "us-east-2" : "-"}`;
  }
}

function fateOf(request: Request, time: string, ip: string): LineFate {
  if (request.operation !== "REST.GET.OBJECT") return { kind: "filtered", reason: "operation" };
  if (request.status < 200 || request.status > 299) return { kind: "filtered", reason: "status" };
  if (request.assetKey === null) return { kind: "filtered", reason: "not_asset_key" };
  const bytes = request.bytesSent === "-" ? "0" : request.bytesSent;
  return { kind: "kept", row: `${isoOf(time)}\t${ip}\t${request.assetKey}\t${bytes}\t${request.status}\n` };
}

export function formatTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

function isoOf(time: string): string {
  const month = String(MONTHS.indexOf(time.slice(3, 6)) + 1).padStart(2, "0");
  return `${time.slice(7, 11)}-${month}-${time.slice(0, 2)}T${time.slice(12, 20)}`;
}
