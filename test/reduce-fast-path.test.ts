import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { LogLineFactory } from "../src/generate/log-lines.ts";
import { makeAssetPool, makeIpPool } from "../src/generate/pools.ts";
import { Random } from "../src/generate/random.ts";
import { IpKey, LogReducer, type LogReducerOptions, reduceFile } from "../src/index.ts";
import { tempFolder } from "./helpers.ts";

/**
 * The WebAssembly loop (wasm/reduce-lines.ts) decides the lines of the usual shape and hands every
 * other line to the JavaScript path. Whatever the bytes and however the chunks fall, the rows, the
 * counts and the malformed lines (number, reason, text) must be those of JavaScript alone
 * (`DANDI_S3_LOG_PARSER_REDUCE_FAST=off`). The lines: the generator's, with every kind of damage,
 * and each of them again with a byte changed, inserted or deleted where the fast path reads.
 */

const FAST_OFF = "DANDI_S3_LOG_PARSER_REDUCE_FAST";

interface Outcome {
  rows: string;
  counts: unknown;
  malformed: string[];
}

/** `make()` with the WebAssembly loop on (`fast`) or off for the reducers it makes. */
function withFastPath<T>(fast: boolean, make: () => T): T {
  const before = process.env[FAST_OFF];
  if (fast) delete process.env[FAST_OFF];
  else process.env[FAST_OFF] = "off";
  try {
    return make();
  } finally {
    if (before === undefined) delete process.env[FAST_OFF];
    else process.env[FAST_OFF] = before;
  }
}

function reduceBytes(bytes: Buffer, cuts: number[], options: LogReducerOptions, fast: boolean): Outcome {
  return withFastPath(fast, () => {
    const rows: Buffer[] = [];
    const malformed: string[] = [];
    const reducer = new LogReducer(
      {
        output: (chunk, length) => rows.push(Buffer.from(chunk.subarray(0, length))),
        malformed: (line, reason, buf, start, end) =>
          malformed.push(`${line} ${reason} ${buf.toString("latin1", start, end)}`),
      },
      options,
    );
    let from = 0;
    for (const cut of [...cuts, bytes.length]) {
      reducer.write(bytes.subarray(from, cut));
      from = cut;
    }
    reducer.end();
    return {
      rows: Buffer.concat(rows).toString("latin1"),
      counts: reducer.counter.toLineCounts(),
      malformed,
    };
  });
}

/** Bytes the fast path reads to decide: field separators, brackets, quotes, digits, line ends. */
const TRICKY = [" ", "  ", '"', "[", "]", "-", "\r", "\n", "\t", "x", "9", "/", ".", ":", "+0100", "\xff"];

/** Times at the edges of what the fast path converts itself: month ends, leap days, zones, bad fields. */
const TIMES = [
  "31/Jan/2024:23:59:59 +0000",
  "29/Feb/2024:00:00:00 +0000",
  "29/Feb/2023:00:00:00 +0000",
  "30/Feb/2024:00:00:00 +0000",
  "31/Apr/2024:00:00:00 +0000",
  "30/Apr/2024:00:00:00 +0000",
  "29/Feb/1900:00:00:00 +0000",
  "29/Feb/2000:00:00:00 +0000",
  "01/Jan/2024:00:30:00 +0100",
  "31/Dec/2023:23:30:00 -0130",
  "01/Jan/2024:00:00:00 -0000",
  "00/Jan/2024:00:00:00 +0000",
  "01/Jam/2024:00:00:00 +0000",
  "01/jan/2024:00:00:00 +0000",
  "01/Jan/2024:24:00:00 +0000",
  "01/Jan/2024:23:60:00 +0000",
  "01/Jan/2024:23:59:60 +0000",
  "01/Jan/2024 23:59:59 +0000",
  "01/Jan/2024:23:59:59 +00000",
  "01/Jan/2024:23:59:59 *0000",
];

function mutate(random: Random, text: string): string {
  const open = text.indexOf("[");
  const close = text.indexOf("]");
  if (open !== -1 && close > open && random.chance(0.2))
    return `${text.slice(0, open + 1)}${random.pick(TIMES)}${text.slice(close)}`;
  const at = random.int(0, text.length - 1);
  const kind = random.int(0, 2);
  if (kind === 0) return text.slice(0, at) + text.slice(at + 1);
  const piece = random.pick(TRICKY);
  return kind === 1
    ? text.slice(0, at) + piece + text.slice(at)
    : text.slice(0, at) + piece + text.slice(at + 1);
}

function generatedLines(seed: number, count: number): string[] {
  const random = new Random(seed);
  const assets = makeAssetPool(random, 40, 10);
  const factory = new LogLineFactory(random, assets, makeIpPool(random, 30), { damageRate: 0.3 });
  const lines: string[] = [];
  let time = Date.UTC(2023, 11, 31, 20) / 1000;
  while (lines.length < count) {
    for (const line of factory.make(time)) {
      lines.push(line.text + line.terminator);
      if (random.chance(0.5)) lines.push(mutate(random, line.text) + line.terminator);
    }
    time += random.int(0, 900);
  }
  return lines;
}

function randomCuts(random: Random, length: number, count: number): number[] {
  const cuts = Array.from({ length: count }, () => random.int(0, length));
  return cuts.sort((a, b) => a - b);
}

