import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import type { LineError } from "../src/io/error-log.ts";
import { maskAddresses } from "../src/privacy/mask-addresses.ts";
import { isRemoteIp } from "../src/s3log/ip-address.ts";
import { readTree, tempFolder } from "./helpers.ts";

const GOOD_BLOB = "blobs/11e/c89/11ec8933-1456-4942-922b-94e5878bb991";
const GOOD_ZARR = "zarr/cb65c877-882b-4554-8fa1-8f4e986e13a6";
const T = "2022-06-12T10:00:00";

/** Lines of a hand-edited reduced day: each bad one is reported with its reason, never written. */
const LINES: { line: string; reason: string | null }[] = [
  { line: "timestamp\tip_address\tobject_key\tbytes_sent", reason: null },
  { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t100`, reason: null },
  { line: `${T}\t192.0.2.1\tblobs/../../x\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\tblobs/../../../etc/passwd\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\tzarr/\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\tblobs/\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\tzarr/../../outside\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\tblobs/abc/def/not-a-uuid\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\tblobs/000/000/11ec8933-1456-4942-922b-94e5878bb991\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\tzarr/CB65C877-882B-4554-8FA1-8F4E986E13A6\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\t${GOOD_ZARR}/../../../x\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\t/etc/passwd\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\t../${GOOD_BLOB}\t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\t${GOOD_BLOB} \t1`, reason: "not_asset_key" },
  { line: `${T}\t192.0.2.1\t${GOOD_BLOB}`, reason: "too_few_columns" },
  { line: `${T}\t${GOOD_BLOB}\t1`, reason: "too_few_columns" },
  { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t1\textra`, reason: "too_many_columns" },
  { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t12a`, reason: "bad_bytes_sent" },
  { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t-5`, reason: "bad_bytes_sent" },
  { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t`, reason: "bad_bytes_sent" },
  { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t1234567890123456`, reason: "bad_bytes_sent" },
  { line: `2022-06-12 10:00:00\t192.0.2.1\t${GOOD_BLOB}\t1`, reason: "bad_timestamp" },
  { line: `2022-13-12T10:00:00\t192.0.2.1\t${GOOD_BLOB}\t1`, reason: "bad_timestamp" },
  { line: `${T}\t<script>\t${GOOD_BLOB}\t1`, reason: "bad_ip_address" },
  { line: `${T}\t192.0.2.1\t\t1`, reason: "not_asset_key" },
  { line: "", reason: null },
  { line: `${T}\t2001:db8::1\t${GOOD_ZARR}/0/0/1\t7`, reason: null },
  { line: `${T}\t-\t${GOOD_ZARR}\t0\r`, reason: null },
];

test("hostile keys and malformed rows are reported with file and line, and nothing leaves the binned folder", async () => {
  const root = tempFolder("bin-hostile");
  const reduced = path.join(root, "reduced");
  const day = "2022/06/12.tsv";
  fs.mkdirSync(path.join(reduced, "2022", "06"), { recursive: true });
  fs.writeFileSync(path.join(reduced, day), `${LINES.map((l) => l.line).join("\n")}\n`);
  const binned = path.join(root, "deep", "binned");

  const summary = await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });

  // Outside the binned folder only the input is there, unchanged; inside, only the two real objects.
  assert.deepEqual(
    [...readTree(root).keys()].filter((name) => !name.startsWith("deep/binned/")),
    ["reduced/2022/06/12.tsv"],
  );
  assert.deepEqual(
    [...readTree(binned).keys()],
    [".bin_changes/000001.tsv", ".bin_sizes", ".binned_days", `${GOOD_BLOB}.tsv`, `${GOOD_ZARR}.tsv`],
  );
  assert.equal(
    readTree(binned).get(`${GOOD_ZARR}.tsv`),
    `timestamp\tbytes_sent\tip_address\n${T}\t7\t2001:db8::1\n${T}\t0\t-\n`,
  );
  assert.equal(summary.rowsBinned, 3);

  const expected = LINES.flatMap((l, i) => (l.reason === null ? [] : [{ line: i + 1, reason: l.reason }]));
  assert.ok(summary.errorLogPath !== null);
  const logged = fs
    .readFileSync(summary.errorLogPath, "utf8")
    .trim()
    .split("\n")
    .map((text) => JSON.parse(text) as LineError);
  assert.deepEqual(
    logged.map((e) => ({ line: e.line, reason: e.reason })),
    expected,
  );
  for (const error of logged) {
    assert.equal(error.file, day);
    // As the error log has it: addresses masked.
    assert.equal(error.text, maskAddresses(LINES[error.line - 1].line.replace(/\r$/, "")));
  }
  const counted = Object.entries(summary.rowsRejected).filter(([, n]) => n > 0);
  const byReason = new Map<string, number>();
  for (const e of expected) byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
  assert.deepEqual(new Map(counted), byReason);
});

