import {
  F_BUCKET,
  F_BUCKET_OWNER,
  F_BYTES_SENT,
  F_ERROR_CODE,
  F_HTTP_STATUS,
  F_KEY,
  F_OBJECT_SIZE,
  F_OPERATION,
  F_REFERER,
  F_REMOTE_IP,
  F_REQUEST_ID,
  F_REQUEST_URI,
  F_REQUESTER,
  F_TIME,
  F_TURN_AROUND_TIME,
  F_USER_AGENT,
  F_VERSION_ID,
  FIELD_COUNT,
  MINIMUM_FIELD_COUNT,
} from "./fields.js";
import { M_BAD_REQUEST_URI, M_BAD_TIMESTAMP, M_NO_OPERATION, M_TRUNCATED } from "./reasons.js";

const SPACE = 0x20;
const QUOTE = 0x22;
const DASH = 0x2d;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const UNDERSCORE = 0x5f;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** `[06/Feb/2019:00:00:38 +0000]` is always this wide when AWS writes it. */
const TIME_FIELD_WIDTH = 28;
const MAX_TIME_FIELD_WIDTH = 64;
/** How many space-separated tokens a requester may span (CloudFront identities have four spaces). */
const MAX_REQUESTER_TOKENS = 12;

/** Returned by the locate methods when the line is well formed so far. */
export const LOCATED = -1;

/**
 * Finds where each field of one S3 access log line starts and ends, without decoding anything.
 *
 * The locator works on one buffer at a time (`setBuffer`) and lines are located in the order they
 * appear in it. Every search for a space or a quote moves forward only, and the last answer is
 * remembered: `indexOf` may run past the end of a line, but never scans the same bytes twice, so a
 * chunk full of lines without spaces still costs linear time.
 *
 * Locating is split in two so a caller can stop early: `locateHead` finds the fields up to the
 * operation (enough to filter most lines), `locateTail` the rest.
 */
export class LineLocator {
  /** Start offset of each field in the buffer, for fields `0 .. fieldCount - 1`. */
  readonly starts = new Int32Array(FIELD_COUNT);
  /** End offset (exclusive) of each field. */
  readonly ends = new Int32Array(FIELD_COUNT);
  fieldCount = 0;

  /** Whether the located operation equals the one given to `expectOperation`. */
  operationMatched = false;

  private buf: Buffer = Buffer.alloc(0);
  private expected: Uint8Array = new Uint8Array(0);
  private nextSpaceAt = -1;
  private nextQuoteAt = -1;
  private nextBracketAt = -1;
  private lineStart = 0;
  private lineEnd = 0;
  private cursor = 0;

  /**
   * The operation the caller is after. A token equal to it is an operation without the shape check,
   * which saves a byte loop on most lines of the reduce path.
   */
  expectOperation(operation: Uint8Array): void {
    this.expected = operation;
  }

  setBuffer(buf: Buffer): void {
    this.buf = buf;
    this.nextSpaceAt = -1;
    this.nextQuoteAt = -1;
    this.nextBracketAt = -1;
  }

  private nextSpace(from: number): number {
    if (from <= this.nextSpaceAt) return this.nextSpaceAt;
    const at = this.buf.indexOf(SPACE, from);
    this.nextSpaceAt = at === -1 ? this.buf.length : at;
    return this.nextSpaceAt;
  }

  private nextQuote(from: number): number {
    if (from <= this.nextQuoteAt) return this.nextQuoteAt;
    const at = this.buf.indexOf(QUOTE, from);
    this.nextQuoteAt = at === -1 ? this.buf.length : at;
    return this.nextQuoteAt;
  }

  private nextBracket(from: number): number {
    if (from <= this.nextBracketAt) return this.nextBracketAt;
    const at = this.buf.indexOf(OPEN_BRACKET, from);
    this.nextBracketAt = at === -1 ? this.buf.length : at;
    return this.nextBracketAt;
  }

  private set(field: number, start: number, end: number): void {
    this.starts[field] = start;
    this.ends[field] = end;
  }

