import "./helpers.ts";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Random } from "../src/generate/random.ts";
import { LogReducer } from "../src/index.ts";

/**
 * Every line's fate is decided by its own bytes: reducing a stream in chunks, however they fall,
 * gives each line the fate it gets when reduced alone. The generated lines are the ones a faster
 * way of finding the operation would get wrong: GETs among other operations, the operation's
 * token where the operation is not (key, URI, referer, user agent, requester, request ID), heads
 * that are malformed with and without the token, CR line ends, and chunks cut inside the token.
 */

const OWNER = "8787a3c41bf7ce0d54359d9348ad5b08e16bd5bb8ae5aa4e1508b435773a066e";
const TOKEN = "REST.GET.OBJECT";
const BLOB = "blobs/11e/c89/11ec8933-1456-4942-922b-94e5878bb991";
const ZARR = "zarr/cb65c877-882b-4554-8fa1-8f4e986e13a6/0/0/1";
const TAIL =
  "- DX8oFoKQx0o5V3lwEuWBxF5p2fSXrwINj0rnxmas0YgjWuPqYLK/vnW60Txh23K93aahe0IFw2c= SigV4 " +
  "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader dandiarchive.s3.amazonaws.com TLSv1.2 - - -";

interface Parts {
  head?: string;
  time?: string;
  ip?: string;
  requester?: string;
  requestId?: string;
  operation?: string;
  key?: string;
  uri?: string;
  status?: string;
  bytes?: string;
  referer?: string;
  agent?: string;
}

function line(parts: Parts = {}): string {
  const key = parts.key ?? BLOB;
  return (
    `${parts.head ?? `${OWNER} dandiarchive`} [${parts.time ?? "06/Apr/2022:05:06:35 +0000"}] ` +
    `${parts.ip ?? "192.0.2.7"} ${parts.requester ?? "-"} ${parts.requestId ?? "J42N2W7ET0EC03CV"} ` +
    `${parts.operation ?? TOKEN} ${key} ${parts.uri ?? `"GET /${key} HTTP/1.1"`} ${parts.status ?? "200"} - ` +
    `${parts.bytes ?? "512"} 171408 53 52 "${parts.referer ?? "-"}" "${parts.agent ?? "git-annex/10.20230626"}" ${TAIL}`
  );
}

