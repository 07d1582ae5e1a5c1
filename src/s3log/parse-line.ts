import { FIELD_COUNT, S3_LOG_FIELD_NAMES } from "./fields.js";
import { LineLocator, LOCATED } from "./line-locator.js";
import { MALFORMED_REASONS, type MalformedReason } from "./reasons.js";
import { isoTimestampOf } from "./timestamp.js";

/**
 * One line of an S3 server access log, every documented field decoded as UTF-8 (invalid bytes
 * become U+FFFD). A field AWS wrote as `-`, or that an older line does not have, is null.
 */
export interface S3LogRecord {
  bucketOwner: string | null;
  bucket: string | null;
  /** As written, without brackets: `06/Feb/2019:00:00:38 +0000`. */
  time: string;
  /** The time in UTC as `2019-02-06T00:00:38`, or null when the time field is not a valid time. */
  timestamp: string | null;
  remoteIp: string | null;
  requester: string | null;
  requestId: string | null;
  operation: string;
  key: string | null;
  requestUri: string | null;
  httpStatus: number | null;
  errorCode: string | null;
  /** `-` (nothing sent) is 0. */
  bytesSent: number;
  objectSize: number | null;
  totalTime: number | null;
  turnAroundTime: number | null;
  referer: string | null;
  userAgent: string | null;
  versionId: string | null;
  hostId: string | null;
  signatureVersion: string | null;
  cipherSuite: string | null;
  authenticationType: string | null;
  hostHeader: string | null;
  tlsVersion: string | null;
  accessPointArn: string | null;
  aclRequired: string | null;
  sourceRegion: string | null;
}

export type ParseResult =
  | { ok: true; record: S3LogRecord }
  | { ok: false; reason: MalformedReason | "blank" };

/** One locator serves every call: it keeps no state from one buffer to the next (setBuffer resets it). */
const LOCATOR = new LineLocator();

const NUMERIC_FIELDS = new Set(["httpStatus", "bytesSent", "objectSize", "totalTime", "turnAroundTime"]);

/**
 * Parses one log line (without its line terminator, though a trailing `\r` is dropped). Tolerant of
 * what real logs hold: quotes inside the request URI, referer or user agent, requesters with spaces,
 * IPv6 or missing addresses, operations of four parts, invalid UTF-8, fields AWS added later.
 */
export function parseS3LogLine(line: Buffer | string): ParseResult {
  let buf = typeof line === "string" ? Buffer.from(line, "utf8") : line;
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0d) end--;
  buf = buf.subarray(0, end);
  if (buf.toString("latin1").trim() === "") return { ok: false, reason: "blank" };
  const locator = LOCATOR;
  locator.setBuffer(buf);
  let result = locator.locateHead(0, end);
  if (result === LOCATED) result = locator.locateTail(true);
  if (result !== LOCATED) return { ok: false, reason: MALFORMED_REASONS[result] };

  const values: Record<string, string | number | null> = {};
  for (let field = 0; field < FIELD_COUNT; field++) {
    const name = S3_LOG_FIELD_NAMES[field];
    const text =
      field < locator.fieldCount ? buf.toString("utf8", locator.starts[field], locator.ends[field]) : "-";
    if (NUMERIC_FIELDS.has(name)) {
      const n = /^\d+$/.test(text) ? Number(text) : null;
      values[name] = name === "bytesSent" ? (n ?? 0) : n;
    } else {
      values[name] = text === "-" && name !== "time" && name !== "operation" ? null : text;
    }
  }
  const record = values as unknown as S3LogRecord;
  record.timestamp = isoTimestampOf(record.time);
  return { ok: true, record };
}