  /**
   * Locates bucket owner, bucket, time, remote IP, requester, request ID and operation of the line
   * `[start, end)` (no line terminator). Returns `LOCATED` or a malformed reason code.
   */
  locateHead(start: number, end: number): number {
    const buf = this.buf;
    this.lineStart = start;
    this.lineEnd = end;
    this.fieldCount = 0;
    // Owner and bucket hold neither spaces nor brackets: one search for the time's bracket skips
    // both (they are located only when a caller asks for every field).
    let p = this.nextBracket(start);
    if (p >= end) return M_TRUNCATED;
    if (p === start || buf[p - 1] !== SPACE) return M_BAD_TIMESTAMP;

    // The time holds one space of its own; AWS writes it at a fixed width, so try that first.
    if (
      p + TIME_FIELD_WIDTH < end &&
      buf[p + TIME_FIELD_WIDTH - 1] === CLOSE_BRACKET &&
      buf[p + TIME_FIELD_WIDTH] === SPACE
    ) {
      this.set(F_TIME, p + 1, p + TIME_FIELD_WIDTH - 1);
      p += TIME_FIELD_WIDTH + 1;
    } else {
      // A bounded scan: an unclosed bracket must not send indexOf through the rest of the chunk.
      let close = p + 1;
      const limit = Math.min(end, p + MAX_TIME_FIELD_WIDTH);
      while (close < limit && buf[close] !== CLOSE_BRACKET) close++;
      if (close + 1 >= end) return M_TRUNCATED;
      if (buf[close] !== CLOSE_BRACKET || buf[close + 1] !== SPACE) return M_BAD_TIMESTAMP;
      this.set(F_TIME, p + 1, close);
      p = close + 2;
    }

    const sp = this.nextSpace(p);
    if (sp >= end) return M_TRUNCATED;
    this.set(F_REMOTE_IP, p, sp);
    p = sp + 1;

    // Fast path: requester, request ID and operation are one token each; the requester is `-` on
    // most lines of a public bucket, which saves a search.
    const requesterEnd = buf[p] === DASH && buf[p + 1] === SPACE ? p + 1 : this.nextSpace(p);
    const requestIdEnd = requesterEnd < end ? this.nextSpace(requesterEnd + 1) : end;
    const operationEnd = requestIdEnd < end ? this.nextSpace(requestIdEnd + 1) : end;
    if (operationEnd >= end) return M_TRUNCATED;
    this.operationMatched = equalsBytes(buf, requestIdEnd + 1, operationEnd, this.expected);
    if (this.operationMatched || isOperation(buf, requestIdEnd + 1, operationEnd)) {
      this.set(F_REQUESTER, p, requesterEnd);
      this.set(F_REQUEST_ID, requesterEnd + 1, requestIdEnd);
      return this.setOperation(requestIdEnd + 1, operationEnd);
    }
    return this.locateSpacedRequester(p, requestIdEnd + 1, operationEnd, end);
  }

  /**
   * Tolerant path: the requester holds spaces (`…/CloudFront Origin Access Identity E2EXAMPLEID`),
   * so walk on to the first token shaped like an operation; the token before it is the request ID.
   */
  private locateSpacedRequester(
    requesterStart: number,
    requestIdStart: number,
    requestIdEnd: number,
    end: number,
  ): number {
    for (let token = 0; token < MAX_REQUESTER_TOKENS; token++) {
      const operationStart = requestIdEnd + 1;
      const operationEnd = this.nextSpace(operationStart);
      if (operationEnd >= end) return M_TRUNCATED;
      if (isOperation(this.buf, operationStart, operationEnd)) {
        this.set(F_REQUESTER, requesterStart, requestIdStart - 1);
        this.set(F_REQUEST_ID, requestIdStart, requestIdEnd);
        this.operationMatched = equalsBytes(this.buf, operationStart, operationEnd, this.expected);
        return this.setOperation(operationStart, operationEnd);
      }
      requestIdStart = operationStart;
      requestIdEnd = operationEnd;
    }
    return M_NO_OPERATION;
  }

  private setOperation(start: number, end: number): number {
    this.set(F_OPERATION, start, end);
    this.cursor = end + 1;
    this.fieldCount = F_OPERATION + 1;
    return LOCATED;
  }

