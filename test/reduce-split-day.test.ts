import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { generateRawLogs, maskAddresses, reduceAllDandiRawS3Logs } from "../src/index.ts";
import { MAX_ERROR_TEXT_BYTES } from "../src/io/error-log.ts";
import { LineRangeReader, splitIntoRanges } from "../src/reduce/line-range-reader.ts";
import { tempFolder } from "./helpers.ts";

/**
 * A day cut into byte ranges, each reduced by some worker, must give what one worker gives: the
 * same file byte for byte, the same counts, the same error records with their real line numbers.
 */

/** The lines of each range, read through a small buffer, concatenated in range order. */
function readRanges(file: string, rangeBytes: number, bufferBytes: number): { whole: Buffer; empty: number } {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, "r");
  const pieces: Buffer[] = [];
  let empty = 0;
  let offset = 0;
  try {
    for (const range of splitIntoRanges(size, rangeBytes)) {
      const reader = new LineRangeReader(fd, Buffer.alloc(bufferBytes), range);
      const before = pieces.length;
      for (let chunk = reader.next(); chunk !== null; chunk = reader.next())
        if (chunk.length > 0) pieces.push(Buffer.from(chunk));
      const text = Buffer.concat(pieces.slice(before));
      offset += text.length;
      if (text.length === 0) empty++;
      // A range holds whole lines; only the file's last line may lack its newline.
      else if (offset < size) assert.equal(text[text.length - 1], 0x0a, `range ${range.start}-${range.end}`);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { whole: Buffer.concat(pieces), empty };
}

function writeFile(folder: string, name: string, content: Buffer | string): string {
  const file = path.join(folder, name);
  fs.writeFileSync(file, content);
  return file;
}

describe("line ranges", () => {
  const folder = tempFolder("ranges");
  const long = "x".repeat(5000);
  const inputs: Record<string, string> = {
    "ordinary lines": "alpha\nbeta\ngamma\ndelta\n",
    "a last line without newline": "alpha\nbeta\ngamma",
    "CRLF line ends": "alpha\r\nbeta\r\n\r\ngamma\r\n",
    "blank lines and a leading newline": "\n\nalpha\n\n\nbeta\n\n",
    "lines longer than ranges and buffers": `a\n${long}\nb\n${long}${long}\nc\n${long}`,
    "one line, no newline": long,
    "empty file": "",
    "only newlines": "\n\n\n\n\n\n",
  };
  for (const [name, text] of Object.entries(inputs)) {
    test(`${name}: ranges of any size share no line and miss none`, () => {
      const file = writeFile(folder, `${name.replace(/\W+/g, "-")}.log`, text);
      for (const rangeBytes of [1, 2, 3, 5, 7, 64, 1000, 4999, 5001, 100_000]) {
        // Tiny ranges over long lines would make this test read each line thousands of times.
        if (rangeBytes < 64 && text.length > 1000) continue;
        for (const bufferBytes of [1, 4, 16, 1024]) {
          const { whole } = readRanges(file, rangeBytes, bufferBytes);
          assert.equal(whole.toString("latin1"), text, `ranges of ${rangeBytes}, buffer of ${bufferBytes}`);
        }
      }
    });
  }

  test("a range inside one long line is empty", () => {
    const file = writeFile(folder, "long.log", `a\n${long}\nb\n`);
    const { empty } = readRanges(file, 100, 64);
    assert.ok(empty >= 40, `${empty} empty ranges`);
  });

  test("invalid UTF-8 and damaged bytes pass through untouched", () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x0a, 0xc3, 0x0a, 0x00, 0x0d, 0x0a, 0xe2, 0x82, 0xac, 0x80, 0x80]);
    const file = writeFile(folder, "bytes.log", bytes);
    for (const rangeBytes of [1, 2, 3, 4, 5]) assert.deepEqual(readRanges(file, rangeBytes, 2).whole, bytes);
  });
});

