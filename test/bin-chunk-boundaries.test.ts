import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { readReducedDay } from "../src/bin/read-reduced-day.ts";
import { ReducedRowParser } from "../src/bin/reduced-row-parser.ts";
import { RowStore } from "../src/bin/row-store.ts";
import { tempFolder } from "./helpers.ts";
import { generateReducedDays } from "./support/reduced-days.ts";

const BLOB = "blobs/11e/c89/11ec8933-1456-4942-922b-94e5878bb991";

async function parseWith(file: string, bufferBytes: number, status = false) {
  const store = new RowStore(1024);
  const errors: string[] = [];
  const parser = new ReducedRowParser(store, {
    day: 0,
    status,
    onReject: (line, reason) => errors.push(`${line}:${reason}`),
  });
  await readReducedDay(file, parser, Buffer.alloc(bufferBytes), () => {}, undefined);
  return {
    rows: store.arena.subarray(0, store.arenaLength).toString("latin1"),
    timestamps: Array.from(store.timestamp.subarray(0, store.rows)),
    objects: Array.from(store.object.subarray(0, store.rows), (id) => store.keys[id]),
    errors,
    stats: parser.stats,
  };
}

for (const status of [true, false]) {
  test(`where the read buffer splits lines never matters (rows ${status ? "with" : "without"} the status)`, async () => {
    const root = tempFolder("bin-chunks");
    const [day] = generateReducedDays(root, {
      seed: 9,
      rowsPerDay: 400,
      blobCount: 20,
      zarrCount: 3,
      status,
    });
    const file = path.join(root, day);
    // Damage real files carry: CRLF, blank lines, bad rows, and a last line without a newline.
    const text = fs.readFileSync(file, "latin1").split("\n");
    const crlfRow = `2024-01-01T00:00:01\t192.0.2.1\t${BLOB}\t12${status ? "\t206" : ""}\r`;
    text.splice(5, 0, "", crlfRow, "not a row");
    fs.writeFileSync(file, text.join("\n").replace(/\n$/, ""), "latin1");
    const whole = await parseWith(file, 1 << 20, status);
    assert.equal(whole.timestamps.length, 401);
    assert.deepEqual(whole.errors, ["8:too_few_columns"]);
    // Each binned row keeps the status its reduced row had, as its last column.
    const binned = whole.rows.split("\n").slice(0, -1);
    assert.equal(binned.length, 401);
    for (const row of binned)
      assert.match(row, status ? /^[^\t]+\t\d+\t[^\t]+\t20[06]$/ : /^[^\t]+\t\d+\t[^\t]+$/);
    assert.ok(binned.some((row) => row.endsWith("\t206")) === status);
    for (const size of [150, 151, 193, 256, 1000, 4096]) {
      assert.deepEqual(await parseWith(file, size, status), whole, `read buffer of ${size} bytes`);
    }
  });
}

test("a line longer than the read buffer is reported and skipped", async () => {
  const root = tempFolder("bin-long-line");
  const file = path.join(root, "01.tsv");
  const good = `2024-01-01T00:00:01\t192.0.2.1\t${BLOB}\t12`;
  fs.writeFileSync(file, `${good}\n${"x".repeat(5000)}\n${good}\n`);
  const result = await parseWith(file, 512);
  assert.deepEqual(result.errors, ["2:line_too_long"]);
  assert.equal(result.timestamps.length, 2);
});

test("stale bytes past what was read never decide where a key ends", async () => {
  // A read buffer reused across files holds old bytes after the new ones; a tab there, 50 bytes
  // after a Zarr key on the last line, once made that row look like a bad blob row.
  const root = tempFolder("bin-stale-bytes");
  const file = path.join(root, "01.tsv");
  const zarr = "zarr/cb65c877-882b-4554-8fa1-8f4e986e13a6";
  const rows = [
    `2024-01-01T00:00:01\t192.0.2.1\t${BLOB}\t12`,
    `2024-01-01T23:59:05\t192.0.2.2\t${zarr}\t68269`,
  ];
  for (const ending of ["\n", ""]) {
    fs.writeFileSync(file, `timestamp\tip_address\tobject_key\tbytes_sent\n${rows.join("\n")}${ending}`);
    const store = new RowStore(1024);
    const errors: string[] = [];
    const parser = new ReducedRowParser(store, {
      day: 0,
      onReject: (line, reason) => errors.push(`${line}:${reason}`),
    });
    await readReducedDay(file, parser, Buffer.alloc(4096, "\t"), () => {}, undefined);
    assert.deepEqual(errors, [], `last line ending with ${JSON.stringify(ending)}`);
    assert.deepEqual(
      Array.from(store.object.subarray(0, store.rows), (id) => store.keys[id]),
      [BLOB, zarr],
    );
  }
});