  /**
   * Locates key, request URI, status, error code, bytes sent, object size, total time and
   * turn-around time, after a successful `locateHead`, and then referer, user agent and the trailing
   * fields. Without `complete`, stops after bytes sent and only checks that the line reaches its version ID.
   */
  locateTail(complete: boolean): number {
    const buf = this.buf;
    const end = this.lineEnd;
    let p = this.cursor;
    let sp = this.nextSpace(p);
    if (sp >= end) return M_TRUNCATED;
    this.set(F_KEY, p, sp);
    p = sp + 1;

    // The request URI may hold unescaped quotes; it ends at the first quote followed by what
    // follows a URI: a status, an error code, and bytes sent and object size as numbers or `-`.
    // Matching that block also locates those four fields.
    let located = false;
    let statusStart: number;
    if (buf[p] === QUOTE) {
      let close = this.nextQuote(p + 1);
      let firstSpaced = -1;
      while (close < end) {
        located = this.matchStatusBlock(close + 1, end);
        if (located) break;
        if (firstSpaced === -1 && buf[close + 1] === SPACE) firstSpaced = close;
        close = this.nextQuote(close + 1);
      }
      // No quote is followed by a proper status block: take the first that ends a field, so a line
      // with a damaged status is named for that, not as cut short.
      if (close >= end) close = firstSpaced;
      if (close === -1) return M_TRUNCATED;
      this.set(F_REQUEST_URI, p + 1, close);
      statusStart = close + 2;
    } else if (buf[p] === DASH && buf[p + 1] === SPACE) {
      this.set(F_REQUEST_URI, p, p + 1);
      statusStart = p + 2;
    } else {
      return p >= end ? M_TRUNCATED : M_BAD_REQUEST_URI;
    }

    const last = complete ? F_TURN_AROUND_TIME : F_BYTES_SENT;
    let field = F_HTTP_STATUS;
    p = statusStart;
    if (located) {
      field = F_OBJECT_SIZE + 1;
      p = this.ends[F_OBJECT_SIZE] + 1;
    }
    for (; field <= last; field++) {
      sp = this.nextSpace(p);
      if (sp >= end) return M_TRUNCATED;
      this.set(field, p, sp);
      p = sp + 1;
    }
    this.fieldCount = Math.max(last, field - 1) + 1;
    return complete ? this.locateTrailingFields(p, end) : this.checkReachesVersionId(p, end);
  }

  /**
   * Whether ` 200 NoSuchKey 512 1024 ` (status or `-`, error code, bytes sent and object size as
   * numbers or `-`) starts at `p`; if so, locates those four fields. Requiring all four makes a
   * quote inside the URI that happens to precede ` 404 ` no match.
   */
  private matchStatusBlock(p: number, end: number): boolean {
    const buf = this.buf;
    if (buf[p] !== SPACE) return false;
    const status = p + 1;
    let at = status;
    if (buf[at] === DASH) at++;
    else if (isDigit(buf[at]) && isDigit(buf[at + 1]) && isDigit(buf[at + 2])) at += 3;
    else return false;
    if (buf[at] !== SPACE) return false;
    const errorCode = at + 1;
    at = errorCode;
    while (at < end && buf[at] !== SPACE) at++;
    if (at >= end) return false;
    const bytesSent = at + 1;
    const objectSize = skipNumberOrDash(buf, bytesSent, end);
    if (objectSize === -1) return false;
    const afterObjectSize = skipNumberOrDash(buf, objectSize, end);
    if (afterObjectSize === -1) return false;
    this.set(F_HTTP_STATUS, status, errorCode - 1);
    this.set(F_ERROR_CODE, errorCode, bytesSent - 1);
    this.set(F_BYTES_SENT, bytesSent, objectSize - 1);
    this.set(F_OBJECT_SIZE, objectSize, afterObjectSize - 1);
    return true;
  }

  /**
   * The cheap completeness check of the reduce path. A download's referer and user agent are quoted
   * and nothing after them holds a quote, so a line that reaches its version ID (the last field of
   * the oldest format) has a last quote, past the fields located so far (`located` is where the next
   * one starts), followed by a space and one more byte.
   * Lines that fail it (cut short, or with a bare `-` user agent) take the full walk, which decides.
   * One shape AWS does not write passes unchecked: a quoted referer, a bare user agent and no
   * version ID (the referer's quote stands in for the user agent's).
   */
  private checkReachesVersionId(located: number, end: number): number {
    const lastQuote = this.buf.lastIndexOf(QUOTE, end - 1);
    if (lastQuote >= located && lastQuote + 2 < end && this.buf[lastQuote + 1] === SPACE) return LOCATED;
    let field = this.fieldCount;
    let p = this.ends[field - 1] + 1;
    for (; field <= F_TURN_AROUND_TIME; field++) {
      const sp = this.nextSpace(p);
      if (sp >= end) return M_TRUNCATED;
      this.set(field, p, sp);
      p = sp + 1;
    }
    this.fieldCount = F_TURN_AROUND_TIME + 1;
    return this.locateTrailingFields(p, end);
  }