describe("one day reduced by several workers in ranges", () => {
  const raw = tempFolder("raw");
  const generated = generateRawLogs(raw, { seed: 41, days: 2, bytesPerDay: 1_500_000, damageRate: 0.3 });
  // Many malformed lines, in a file of many short lines, for the line numbers of the error log.
  const truncated = tempFolder("raw-truncated");
  generateRawLogs(truncated, {
    seed: 44,
    days: 1,
    bytesPerDay: 1_000_000,
    damageRate: 0.3,
    damageKinds: ["truncated", "invalid_utf8", "crlf", "blank_line"],
  });
  // The damage includes lines of several KB: with ranges of 20 KB, many cuts fall inside them.
  const longLines = tempFolder("raw-long");
  generateRawLogs(longLines, {
    seed: 42,
    days: 1,
    bytesPerDay: 2_000_000,
    damageRate: 0.3,
    damageKinds: ["long_uri"],
  });
  // A day whose last line has no newline, with CRLF line ends.
  const crlf = tempFolder("raw-crlf");
  generateRawLogs(crlf, { seed: 43, days: 1, bytesPerDay: 400_000, damageRate: 0.05 });
  const crlfFile = path.join(crlf, "2024/01/01.log");
  const crlfText = fs.readFileSync(crlfFile, "latin1").replace(/\n/g, "\r\n").replace(/\r\n$/, "");
  fs.writeFileSync(crlfFile, crlfText, "latin1");

  async function reduceWith(rawFolder: string, workers: number, rangeBytes?: number) {
    const home = tempFolder("home");
    const reduced = tempFolder("reduced");
    const before = process.env.DANDI_S3_LOG_PARSER_HOME;
    process.env.DANDI_S3_LOG_PARSER_HOME = home;
    try {
      const summary = await reduceAllDandiRawS3Logs({
        rawFolder,
        reducedFolder: reduced,
        workers,
        rangeBytes,
      });
      assert.deepEqual(summary.failures, []);
      const files = new Map<string, Buffer>();
      for (const name of fs.readdirSync(reduced, { recursive: true }).map(String).sort()) {
        const full = path.join(reduced, name);
        if (fs.statSync(full).isFile()) files.set(name, fs.readFileSync(full));
      }
      const errors =
        summary.errorLogPath === null
          ? []
          : fs
              .readFileSync(summary.errorLogPath, "utf8")
              .trim()
              .split("\n")
              .map((line) => JSON.parse(line))
              .sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
      return { summary, files, errors };
    } finally {
      process.env.DANDI_S3_LOG_PARSER_HOME = before;
    }
  }

  function assertSame(
    one: Awaited<ReturnType<typeof reduceWith>>,
    many: Awaited<ReturnType<typeof reduceWith>>,
    label: string,
  ) {
    assert.deepEqual([...many.files.keys()], [...one.files.keys()], `${label}: files`);
    for (const [name, content] of one.files)
      assert.ok(content.equals(many.files.get(name) as Buffer), `${label}: ${name} differs`);
    assert.deepEqual(many.summary.counts, one.summary.counts, `${label}: counts`);
    assert.equal(many.summary.filesReduced, one.summary.filesReduced);
    assert.equal(many.summary.bytesRead, one.summary.bytesRead);
    assert.deepEqual(many.errors, one.errors, `${label}: error records`);
  }

  test("generated damaged days: 2 and 3 workers in small ranges match 1 worker", async () => {
    const one = await reduceWith(raw, 1);
    assert.deepEqual(one.summary.counts, generated.counts);
    assert.ok(one.errors.length > 5, "the days have malformed lines");
    for (const [workers, rangeBytes] of [
      [2, 50_000],
      [2, 333_333],
      [3, 20_000],
      [2, undefined],
    ] as const)
      assertSame(
        one,
        await reduceWith(raw, workers, rangeBytes),
        `${workers} workers, ranges of ${rangeBytes}`,
      );
  });

  test("error records carry the line numbers of the whole file", async () => {
    const one = await reduceWith(truncated, 1);
    const many = await reduceWith(truncated, 2, 30_000);
    assertSame(one, many, "truncated lines");
    const content = fs.readFileSync(path.join(truncated, "2024/01/01.log"));
    const lines: Buffer[] = [];
    for (let start = 0; start < content.length; ) {
      const newline = content.indexOf(0x0a, start);
      const end = newline === -1 ? content.length : newline;
      lines.push(content.subarray(start, content[end - 1] === 0x0d ? end - 1 : end));
      start = end + 1;
    }
    assert.ok(many.errors.length > 50, `${many.errors.length} malformed lines`);
    for (const error of many.errors) {
      const line = lines[error.line - 1];
      assert.equal(
        // As the error log has it: addresses masked.
        maskAddresses(line.toString("utf8", 0, Math.min(line.length, MAX_ERROR_TEXT_BYTES))),
        error.text,
        `line ${error.line}`,
      );
    }
  });

  test("cuts inside lines of several KB, ranges smaller than a line", async () => {
    const one = await reduceWith(longLines, 1);
    for (const rangeBytes of [1_000, 20_000])
      assertSame(one, await reduceWith(longLines, 2, rangeBytes), `${rangeBytes}`);
  });

  test("CRLF line ends and a last line without newline", async () => {
    const one = await reduceWith(crlf, 1);
    assert.ok(one.summary.counts.kept > 100);
    assertSame(one, await reduceWith(crlf, 2, 7_000), "crlf");
  });

  test("a day with no row stays an empty file, and the header goes before the first row of any range", async () => {
    const folder = tempFolder("raw-sparse");
    fs.mkdirSync(path.join(folder, "2024/01"), { recursive: true });
    const day = fs.readFileSync(path.join(raw, "2024/01/01.log"), "latin1").split("\n");
    const kept = day.find(
      (line) => line.includes("REST.GET.OBJECT") && line.includes(" 200 ") && line.includes("blobs/"),
    );
    assert.ok(kept !== undefined);
    const filler =
      "bucket-owner bucket [01/Jan/2024:00:00:00 +0000] 192.0.2.1 - ID REST.HEAD.OBJECT - \n".repeat(500);
    fs.writeFileSync(path.join(folder, "2024/01/01.log"), filler);
    fs.writeFileSync(path.join(folder, "2024/01/02.log"), `${filler}${kept}\n${filler}${kept}\n`);
    const one = await reduceWith(folder, 1);
    assert.equal(one.files.get(path.join("2024", "01", "01.tsv"))?.length, 0);
    assertSame(one, await reduceWith(folder, 2, 3_000), "sparse");
  });
});