/** Named lines, each with the fate it must get: a row, or `filtered:<reason>` / `malformed:<reason>`. */
const NAMED: { name: string; text: string; fate: string }[] = [
  { name: "a download", text: line(), fate: "kept" },
  { name: "a Zarr chunk", text: line({ key: ZARR }), fate: "kept" },
  { name: "a HEAD", text: line({ operation: "REST.HEAD.OBJECT" }), fate: "filtered:operation" },
  { name: "a GET of a bucket", text: line({ operation: "REST.GET.BUCKET" }), fate: "filtered:operation" },
  {
    name: "a four-part operation",
    text: line({ operation: "S3.COMPUTE.OBJECT.CHECKSUM" }),
    fate: "filtered:operation",
  },
  {
    name: "the token as a prefix",
    text: line({ operation: `${TOKEN}_TAGGING` }),
    fate: "filtered:operation",
  },
  { name: "the token as a suffix", text: line({ operation: `X${TOKEN}` }), fate: "filtered:operation" },
  {
    name: "a HEAD with the token as its key",
    text: line({ operation: "REST.HEAD.OBJECT", key: TOKEN }),
    fate: "filtered:operation",
  },
  {
    name: "a PUT with the token in its URI",
    text: line({ operation: "REST.PUT.OBJECT", uri: `"PUT /${BLOB}?op=${TOKEN} HTTP/1.1"` }),
    fate: "filtered:operation",
  },
  {
    name: "a HEAD with the token in its referer and user agent",
    text: line({ operation: "REST.HEAD.OBJECT", referer: TOKEN, agent: `curl ${TOKEN}` }),
    fate: "filtered:operation",
  },
  {
    name: "a HEAD whose requester is the token",
    text: line({ operation: "REST.HEAD.OBJECT", requester: TOKEN }),
    fate: "filtered:operation",
  },
  {
    name: "a HEAD whose request ID is the token",
    text: line({ operation: "REST.HEAD.OBJECT", requestId: TOKEN }),
    fate: "filtered:operation",
  },
  {
    name: "a GET whose requester holds spaces",
    text: line({ requester: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID" }),
    fate: "kept",
  },
  {
    name: "a HEAD whose requester holds spaces",
    text: line({
      operation: "REST.HEAD.OBJECT",
      requester: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID",
    }),
    fate: "filtered:operation",
  },
  {
    name: "a GET of a missing key",
    text: line({ status: "404", bytes: "243" }),
    fate: "filtered:status",
  },
  { name: "a GET of another key", text: line({ key: "index.html" }), fate: "filtered:not_asset_key" },
  {
    name: "no time bracket, no token",
    text: `${OWNER} dandiarchive 192.0.2.7 - REQ REST.HEAD.OBJECT`,
    fate: "malformed:truncated",
  },
  {
    name: "no time bracket, the token",
    text: `${OWNER} dandiarchive 192.0.2.7 - REQ ${TOKEN} x`,
    fate: "malformed:truncated",
  },
  {
    name: "a bracket first, no token",
    text: line({ head: "", operation: "REST.HEAD.OBJECT" }).trimStart(),
    fate: "malformed:bad_timestamp",
  },
  {
    name: "a bracket first, the token",
    text: line({ head: "" }).trimStart(),
    fate: "malformed:bad_timestamp",
  },
  {
    name: "a bracket glued to the bucket, no token",
    text: line({ operation: "REST.HEAD.OBJECT" }).replace("dandiarchive [", "dandiarchive["),
    fate: "malformed:bad_timestamp",
  },
  {
    name: "a time never closed, no token",
    text: line({ operation: "REST.HEAD.OBJECT", time: "06/Apr/2022:05:06:35 +0000 192.0.2.7" }).replace(
      "] ",
      " ",
    ),
    fate: "malformed:bad_timestamp",
  },
  {
    name: "a head cut before the operation, no token",
    text: `${OWNER} dandiarchive [06/Apr/2022:05:06:35 +0000] 192.0.2.7 - J42N2W7ET0EC03CV`,
    fate: "malformed:truncated",
  },
  {
    name: "a head cut after the operation, no token",
    text: `${OWNER} dandiarchive [06/Apr/2022:05:06:35 +0000] 192.0.2.7 - J42N2W7ET0EC03CV REST.HEAD.OBJECT`,
    fate: "malformed:truncated",
  },
  {
    name: "a head cut after the token",
    text: `${OWNER} dandiarchive [06/Apr/2022:05:06:35 +0000] 192.0.2.7 - J42N2W7ET0EC03CV ${TOKEN}`,
    fate: "malformed:truncated",
  },
  {
    name: "no operation-shaped token, none of the token",
    text: line({ operation: "rest.head.object" }),
    fate: "malformed:no_operation",
  },
  {
    name: "no operation-shaped token, the token in the user agent",
    text: line({ operation: "rest.get.object", agent: TOKEN }),
    fate: "malformed:no_operation",
  },
  {
    name: "a download cut before its version ID",
    text: line().slice(0, line().indexOf('"-"')),
    fate: "malformed:truncated",
  },
  { name: "a blank line", text: "", fate: "filtered:blank" },
  { name: "spaces and a tab", text: " \t ", fate: "filtered:blank" },
  { name: "the token alone", text: TOKEN, fate: "malformed:truncated" },
];

const OPERATIONS = [
  TOKEN,
  TOKEN,
  TOKEN,
  "REST.HEAD.OBJECT",
  "REST.PUT.OBJECT",
  "REST.GET.BUCKET",
  "BATCH.DELETE.OBJECT",
];

/** A seeded stream of lines: mostly the named ones, as they are and with their fields varied. */
function generatedLines(seed: number, count: number): string[] {
  const random = new Random(seed);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = random.next();
    let text: string;
    if (r < 0.4) text = random.pick(NAMED).text;
    else {
      const operation = random.pick(OPERATIONS);
      text = line({
        operation,
        ip: random.chance(0.1)
          ? "2600:1f18:1::2"
          : `10.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`,
        requestId: random.chance(0.05) ? TOKEN : random.string("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 16),
        key: random.chance(0.1) ? TOKEN : random.chance(0.5) ? BLOB : ZARR,
        agent: random.chance(0.2) ? `boto3 ${TOKEN}` : "git-annex/10.20230626",
        status: random.pick(["200", "206", "304", "403"]),
      });
      // Cut anywhere: in the head, in the token, in the tail.
      if (random.chance(0.15)) text = text.slice(0, random.int(0, text.length));
    }
    if (random.chance(0.1)) text += "\r";
    lines.push(text);
  }
  return lines;
}

interface Reduced {
  output: string;
  errors: string[];
  counts: ReturnType<LogReducer["counter"]["toLineCounts"]>;
}

/** Reduces `input`, cut at `cuts` (ascending offsets), with a small output buffer. */
function reduceCut(input: Buffer, cuts: number[]): Reduced {
  const out: Buffer[] = [];
  const errors: string[] = [];
  const reducer = new LogReducer(
    {
      output: (chunk, length) => out.push(Buffer.from(chunk.subarray(0, length))),
      malformed: (lineNumber, reason, buf, start, end) =>
        errors.push(`${lineNumber}:${reason}:${buf.toString("latin1", start, end)}`),
    },
    { outputBufferBytes: 512 },
  );
  let at = 0;
  for (const cut of [...cuts, input.length]) {
    if (cut > at) reducer.write(input.subarray(at, cut));
    at = Math.max(at, cut);
  }
  reducer.end();
  return { output: Buffer.concat(out).toString("latin1"), errors, counts: reducer.counter.toLineCounts() };
}

/** Each line reduced alone, then put together as one stream would be. */
function reduceLineByLine(lines: string[]): Reduced {
  const rows: string[] = [];
  const errors: string[] = [];
  const alone = lines.map((text) => reduceCut(Buffer.from(`${text}\n`, "latin1"), []));
  const counts = alone[0].counts;
  alone.forEach((one, i) => {
    if (one.output !== "") rows.push(...one.output.split("\n").slice(1, -1));
    for (const error of one.errors) errors.push(`${i + 1}${error.slice(error.indexOf(":"))}`);
    if (i === 0) return;
    counts.lines += one.counts.lines;
    counts.kept += one.counts.kept;
    for (const [reason, n] of Object.entries(one.counts.filtered))
      counts.filtered[reason as keyof typeof counts.filtered] += n;
    for (const [reason, n] of Object.entries(one.counts.malformed))
      counts.malformed[reason as keyof typeof counts.malformed] += n;
  });
  const header = alone.find((one) => one.output !== "")?.output.split("\n")[0];
  return { output: header === undefined ? "" : `${[header, ...rows].join("\n")}\n`, errors, counts };
}

function fateOf(text: string): string {
  const one = reduceCut(Buffer.from(`${text}\n`, "latin1"), []);
  if (one.counts.kept === 1) return "kept";
  for (const [reason, n] of Object.entries(one.counts.filtered)) if (n > 0) return `filtered:${reason}`;
  for (const [reason, n] of Object.entries(one.counts.malformed)) if (n > 0) return `malformed:${reason}`;
  return "none";
}

/** Cuts inside every occurrence of the token (at a different place each time), and at random places. */
function cutsIn(input: Buffer, random: Random, randomCuts: number): number[] {
  const cuts: number[] = [];
  const token = Buffer.from(TOKEN);
  for (let at = input.indexOf(token); at !== -1; at = input.indexOf(token, at + 1))
    cuts.push(at + random.int(1, token.length - 1));
  for (let i = 0; i < randomCuts; i++) cuts.push(random.int(0, input.length));
  return cuts.sort((a, b) => a - b);
}

describe("each line's fate does not depend on its neighbours or on where chunks are cut", () => {
  for (const { name, text, fate } of NAMED) {
    test(`${name}: ${fate}`, () => {
      assert.equal(fateOf(text), fate);
      assert.equal(fateOf(`${text}\r`), fate, "with a CR line end");
    });
  }

  const lines = generatedLines(20, 4000);
  const input = Buffer.from(lines.map((text) => `${text}\n`).join(""), "latin1");
  const expected = reduceLineByLine(lines);

  test("the generated stream holds every fate", () => {
    assert.equal(expected.counts.lines, lines.length);
    assert.ok(expected.counts.kept > 500);
    for (const reason of ["blank", "operation", "status", "not_asset_key"] as const)
      assert.ok(expected.counts.filtered[reason] > 0, reason);
    for (const reason of ["truncated", "bad_timestamp", "no_operation"] as const)
      assert.ok(expected.counts.malformed[reason] > 0, reason);
  });

  test("the whole stream at once", () => {
    assert.deepEqual(reduceCut(input, []), expected);
  });

  for (const seed of [1, 2, 3]) {
    test(`cut inside every token and at 2,000 random places (seed ${seed})`, () => {
      assert.deepEqual(reduceCut(input, cutsIn(input, new Random(seed), 2000)), expected);
    });
  }

  for (const size of [1, 7, 64, 4096]) {
    test(`pieces of ${size} bytes`, () => {
      const cuts: number[] = [];
      for (let at = size; at < input.length; at += size) cuts.push(at);
      assert.deepEqual(reduceCut(input, cuts), expected);
    });
  }
});