for (const [name, options] of [
  ["the defaults", {}],
  ["excluded years and another operation", { excludedYears: [2023], operation: "REST.HEAD.OBJECT" }],
  ["a small output buffer", { outputBufferBytes: 300 }],
  ["an IP key", { ipKeyBytes: IpKey.fromPassword("fast-path-Test-key-0123456789").bytes }],
  [
    "an IP key and a small output buffer",
    { ipKeyBytes: IpKey.fromPassword("fast-path-Test-key-0123456789").bytes, outputBufferBytes: 500 },
  ],
] as [string, LogReducerOptions][]) {
  test(`the WebAssembly loop decides every line as JavaScript does: ${name}`, () => {
    const random = new Random(77);
    const bytes = Buffer.from(generatedLines(5, 6000).join(""), "latin1");
    for (const cuts of [[], randomCuts(random, bytes.length, 40), randomCuts(random, bytes.length, 3000)]) {
      const fast = reduceBytes(bytes, cuts, options, true);
      const slow = reduceBytes(bytes, cuts, options, false);
      assert.deepEqual(fast.counts, slow.counts);
      assert.deepEqual(fast.malformed, slow.malformed);
      assert.equal(fast.rows, slow.rows);
    }
    const counts = reduceBytes(bytes, [], options, true).counts as { kept: number; lines: number };
    assert.ok(counts.kept > 100 || options.operation !== undefined, `${counts.kept} rows kept`);
  });
}

test("a day file read straight into the WebAssembly input gives JavaScript's rows, counts and errors", () => {
  const folder = tempFolder("reduce-fast-file");
  const input = path.join(folder, "day.log");
  fs.writeFileSync(input, Buffer.from(generatedLines(9, 4000).join(""), "latin1"));
  const results = [true, false].map((fast) => {
    const output = path.join(folder, `${fast}.tsv`);
    const errors: string[] = [];
    return withFastPath(fast, () => {
      // A read buffer smaller than most lines too: lines then span reads.
      const counts = [1 << 20, 333].map((readBufferBytes) =>
        reduceFile(input, output, `${output}.tmp`, {
          readBufferBytes,
          onMalformed: (e) => errors.push(`${e.line} ${e.reason}`),
        }),
      );
      return { counts, errors, rows: fs.readFileSync(output, "latin1") };
    });
  });
  assert.deepEqual(results[0], results[1]);
  assert.ok(results[0].rows.split("\n").length > 1000);
});

test("a released reducer's WebAssembly instance serves the next reducer, set up afresh", () => {
  const bytes = Buffer.from(generatedLines(13, 800).join(""), "latin1");
  const alone = (options: LogReducerOptions) => reduceBytes(bytes, [], options, false);
  const run = (reducer: LogReducer, rows: Buffer[]) => {
    reducer.write(bytes);
    reducer.end();
    return { rows: Buffer.concat(rows).toString("latin1"), counts: reducer.counter.toLineCounts() };
  };
  const sink = (rows: Buffer[]) => ({
    output: (chunk: Buffer, length: number) => rows.push(Buffer.from(chunk.subarray(0, length))),
    malformed: () => {},
  });
  // The first excludes the year of every line and keeps HEADs; the next, on its instance, neither.
  const firstRows: Buffer[] = [];
  const first = new LogReducer(sink(firstRows), {
    excludedYears: [2023, 2024],
    operation: "REST.HEAD.OBJECT",
  });
  const firstResult = run(first, firstRows);
  first.release();
  first.release();
  assert.throws(() => first.write(bytes), /released/);
  const nextRows: Buffer[] = [];
  const next = new LogReducer(sink(nextRows));
  const nextResult = run(next, nextRows);
  const expected = alone({});
  assert.equal(nextResult.rows, expected.rows);
  assert.deepEqual(nextResult.counts, expected.counts);
  assert.deepEqual(
    firstResult.counts,
    alone({ excludedYears: [2023, 2024], operation: "REST.HEAD.OBJECT" }).counts,
  );
  // Two reducers alive at once never share an instance: their rows stay apart.
  const aRows: Buffer[] = [];
  const bRows: Buffer[] = [];
  const a = new LogReducer(sink(aRows));
  const b = new LogReducer(sink(bRows), { outputBufferBytes: 256 * 1024 });
  for (let at = 0; at < bytes.length; at += 5000) {
    a.write(bytes.subarray(at, at + 5000));
    b.write(bytes.subarray(at, at + 5000));
  }
  a.end();
  b.end();
  assert.equal(Buffer.concat(aRows).toString("latin1"), expected.rows);
  assert.equal(Buffer.concat(bRows).toString("latin1"), expected.rows);
});

test("a reducer made directly refuses an output buffer size that is not a whole number, on either path", () => {
  const sink = { output: () => {}, malformed: () => {} };
  for (const fast of [true, false])
    for (const outputBufferBytes of [Number.NaN, 0, 1000.5, -1])
      withFastPath(fast, () =>
        assert.throws(() => new LogReducer(sink, { outputBufferBytes }), {
          code: "ERR_INVALID_OUTPUT_BUFFER_BYTES",
        }),
      );
});