test("a first line that is neither the header nor a row is reported as a bad header", async () => {
  const root = tempFolder("bin-header");
  const reduced = path.join(root, "reduced");
  fs.mkdirSync(path.join(reduced, "2022", "06"), { recursive: true });
  fs.writeFileSync(
    path.join(reduced, "2022", "06", "12.tsv"),
    `object_key\ttimestamp\n${T}\t192.0.2.1\t${GOOD_BLOB}\t1`,
  );
  const summary = await binAllReducedS3LogsByObjectKey({
    reducedFolder: reduced,
    binnedFolder: path.join(root, "b"),
  });
  assert.equal(summary.rowsRejected.bad_header, 1);
  assert.equal(summary.rowsBinned, 1, "a last line without a newline is still a row");
});

test("an object whose every row is rejected gets no file; addresses are checked as isRemoteIp checks them", async () => {
  const root = tempFolder("bin-rejected-object");
  const reduced = path.join(root, "reduced");
  fs.mkdirSync(path.join(reduced, "2022", "06"), { recursive: true });
  // The parser looks a key up before it checks the rest of the row.
  const rejectedOnly = "blobs/22f/d9a/22fd9a10-7e4b-4c1d-9a0e-5b6c7d8e9f00";
  const addresses = [
    "-",
    "--",
    "1",
    "12",
    "::",
    "::1",
    "a:b",
    "ab",
    "1.2",
    "1.2.3.4x",
    "x1.2",
    "",
    "fe80::1",
  ];
  addresses.push(`1.${"2".repeat(43)}`, `1.${"2".repeat(44)}`, "2001:DB8::A");
  const lines = [
    `${T}\t192.0.2.1\t${rejectedOnly}\t12a`,
    `${T}\t192.0.2.1\t${rejectedOnly}\t`,
    ...addresses.map((ip, i) => `${T}\t${ip}\t${GOOD_ZARR}\t${i}`),
  ];
  fs.writeFileSync(path.join(reduced, "2022", "06", "12.tsv"), `${lines.join("\n")}\n`);
  const binned = path.join(root, "binned");

  const summary = await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });

  const kept = addresses.flatMap((ip, i) =>
    isRemoteIp(Buffer.from(ip, "latin1"), 0, ip.length) ? [`${T}\t${i}\t${ip}\n`] : [],
  );
  assert.deepEqual(
    [...readTree(binned).keys()],
    [".bin_changes/000001.tsv", ".bin_sizes", ".binned_days", `${GOOD_ZARR}.tsv`],
  );
  assert.equal(
    readTree(binned).get(`${GOOD_ZARR}.tsv`),
    `timestamp\tbytes_sent\tip_address\n${kept.join("")}`,
  );
  assert.equal(summary.rowsRejected.bad_bytes_sent, 2);
  assert.equal(summary.rowsRejected.bad_ip_address, addresses.length - kept.length);
  assert.equal(summary.objectsWritten, 1);
});

test("in a day with the status, a bad status is rejected like any bad field: counted, and in the error log", async () => {
  const root = tempFolder("bin-bad-status");
  // An error log of its own: runs of one process in the same second share one.
  process.env.DANDI_S3_LOG_PARSER_HOME = tempFolder("home");
  const reduced = path.join(root, "reduced");
  const day = "2022/06/12.tsv";
  const lines: { line: string; reason: string | null }[] = [
    { line: "timestamp\tip_address\tobject_key\tbytes_sent\tstatus", reason: null },
    { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t100\t206`, reason: null },
    { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t100\t20`, reason: "bad_status" },
    { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t100\t2000`, reason: "bad_status" },
    { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t100\t2x6`, reason: "bad_status" },
    { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t100\t`, reason: "bad_status" },
    { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t1x\t200`, reason: "bad_bytes_sent" },
    { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t100`, reason: "too_few_columns" },
    { line: `${T}\t192.0.2.1\t${GOOD_BLOB}\t100\t200\t1`, reason: "too_many_columns" },
    { line: `${T}\t-\t${GOOD_ZARR}\t0\t200\r`, reason: null },
  ];
  fs.mkdirSync(path.join(reduced, "2022", "06"), { recursive: true });
  fs.writeFileSync(path.join(reduced, day), `${lines.map((l) => l.line).join("\n")}\n`);
  const binned = path.join(root, "binned");

  const summary = await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });

  assert.equal(summary.rowsBinned, 2);
  assert.equal(
    readTree(binned).get(`${GOOD_BLOB}.tsv`),
    `timestamp\tbytes_sent\tip_address\tstatus\n${T}\t100\t192.0.2.1\t206\n`,
  );
  assert.equal(
    readTree(binned).get(`${GOOD_ZARR}.tsv`),
    `timestamp\tbytes_sent\tip_address\tstatus\n${T}\t0\t-\t200\n`,
  );
  assert.equal(summary.rowsRejected.bad_status, 4);
  assert.ok(summary.errorLogPath !== null);
  const logged = fs
    .readFileSync(summary.errorLogPath, "utf8")
    .trim()
    .split("\n")
    .map((text) => JSON.parse(text) as LineError);
  assert.deepEqual(
    logged.map((e) => ({ file: e.file, line: e.line, reason: e.reason })),
    lines.flatMap((l, i) => (l.reason === null ? [] : [{ file: day, line: i + 1, reason: l.reason }])),
  );
});