  /** Owner and bucket, before the time's bracket; only the full parse needs them. */
  private locateOwnerAndBucket(): void {
    const start = this.lineStart;
    const beforeTime = this.starts[F_TIME] - 2;
    let ownerEnd = start;
    while (ownerEnd < beforeTime && this.buf[ownerEnd] !== SPACE) ownerEnd++;
    this.set(F_BUCKET_OWNER, start, ownerEnd);
    this.set(F_BUCKET, Math.min(ownerEnd + 1, beforeTime), beforeTime);
  }

  /**
   * Referer, user agent and the fields after them. AWS quotes the referer and user agent, except on
   * lines of its own operations (`BATCH.DELETE.OBJECT`, lifecycle expiry) where both are a bare `-`.
   * A line must reach its version ID (the format until about 2017 ended there); fields after the
   * 27th (AWS appends new ones) are ignored.
   */
  private locateTrailingFields(refererStart: number, end: number): number {
    const buf = this.buf;
    this.locateOwnerAndBucket();
    let p = refererStart;
    if (p >= end) return M_TRUNCATED;
    let lastQuote = -1;
    if (buf[p] === QUOTE) {
      lastQuote = buf.lastIndexOf(QUOTE, end - 1);
      if (lastQuote <= p) return M_TRUNCATED;
      // The referer ends at the first `" "`; whatever quotes follow belong to the user agent. With
      // none, the referer ends at the last quote and the user agent is bare.
      let close = this.nextQuote(p + 1);
      while (close < lastQuote && !(buf[close + 1] === SPACE && buf[close + 2] === QUOTE)) {
        close = this.nextQuote(close + 1);
      }
      if (close > lastQuote) close = lastQuote;
      this.set(F_REFERER, p + 1, close);
      p = close + 2;
      if (buf[close + 1] !== SPACE || p >= end) return M_TRUNCATED;
    } else {
      p = this.locateBareField(F_REFERER, p, end);
      if (p >= end) return M_TRUNCATED;
    }

    if (buf[p] === QUOTE) {
      if (lastQuote === -1) lastQuote = buf.lastIndexOf(QUOTE, end - 1);
      if (lastQuote <= p) return M_TRUNCATED;
      this.set(F_USER_AGENT, p + 1, lastQuote);
      p = lastQuote + 2;
      if (buf[lastQuote + 1] !== SPACE || p >= end) return M_TRUNCATED;
    } else {
      p = this.locateBareField(F_USER_AGENT, p, end);
      if (p >= end) return M_TRUNCATED;
    }
    this.fieldCount = F_USER_AGENT + 1;

    for (let field = F_VERSION_ID; field < FIELD_COUNT && p < end; field++) {
      p = this.locateBareField(field, p, end);
      this.fieldCount = field + 1;
    }
    return this.fieldCount >= MINIMUM_FIELD_COUNT ? LOCATED : M_TRUNCATED;
  }

  /** An unquoted field from `p` to the next space or the end of the line; returns where the next one starts. */
  private locateBareField(field: number, p: number, end: number): number {
    const fieldEnd = Math.min(this.nextSpace(p), end);
    this.set(field, p, fieldEnd);
    return fieldEnd + 1;
  }
}

/** An operation looks like `REST.GET.OBJECT` or `S3.COMPUTE.OBJECT.CHECKSUM`: capitals, digits, `_`, two dots or more. */
export function isOperation(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < 5) return false;
  const first = buf[start];
  if (first < UPPER_A || first > UPPER_Z) return false;
  let dots = 0;
  for (let i = start + 1; i < end; i++) {
    const c = buf[i];
    if (c === DOT) dots++;
    else if (!((c >= UPPER_A && c <= UPPER_Z) || (c >= DIGIT_0 && c <= DIGIT_9) || c === UNDERSCORE))
      return false;
  }
  return dots >= 2;
}

/** Skips `123 ` or `- ` at `at`, returning the offset after the space, or -1. */
function skipNumberOrDash(buf: Uint8Array, at: number, end: number): number {
  if (buf[at] === DASH) return buf[at + 1] === SPACE ? at + 2 : -1;
  const start = at;
  while (at < end && isDigit(buf[at])) at++;
  return at > start && buf[at] === SPACE ? at + 1 : -1;
}

function equalsBytes(buf: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buf[start + i] !== expected[i]) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}
