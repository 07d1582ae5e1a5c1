import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { FastRows } from "../src/bin/fast-rows.ts";
import { ReducedRowParser } from "../src/bin/reduced-row-parser.ts";
import { RowStore } from "../src/bin/row-store.ts";
import { Random } from "../src/generate/random.ts";
import { REDUCED_HEADER } from "../src/io/table-headers.ts";

// The bin step's rows are parsed by WebAssembly (wasm/reduced-rows.ts), which leaves every line it
// does not accept to the JavaScript parser. These tests hold the two to the same answers, line by
// line, on valid rows and on rows damaged in every way a few random edits can.

const HEX = "0123456789abcdef";

function uuid(random: Random): string {
  const hex = (n: number) => Array.from({ length: n }, () => random.pick([...HEX])).join("");
  return `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
}

/** A status as reduce writes it, now and then one of another shape (rejected as `bad_status`). */
function statusOf(random: Random): string {
  if (random.chance(0.03)) return random.pick(["20", "2000", "2x6", "", " 200", "200 "]);
  return random.pick(["200", "200", "206", "204", "299"]);
}

function validRow(random: Random, keys: string[], status = false): string {
  const day = String(random.int(1, 28)).padStart(2, "0");
  const time = [random.int(0, 23), random.int(0, 59), random.int(0, 59)].map((n) =>
    String(n).padStart(2, "0"),
  );
  const ip = random.weighted([
    [`${random.int(1, 223)}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(0, 255)}`, 6],
    [`2001:db8:${random.int(0, 0xffff).toString(16)}::${random.int(1, 0xffff).toString(16)}`, 2],
    ["-", 1],
    ["::1", 1],
    // The longest address text (45 bytes), and one byte more.
    ["0000:0000:0000:0000:0000:ffff:192.168.100.228", 1],
    ["0000:0000:0000:0000:0000:ffff:192.168.100.2288", 1],
  ] as const);
  // Up to 16 digits, one more than a valid row has.
  const bytes = random.chance(0.05)
    ? "9".repeat(random.int(13, 16))
    : String(random.int(0, 10 ** random.int(1, 12)));
  const row = `2024-03-${day}T${time.join(":")}\t${ip}\t${random.pick(keys)}\t${bytes}`;
  return status ? `${row}\t${statusOf(random)}` : row;
}

/** A few random edits: bytes replaced, deleted or repeated, often by the bytes that delimit fields. */
function damage(random: Random, row: string): string {
  const special = ["\t", "\n", "\r", " ", "-", ":", ".", "/", "0", "9", "a", "F", "z", "\u00e9", "\u0000"];
  let out = row;
  for (let edits = random.int(1, 3); edits > 0; edits--) {
    const at = random.int(0, out.length - 1);
    const kind = random.int(0, 2);
    const byte = random.chance(0.7) ? random.pick(special) : String.fromCharCode(random.int(0, 255));
    if (kind === 0) out = out.slice(0, at) + byte + out.slice(at + 1);
    else if (kind === 1) out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at) + out[at] + out.slice(at);
  }
  return out;
}

/** Rows of a reduced day, with the HTTP status as a fifth column when `status` (the format of today). */
function sampleText(seed: number, lines: number, status = false): Buffer {
  const random = new Random(seed);
  const keys: string[] = [];
  for (let i = 0; i < 40; i++) {
    const id = uuid(random);
    keys.push(random.chance(0.8) ? `blobs/${id.slice(0, 3)}/${id.slice(3, 6)}/${id}` : `zarr/${id}`);
  }
  // Keys the fast path leaves to JavaScript: a path inside a Zarr, 50 bytes long or not.
  keys.push(
    `zarr/${uuid(random)}/0/1/2/3`,
    `zarr/${uuid(random)}/.zattrs`,
    `zarr/${uuid(random)}/../x`,
    // 50 bytes, a blob key's length: the fast path finds its tab where a blob key's would be.
    `zarr/${uuid(random)}/abcdefgh`,
  );
  const out = [status ? REDUCED_HEADER.trimEnd() : "timestamp\tip_address\tobject_key\tbytes_sent"];
  for (let i = 0; i < lines; i++) {
    const row = validRow(random, keys, status);
    out.push(random.chance(0.25) ? damage(random, row) : row);
    if (random.chance(0.01)) out.push("");
  }
  return Buffer.from(`${out.join(random.chance(0.5) ? "\n" : "\r\n")}\n`, "latin1");
}

function parseAll(
  text: Buffer,
  fastPath: boolean,
  chunk: number,
  partition = 0,
  partitions = 1,
  status = false,
  share = 0,
  shares = 1,
) {
  const store = new RowStore(text.length);
  const rejects: string[] = [];
  const parser = new ReducedRowParser(store, {
    day: 2,
    status,
    partition,
    partitions,
    share,
    shares,
    fastPath,
    onReject: (line, reason, buf, start, end) =>
      rejects.push(`${line} ${reason} ${buf.toString("latin1", start, end)}`),
  });
  // Fed in chunks as the reader does: whatever is left of a line goes to the front of the next.
  const buf = Buffer.alloc(chunk + 1);
  let kept = 0;
  for (let at = 0; at < text.length; ) {
    const n = text.copy(buf, kept, at, at + chunk - kept);
    at += n;
    const consumed = parser.parse(buf, 0, kept + n);
    buf.copyWithin(0, consumed, kept + n);
    kept = kept + n - consumed;
  }
  parser.finish(buf, 0, kept);
  return {
    rows: store.arena.toString("latin1", 0, store.arenaLength),
    ends: Array.from(store.start.subarray(0, store.rows + 1)),
    timestamps: Array.from(store.timestamp.subarray(0, store.rows)),
    objects: Array.from(store.object.subarray(0, store.rows), (id) => store.keys[id]),
    days: Array.from(store.day.subarray(0, store.rows)),
    keys: store.keys,
    stats: parser.stats,
    lines: parser.line,
    rejects,
    slowLines: parser.slowLines,
  };
}

for (const status of [true, false]) {
  const rows = status ? "rows with the status" : "rows without the status (the original format)";

  test(`the WebAssembly rows equal the JavaScript parser's, on valid and damaged lines: ${rows}`, () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const text = sampleText(seed, 4000, status);
      const { slowLines, ...reference } = parseAll(text, false, 1 << 20, 0, 1, status);
      assert.equal(slowLines, reference.lines);
      assert.ok(reference.timestamps.length > 2000, "most rows are valid");
      assert.ok(reference.rejects.length > 400, "many rows are damaged");
      if (status) {
        assert.ok(/\t206\n/.test(reference.rows), "binned rows keep their status");
        assert.ok(
          reference.rejects.some((reject) => reject.includes(" bad_status ")),
          "bad statuses are rejected",
        );
      } else assert.ok(!reference.rejects.some((reject) => reject.includes(" bad_status ")));
      for (const chunk of [1 << 20, 4096, 257]) {
        const { slowLines: left, ...fast } = parseAll(text, true, chunk, 0, 1, status);
        assert.deepEqual(fast, reference, `seed ${seed}, chunks of ${chunk} bytes`);
        // Only the damaged lines, the header and the keys inside a Zarr are left to JavaScript.
        assert.ok(left < reference.lines * 0.4, `${left} of ${reference.lines} lines left to JavaScript`);
      }
    }
  });

  test(`the two parsers agree on each partition of a pass: ${rows}`, () => {
    const text = sampleText(7, 3000, status);
    for (let partition = 0; partition < 3; partition++) {
      const { slowLines: _, ...reference } = parseAll(text, false, 1 << 20, partition, 3, status);
      const { slowLines, ...fast } = parseAll(text, true, 1 << 20, partition, 3, status);
      assert.deepEqual(fast, reference, `partition ${partition}`);
      assert.ok(slowLines < reference.lines * 0.4);
    }
  });

  test(`the two parsers agree on each share of a batch, and the shares add up to the whole: ${rows}`, () => {
    const text = sampleText(17, 3000, status);
    for (const partitions of [1, 2]) {
      for (let partition = 0; partition < partitions; partition++) {
        const { slowLines: _, ...whole } = parseAll(text, false, 4096, partition, partitions, status);
        const rejects: string[] = [];
        const rows: number[] = [];
        let valid = 0;
        for (let share = 0; share < 3; share++) {
          const { slowLines: __, ...reference } = parseAll(
            text,
            false,
            4096,
            partition,
            partitions,
            status,
            share,
            3,
          );
          const { slowLines: ___, ...fast } = parseAll(
            text,
            true,
            4096,
            partition,
            partitions,
            status,
            share,
            3,
          );
          assert.deepEqual(fast, reference, `pass ${partition} of ${partitions}, share ${share}`);
          assert.equal(reference.lines, whole.lines, "every share counts every line");
          rejects.push(...reference.rejects);
          rows.push(...reference.timestamps);
          valid += reference.stats.rows;
        }
        assert.equal(valid, whole.stats.rows);
        assert.deepEqual(rejects.sort(), [...whole.rejects].sort());
        assert.deepEqual(rows.sort(), [...whole.timestamps].sort());
      }
    }
  });

  test(`chunks larger than the WebAssembly input are taken in windows: ${rows}`, () => {
    // 3 MB in one call: the fast path sees it as 1 MB windows, ending after newlines.
    const text = sampleText(11, 40_000, status);
    assert.ok(text.length > 3 * 1024 * 1024 * 0.9);
    const { slowLines, ...fast } = parseAll(text, true, text.length + 1, 0, 1, status);
    const { slowLines: _, ...reference } = parseAll(text, false, text.length + 1, 0, 1, status);
    assert.deepEqual(fast, reference);
    assert.ok(slowLines < reference.lines * 0.4);
  });

  test(`a day read in the other format than its own: every row rejected alike by both parsers: ${rows}`, () => {
    const text = sampleText(13, 2000, status);
    const { slowLines: _, ...reference } = parseAll(text, false, 4096, 0, 1, !status);
    const { slowLines: __, ...fast } = parseAll(text, true, 4096, 0, 1, !status);
    assert.deepEqual(fast, reference);
    // But the few a damage made into a row of the other format (a status or its tab deleted).
    assert.ok(reference.timestamps.length < 20, `${reference.timestamps.length} rows kept`);
    const reasons = new Set(reference.rejects.map((reject) => reject.split(" ")[1]));
    assert.ok(reasons.has(status ? "too_many_columns" : "too_few_columns"), [...reasons].join(", "));
  });
}

