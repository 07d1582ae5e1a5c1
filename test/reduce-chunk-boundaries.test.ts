import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { generateRawLogs, LogReducer } from "../src/index.ts";
import { reduceFile } from "../src/reduce/reduce-file.ts";
import { tempFolder } from "./helpers.ts";

/** Reduces `input` by feeding it to a LogReducer in pieces of `pieceSize` bytes. */
function reduceInPieces(input: Buffer, pieceSize: number, maxLineBytes?: number) {
  const out: Buffer[] = [];
  const errors: string[] = [];
  const reducer = new LogReducer(
    {
      output: (chunk, length) => out.push(Buffer.from(chunk.subarray(0, length))),
      malformed: (line, reason) => errors.push(`${line}:${reason}`),
    },
    { maxLineBytes, outputBufferBytes: 512 },
  );
  for (let at = 0; at < input.length; at += pieceSize)
    reducer.write(input.subarray(at, Math.min(input.length, at + pieceSize)));
  reducer.end();
  return { output: Buffer.concat(out).toString("latin1"), errors, counts: reducer.counter.toLineCounts() };
}

describe("chunk boundaries never matter", () => {
  const raw = tempFolder("raw");
  const expected = tempFolder("expected");
  generateRawLogs(raw, { seed: 21, bytesPerDay: 300_000, damageRate: 0.25, expectedReducedFolder: expected });
  const input = fs.readFileSync(path.join(raw, "2024/01/01.log"));
  const truth = fs.readFileSync(path.join(expected, "2024/01/01.tsv"), "latin1");
  const whole = reduceInPieces(input, input.length);

  test("the whole file at once matches the expected table", () => {
    assert.equal(whole.output, truth);
    // Each row ends with its HTTP status: downloads (200) and partial reads (206) both.
    const statuses = new Set(
      truth
        .trimEnd()
        .split("\n")
        .slice(1)
        .map((row) => row.split("\t")[4]),
    );
    assert.deepEqual([...statuses].sort(), ["200", "206"]);
  });

  for (const pieceSize of [1, 2, 3, 7, 64, 699, 4096, 65_537]) {
    test(`pieces of ${pieceSize} bytes give the same rows, counts and errors`, () => {
      const pieces = reduceInPieces(pieceSize === 1 ? input.subarray(0, 60_000) : input, pieceSize);
      const reference = pieceSize === 1 ? reduceInPieces(input.subarray(0, 60_000), 60_000) : whole;
      assert.equal(pieces.output, reference.output);
      assert.deepEqual(pieces.counts, reference.counts);
      assert.deepEqual(pieces.errors, reference.errors);
    });
  }

  for (const readBufferBytes of [5, 100, 1000, 1 << 16]) {
    test(`reduceFile with a ${readBufferBytes}-byte read buffer writes the same day file`, () => {
      const out = path.join(tempFolder("out"), "01.tsv");
      reduceFile(path.join(raw, "2024/01/01.log"), out, `${out}.tmp`, { readBufferBytes });
      assert.equal(fs.readFileSync(out, "latin1"), truth);
    });
  }

  test("a line longer than the longest accepted is malformed, and memory stays bounded", () => {
    const line = fs.readFileSync(path.join(raw, "2024/01/01.log"), "latin1").split("\n")[0];
    const long = `${line.slice(0, 200)}${"x".repeat(300_000)}${line.slice(200)}`;
    const text = Buffer.from(`${line}\n${long}\n${line}`, "latin1");
    const result = reduceInPieces(text, 1000, 100_000);
    assert.equal(result.counts.lines, 3);
    assert.equal(result.counts.malformed.line_too_long, 1);
    assert.deepEqual(result.errors, ["2:line_too_long"]);
  });
});
