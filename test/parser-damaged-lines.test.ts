import "./helpers.ts";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LogReducer, parseS3LogLine } from "../src/index.ts";

const OWNER = "8787a3c41bf7ce0d54359d9348ad5b08e16bd5bb8ae5aa4e1508b435773a066e";
const BLOB = "blobs/11e/c89/11ec8933-1456-4942-922b-94e5878bb991";
const HOST_ID = "DX8oFoKQx0o5V3lwEuWBxF5p2fSXrwINj0rnxmas0YgjWuPqYLK/vnW60Txh23K93aahe0IFw2c=";
const TAIL = `- ${HOST_ID} SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader dandiarchive.s3.amazonaws.com TLSv1.2 - - -`;

/** A well-formed line with some fields replaced. */
function line(
  parts: {
    ip?: string;
    requester?: string;
    operation?: string;
    key?: string;
    uri?: string;
    status?: string;
    bytes?: string;
    referer?: string;
    agent?: string;
    /** The referer and user agent as written, quotes and all, for lines that leave them bare. */
    refererAndAgent?: string;
    tail?: string;
    time?: string;
  } = {},
) {
  const key = parts.key ?? BLOB;
  return (
    `${OWNER} dandiarchive [${parts.time ?? "06/Apr/2022:05:06:35 +0000"}] ${parts.ip ?? "192.0.2.7"} ${parts.requester ?? "-"} J42N2W7ET0EC03CV ` +
    `${parts.operation ?? "REST.GET.OBJECT"} ${key} ${parts.uri ?? `"GET /${key} HTTP/1.1"`} ${parts.status ?? "200"} - ` +
    `${parts.bytes ?? "512"} 171408 53 52 ${parts.refererAndAgent ?? `"${parts.referer ?? "-"}" "${parts.agent ?? "git-annex/10.20230626-g801c4b7"}"`} ${parts.tail ?? TAIL}`
  );
}

/** What the reducer does with one line: the reduced row, or the bucket it went to. */
function reduceOne(text: string | Buffer): string {
  let row = "";
  let bucket = "";
  const reducer = new LogReducer({
    output: (chunk, length) => {
      row += chunk.toString("latin1", 0, length);
    },
    malformed: (_line, reason) => {
      bucket = `malformed:${reason}`;
    },
  });
  reducer.write(typeof text === "string" ? Buffer.from(text, "latin1") : text);
  reducer.end();
  const counts = reducer.counter.toLineCounts();
  for (const [reason, n] of Object.entries(counts.filtered)) if (n > 0) bucket = `filtered:${reason}`;
  return row === "" ? bucket : row.split("\n")[1];
}

/** The reduced row of the default line: its HTTP status last, as the line has it. */
const ROW = `2022-04-06T05:06:35\t192.0.2.7\t${BLOB}\t512\t200`;

/** The fields after the user agent, from the version ID on: 27 in all today. */
const TAIL_FIELDS = TAIL.split(" ");

interface Case {
  name: string;
  text: string | Buffer;
  /** The reduced row, or `filtered:<reason>` / `malformed:<reason>`. */
  reduced: string;
  /** Fields parseS3LogLine must decode to these values. */
  parsed?: Record<string, unknown>;
  /** Why parseS3LogLine refuses the line. */
  refused?: string;
}

const TAIL_NAMES = [
  "versionId",
  "hostId",
  "signatureVersion",
  "cipherSuite",
  "authenticationType",
  "hostHeader",
  "tlsVersion",
];

/**
 * Every length AWS has written: the format until about 2017 ended after the version ID (18 fields),
 * later ones grew a field at a time up to the source region (27).
 */
const FIELD_COUNT_CASES: Case[] = Array.from({ length: 27 - 18 + 1 }, (_, i) => {
  const fields = 18 + i;
  const tail = TAIL_FIELDS.slice(0, fields - 17);
  const parsed: Record<string, unknown> = {};
  TAIL_NAMES.forEach((name, at) => {
    const value = tail[at];
    parsed[name] = value === undefined || value === "-" ? null : value;
  });
  return { name: `a line of ${fields} fields`, text: line({ tail: tail.join(" ") }), reduced: ROW, parsed };
});

/** A line of one of AWS's own operations: request URI, referer and user agent are bare `-`. */
const BATCH_DELETE =
  `${OWNER} dandiarchive [06/Apr/2022:05:06:35 +0000] 192.0.2.7 svc:s3.amazonaws.com J42N2W7ET0EC03CV ` +
  `BATCH.DELETE.OBJECT ${BLOB} - 204 - - 171408 - - - - - ${HOST_ID} SigV4 ECDHE-RSA-AES128-GCM-SHA256 ` +
  "AuthHeader dandiarchive.s3.amazonaws.com TLSv1.2 - - -";