test("the committed WebAssembly modules are built from wasm/ as it is", async () => {
  const { compileWasmModule, WASM_MODULES } = await import("../scripts/build-wasm.ts");
  for (const wasmModule of WASM_MODULES)
    assert.equal(
      compileWasmModule(wasmModule),
      fs.readFileSync(wasmModule.module, "utf8"),
      "run npm run build:wasm",
    );
});

test("thousands of objects: the key table grows and the store's views follow", () => {
  const random = new Random(21);
  const lines = ["timestamp\tip_address\tobject_key\tbytes_sent"];
  const keys: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const id = uuid(random);
    keys.push(`blobs/${id.slice(0, 3)}/${id.slice(3, 6)}/${id}`);
  }
  for (let i = 0; i < 20_000; i++) lines.push(validRow(random, keys));
  const text = Buffer.from(`${lines.join("\n")}\n`, "latin1");
  const { slowLines, ...fast } = parseAll(text, true, 4096);
  const { slowLines: _, ...reference } = parseAll(text, false, 4096);
  assert.ok(fast.keys.length > 4000);
  assert.deepEqual(fast, reference);
  assert.ok(slowLines < reference.lines * 0.15, `${slowLines} lines left to JavaScript`);
});

test("rows far from time order are arranged by time, ties in input order", () => {
  const random = new Random(5);
  const keys = Array.from({ length: 3 }, () => `zarr/${uuid(random)}`);
  const lines: string[] = [];
  // Backwards in time, with runs of the same second: beyond what the insertion sort takes.
  for (let i = 0; i < 3000; i++) {
    const second = 59 - Math.floor((i % 600) / 10);
    const minute = 59 - Math.floor(i / 600);
    lines.push(
      `2024-03-01T10:${String(minute).padStart(2, "0")}:${String(second).padStart(2, "0")}\t192.0.2.${i % 250}\t${keys[i % 3]}\t${i}`,
    );
  }
  const text = Buffer.from(`${lines.join("\n")}\n`, "latin1");
  const store = new RowStore(text.length);
  const parser = new ReducedRowParser(store, { day: 0 });
  parser.parse(text, 0, text.length);
  const rows = store.arena.toString("latin1", 0, store.arenaLength).split("\n").slice(0, -1);
  const arranged = store.arrangeByObject(Buffer.from("h\n"));
  for (let o = 0; o < 3; o++) {
    const expected = rows
      .map((row, i) => ({ row, i }))
      .filter(({ i }) => i % 3 === o)
      .sort((a, b) =>
        a.row.slice(0, 19) < b.row.slice(0, 19)
          ? -1
          : a.row.slice(0, 19) > b.row.slice(0, 19)
            ? 1
            : a.i - b.i,
      )
      .map(({ row }) => `${row}\n`)
      .join("");
    const start = arranged.objectStart[o];
    const end = arranged.objectStart[o + 1];
    assert.equal(arranged.bytes.toString("latin1", start, end), `h\n${expected}`, store.keys[o]);
  }
});

test("WebAssembly memory past 2 GB is addressed right, and past 4 GB fails with advice", () => {
  // Untouched memory takes no room, so this reserves address space only.
  const fast = new FastRows(1024);
  const high = fast.allocate(2.2e9);
  const after = fast.allocate(16);
  assert.ok(high > 0 && after > 2 ** 31, `${high}, ${after}`);
  assert.throws(() => fast.allocate(2.5e9), {
    code: "ERR_WASM_OUT_OF_MEMORY",
    message: /outgrew the 4 GB.*`bufferBytes`/,
  });
});