const CASES: Case[] = [
  ...FIELD_COUNT_CASES,
  {
    name: "an 18-field line with a version ID",
    text: line({ tail: "3HL4kqtJvjVBH40Nrjfkd" }),
    reduced: ROW,
    parsed: { versionId: "3HL4kqtJvjVBH40Nrjfkd", hostId: null, sourceRegion: null },
  },
  {
    name: "a 27-field line with its source region, and fields AWS adds later",
    text: line({ tail: `${TAIL_FIELDS.slice(0, -1).join(" ")} us-east-2 a-28th-field a-29th` }),
    reduced: ROW,
    parsed: { aclRequired: null, sourceRegion: "us-east-2" },
  },
  {
    name: "BATCH.DELETE.OBJECT: bare - request URI, referer and user agent",
    text: BATCH_DELETE,
    reduced: "filtered:operation",
    parsed: {
      operation: "BATCH.DELETE.OBJECT",
      requestUri: null,
      httpStatus: 204,
      objectSize: 171408,
      totalTime: null,
      referer: null,
      userAgent: null,
      versionId: null,
      hostId: HOST_ID,
      sourceRegion: null,
    },
  },
  {
    name: "an 18-field line with bare - request URI, referer and user agent",
    text: BATCH_DELETE.slice(0, BATCH_DELETE.indexOf(HOST_ID) - 1),
    reduced: "filtered:operation",
    parsed: { operation: "BATCH.DELETE.OBJECT", userAgent: null, versionId: null, hostId: null },
  },
  {
    name: "a GET whose request URI, referer and user agent are bare -",
    text: line({ uri: "-", refererAndAgent: "- -" }),
    reduced: ROW,
    parsed: { requestUri: null, referer: null, userAgent: null, hostId: HOST_ID },
  },
  {
    name: "a bare - referer before a quoted user agent",
    text: line({ refererAndAgent: '- "curl/8.5.0"' }),
    reduced: ROW,
    parsed: { referer: null, userAgent: "curl/8.5.0", hostId: HOST_ID },
  },
  {
    name: "a quoted referer before a bare - user agent",
    text: line({ refererAndAgent: '"https://dandiarchive.org/" -' }),
    reduced: ROW,
    parsed: { referer: "https://dandiarchive.org/", userAgent: null, hostId: HOST_ID },
  },
  {
    name: "an 18-field GET whose referer and user agent are bare -",
    text: line({ refererAndAgent: "- -", tail: "-" }),
    reduced: ROW,
    parsed: { referer: null, userAgent: null, versionId: null, hostId: null },
  },
  {
    name: "a bare-field line cut before its version ID",
    text: BATCH_DELETE.slice(0, BATCH_DELETE.indexOf(HOST_ID) - 3),
    reduced: "filtered:operation",
    refused: "truncated",
  },
  {
    name: "a GET with bare - fields cut before its version ID",
    text: line({ refererAndAgent: "- -", tail: "" }).trimEnd(),
    reduced: "malformed:truncated",
    refused: "truncated",
  },
  {
    name: "a well-formed line",
    text: line(),
    reduced: ROW,
    parsed: { operation: "REST.GET.OBJECT", httpStatus: 200, bytesSent: 512, tlsVersion: "TLSv1.2" },
  },
  {
    name: "an unescaped quote in the request URI",
    text: line({
      uri: `"GET /${BLOB}?response-content-disposition=attachment; filename="a b.nwb" HTTP/1.1"`,
    }),
    reduced: ROW,
    parsed: {
      requestUri: `GET /${BLOB}?response-content-disposition=attachment; filename="a b.nwb" HTTP/1.1`,
      httpStatus: 200,
    },
  },
  {
    name: "a URI that looks like a status after a quote, then the real status",
    text: line({ uri: `"GET /${BLOB}?q="x" 404 y HTTP/1.1"` }),
    reduced: ROW,
  },
  {
    name: "quotes inside the referer",
    text: line({ referer: `https://x.org/?a="b";c=explode(".","d")` }),
    reduced: ROW,
    parsed: {
      referer: `https://x.org/?a="b";c=explode(".","d")`,
      userAgent: "git-annex/10.20230626-g801c4b7",
    },
  },
  {
    name: "a user agent that opens with two quotes",
    text: line({ agent: `"Mozilla/5.0 (X11; Linux x86_64)"` }),
    reduced: ROW,
    parsed: { userAgent: `"Mozilla/5.0 (X11; Linux x86_64)"`, hostId: HOST_ID },
  },
  {
    name: "a requester with spaces (CloudFront origin access identity)",
    text: line({ requester: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID" }),
    reduced: ROW,
    parsed: {
      requester: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID",
      requestId: "J42N2W7ET0EC03CV",
    },
  },
  {
    name: "a remote IP of -",
    text: line({ ip: "-" }),
    reduced: ROW.replace("192.0.2.7", "-"),
    parsed: { remoteIp: null },
  },
  {
    name: "an IPv6 address",
    text: line({ ip: "2600:1f18:47b:1c00::5" }),
    reduced: ROW.replace("192.0.2.7", "2600:1f18:47b:1c00::5"),
  },
  {
    name: "a four-part operation",
    text: line({ operation: "S3.COMPUTE.OBJECT.CHECKSUM" }),
    reduced: "filtered:operation",
    parsed: { operation: "S3.COMPUTE.OBJECT.CHECKSUM" },
  },
  {
    name: "invalid UTF-8 in the user agent",
    text: Buffer.concat([
      Buffer.from(line({ agent: "curl/8 " }).split("curl/8 ")[0]),
      Buffer.from("curl/8 \xff\xfe\xc3(", "latin1"),
      Buffer.from(`" ${TAIL}`),
    ]),
    reduced: ROW,
  },
  { name: "a line ending in CRLF", text: `${line()}\r\n`, reduced: ROW },
  {
    name: "an older line that stops after the host ID",
    text: line({ tail: `- ${HOST_ID}` }),
    reduced: ROW,
    parsed: { hostId: HOST_ID, tlsVersion: null },
  },
  {
    name: "fields AWS may add later are ignored",
    text: line({ tail: `${TAIL} new-field another` }),
    reduced: ROW,
    parsed: { sourceRegion: null },
  },
  {
    name: "bytes sent of - on a 200 is 0",
    text: line({ bytes: "-" }),
    reduced: ROW.replace("\t512\t", "\t0\t"),
    parsed: { bytesSent: 0 },
  },
  {
    name: "a 206 partial read keeps its status",
    text: line({ status: "206" }),
    reduced: ROW.replace(/200$/, "206"),
  },
  {
    name: "any 2xx is kept with its status as written",
    text: line({ status: "299", bytes: "-" }),
    reduced: ROW.replace(/\t512\t200$/, "\t0\t299"),
  },
  { name: "a 304", text: line({ status: "304", bytes: "-" }), reduced: "filtered:status" },
  { name: "a HEAD request", text: line({ operation: "REST.HEAD.OBJECT" }), reduced: "filtered:operation" },
  { name: "a blank line", text: "   \t", reduced: "filtered:blank" },
  {
    name: "a line cut inside the user agent",
    text: line().slice(0, line().indexOf("git-annex") + 5),
    reduced: "malformed:truncated",
  },
  {
    name: "a line cut inside the request URI",
    text: line().slice(0, line().indexOf("HTTP/1.1")),
    reduced: "malformed:truncated",
  },
  {
    name: "a line cut after the user agent",
    text: line().slice(0, line().indexOf(HOST_ID) - 3),
    reduced: "malformed:truncated",
    refused: "truncated",
  },
  {
    name: "a line cut after the space that follows the user agent",
    text: line().slice(0, line().indexOf(HOST_ID) - 2),
    reduced: "malformed:truncated",
    refused: "truncated",
  },
  { name: "a line cut in the time", text: line().slice(0, 100), reduced: "malformed:truncated" },
  {
    name: "a time of another shape",
    text: line({ time: "2022-04-06 05:06:35 +0000" }),
    reduced: "malformed:bad_timestamp",
  },
  {
    name: "31/Feb is no date",
    text: line({ time: "31/Feb/2022:05:06:35 +0000" }),
    reduced: "malformed:bad_timestamp",
    parsed: { timestamp: null },
  },
  {
    name: "31/Feb is no date with an offset either",
    text: line({ time: "31/Feb/2022:05:06:35 -0130" }),
    reduced: "malformed:bad_timestamp",
    parsed: { timestamp: null },
  },
  {
    name: "31/Apr is no date",
    text: line({ time: "31/Apr/2022:05:06:35 +0000" }),
    reduced: "malformed:bad_timestamp",
  },
  {
    name: "29/Feb of a common year is no date",
    text: line({ time: "29/Feb/2023:05:06:35 +0100" }),
    reduced: "malformed:bad_timestamp",
  },
  {
    name: "29/Feb of a leap year is a date",
    text: line({ time: "29/Feb/2024:05:06:35 +0000" }),
    reduced: ROW.replace("2022-04-06", "2024-02-29"),
    parsed: { timestamp: "2024-02-29T05:06:35" },
  },
  {
    name: "a time with an offset becomes UTC",
    text: line({ time: "06/Apr/2022:05:06:35 -0130" }),
    reduced: ROW.replace("05:06:35", "06:36:35"),
  },
  {
    name: "a status that is not a number",
    text: line({ status: "2x0" }),
    reduced: "malformed:bad_http_status",
  },
  {
    name: "bytes sent that is not a number",
    text: line({ bytes: "51x" }),
    reduced: "malformed:bad_bytes_sent",
  },
  {
    name: "a remote IP that is not an address",
    text: line({ ip: "not-an-ip" }),
    reduced: "malformed:bad_remote_ip",
  },
  {
    name: "no operation anywhere",
    text: `${OWNER} dandiarchive [06/Apr/2022:05:06:35 +0000] 1.2.3.4 a b c d e f g h i j k l m n o p q`,
    reduced: "malformed:no_operation",
  },
  {
    name: "a Zarr chunk key collapses to the Zarr",
    text: line({ key: "zarr/cb65c877-882b-4554-8fa1-8f4e986e13a6/0/0/1" }),
    reduced: ROW.replace(BLOB, "zarr/cb65c877-882b-4554-8fa1-8f4e986e13a6"),
  },
  { name: "blobs/ alone is no asset", text: line({ key: "blobs/" }), reduced: "filtered:not_asset_key" },
  { name: "zarr/ alone is no asset", text: line({ key: "zarr/" }), reduced: "filtered:not_asset_key" },
  {
    name: "a blob key that is not a UUID",
    text: line({ key: "blobs/abc/def/not-a-uuid" }),
    reduced: "filtered:not_asset_key",
  },
  {
    name: "a blob key whose folders do not match its UUID",
    text: line({ key: "blobs/000/c89/11ec8933-1456-4942-922b-94e5878bb991" }),
    reduced: "filtered:not_asset_key",
  },
  {
    name: "a key climbing out with ..",
    text: line({ key: "blobs/../../../etc/passwd" }),
    reduced: "filtered:not_asset_key",
  },
  {
    name: "a Zarr key with .. inside",
    text: line({ key: "zarr/cb65c877-882b-4554-8fa1-8f4e986e13a6/../../x" }),
    reduced: "filtered:not_asset_key",
  },
];

describe("damaged and unusual lines", () => {
  for (const testCase of CASES) {
    test(testCase.name, () => {
      assert.equal(reduceOne(testCase.text), testCase.reduced);
      if (testCase.parsed !== undefined) {
        const result = parseS3LogLine(typeof testCase.text === "string" ? testCase.text : testCase.text);
        assert.ok(result.ok, `parse failed: ${JSON.stringify(result)}`);
        for (const [field, value] of Object.entries(testCase.parsed)) {
          assert.deepEqual((result.record as unknown as Record<string, unknown>)[field], value, field);
        }
      }
      if (testCase.refused !== undefined) {
        assert.deepEqual(parseS3LogLine(testCase.text), { ok: false, reason: testCase.refused });
      }
    });
  }

  test("parseS3LogLine decodes every documented field of a modern line", () => {
    const result = parseS3LogLine(line());
    assert.ok(result.ok);
    assert.deepEqual(result.record, {
      bucketOwner: OWNER,
      bucket: "dandiarchive",
      time: "06/Apr/2022:05:06:35 +0000",
      timestamp: "2022-04-06T05:06:35",
      remoteIp: "192.0.2.7",
      requester: null,
      requestId: "J42N2W7ET0EC03CV",
      operation: "REST.GET.OBJECT",
      key: BLOB,
      requestUri: `GET /${BLOB} HTTP/1.1`,
      httpStatus: 200,
      errorCode: null,
      bytesSent: 512,
      objectSize: 171408,
      totalTime: 53,
      turnAroundTime: 52,
      referer: null,
      userAgent: "git-annex/10.20230626-g801c4b7",
      versionId: null,
      hostId: HOST_ID,
      signatureVersion: "SigV4",
      cipherSuite: "ECDHE-RSA-AES128-GCM-SHA256",
      authenticationType: "AuthHeader",
      hostHeader: "dandiarchive.s3.amazonaws.com",
      tlsVersion: "TLSv1.2",
      accessPointArn: null,
      aclRequired: null,
      sourceRegion: null,
    });
  });

  test("parseS3LogLine names why a line is not a record", () => {
    assert.deepEqual(parseS3LogLine(""), { ok: false, reason: "blank" });
    assert.deepEqual(parseS3LogLine(line().slice(0, 300)), { ok: false, reason: "truncated" });
  });
});
