import "./helpers.ts";
import assert from "node:assert/strict";
import { test } from "node:test";
import { ReducedRowParser } from "../src/bin/reduced-row-parser.ts";
import { RowStore } from "../src/bin/row-store.ts";
import { parseIp } from "../src/geo/ip-address.ts";
import {
  AddressReader,
  IpKey,
  IpTokenWriter,
  isIpToken,
  maskAddresses,
  passwordProblems,
  UsageError,
} from "../src/index.ts";
import { isRemoteIp } from "../src/s3log/ip-address.ts";

// Keys are derived once per file: PBKDF2 with 600,000 iterations takes about 0.2 s each.
const KEY = IpKey.fromPassword("tokens-Test-key-0123456789");
const OTHER_KEY = IpKey.fromPassword("another-Test-key-0123456789");

const ADDRESSES = [
  "192.0.2.1",
  "255.255.255.255",
  "1.2.3.4",
  "01.2.3.4",
  "::1",
  "2001:db8::1",
  "2600:1f18:abcd::1234",
  "2001:db8:85a3:8d3:1319:8a2e:370:7348",
  "::ffff:198.51.100.77",
  "0000:0000:0000:0000:0000:ffff:192.168.100.228",
];

test("a token is the same for the same address, differs between addresses, and decodes back", () => {
  const writer = new IpTokenWriter(KEY);
  const again = new IpTokenWriter(KEY);
  const reader = new AddressReader(KEY, "a test");
  const tokens = ADDRESSES.map((address) => writer.tokenOf(address));
  assert.deepEqual(
    ADDRESSES.map((address) => again.tokenOf(address)),
    tokens,
    "deterministic",
  );
  assert.equal(new Set(tokens).size, ADDRESSES.length, "one token per address");
  for (const [i, address] of ADDRESSES.entries()) {
    const token = tokens[i];
    assert.equal(token.length, 34, token);
    assert.match(token, /^(\.\.|\.:)[0-9a-f]{32}$/);
    const decoded = reader.addressOf(token);
    // Short text comes back as written; long IPv6 text as its standard form, the same address.
    if (address.length <= 15) assert.equal(decoded, address);
    else assert.deepEqual(parseIp(decoded), parseIp(address), `${address} -> ${decoded}`);
  }
  assert.equal(writer.tokenOf("-"), "-", "no address stays no address");
  assert.equal(reader.addressOf("-"), "-");
});

test("tokens are the same whether written into a buffer with holes, one by one, or past the table's capacity", () => {
  const reference = new IpTokenWriter(KEY);
  const expected = ADDRESSES.map((address) => reference.tokenOf(address));
  for (const writer of [new IpTokenWriter(KEY), new IpTokenWriter(KEY, 3)]) {
    // Every address twice, the second time before the first one's hole is filled.
    const text = [...ADDRESSES, ...ADDRESSES, "-"].join("\n");
    const input = Buffer.from(text, "latin1");
    const out = Buffer.alloc(2 * ADDRESSES.length * 35 + 2);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const holes: number[] = [];
    let at = 0;
    let start = 0;
    for (const address of text.split("\n")) {
      at = writer.writeToken(input, start, start + address.length, view, at, holes);
      out[at++] = 0x0a;
      start += address.length + 1;
    }
    writer.fillHoles(view, holes);
    assert.deepEqual(holes, []);
    assert.equal(out.toString("latin1", 0, at), `${[...expected, ...expected, "-"].join("\n")}\n`);
  }
});

test("a token is never taken for an address, and passes every reader of the address column", () => {
  const writer = new IpTokenWriter(KEY);
  const tokens = [...ADDRESSES, "abc:def:0123:4567:89ab:cdef:aaaa"].map((a) => writer.tokenOf(a));
  for (const token of tokens) {
    assert.equal(parseIp(token), null, token);
    assert.ok(isIpToken(token));
    assert.ok(
      isRemoteIp(Buffer.from(token), 0, token.length),
      `${token} passes reduce's and bin's shape check`,
    );
  }
  for (const address of ADDRESSES) assert.ok(!isIpToken(address), address);
  // Text that looks like an address but is none: a keyed hash, the same each time, its own token.
  const opaque = writer.tokenOf("abc:def:0123:4567:89ab:cdef:aaaa");
  assert.match(opaque, /^:\.[0-9a-f]{32}$/);
  assert.equal(new AddressReader(KEY, "a test").addressOf(opaque), opaque);
});

test("bin's JavaScript and WebAssembly row parsers keep rows with tokens as they are", () => {
  const writer = new IpTokenWriter(KEY);
  const key = "blobs/58c/537/58c53789-eec4-4080-ad3b-207cf2a1cac9";
  const rows = ADDRESSES.map(
    (a, i) => `2024-03-01T00:00:0${i % 10}\t${writer.tokenOf(a)}\t${key}\t${100 + i}`,
  );
  const text = Buffer.from(`timestamp\tip_address\tobject_key\tbytes_sent\n${rows.join("\n")}\n`, "latin1");
  for (const fastPath of [true, false]) {
    const store = new RowStore(text.length);
    const rejects: string[] = [];
    const parser = new ReducedRowParser(store, {
      day: 0,
      fastPath,
      onReject: (_l, reason) => rejects.push(reason),
    });
    parser.parse(text, 0, text.length);
    assert.deepEqual(rejects, [], `fast path ${fastPath}`);
    assert.equal(store.rows, rows.length);
    const arena = store.arena.toString("latin1", 0, store.arenaLength);
    for (const address of ADDRESSES) assert.ok(arena.includes(`\t${writer.tokenOf(address)}\n`));
    if (fastPath) assert.equal(parser.slowLines, 1, "only the header is left to JavaScript");
  }
});

test("reading refuses a mix: a token in a clear folder, an address in a keyed one, another key's token", () => {
  const token = new IpTokenWriter(KEY).tokenOf("192.0.2.1");
  assert.throws(() => new AddressReader(null, "binned/").addressOf(token), { code: "ERR_IP_MODE_MIX" });
  assert.equal(new AddressReader(null, "binned/").addressOf("192.0.2.1"), "192.0.2.1");
  assert.throws(() => new AddressReader(KEY, "binned/").addressOf("192.0.2.1"), { code: "ERR_IP_MODE_MIX" });
  // Short tokens carry zeros after the address: another key's almost never decrypts to them.
  assert.throws(() => new AddressReader(OTHER_KEY, "binned/").addressOf(token), { code: "ERR_WRONG_IP_KEY" });
  assert.notEqual(KEY.check, OTHER_KEY.check);
});

test("short, repetitive or low-variety keys are refused with what a good key is", () => {
  for (const weak of ["", "short", "aaaaaaaaaaaaaaaaaaaaaaaa", "abcdefghabcdefgh", "passwordpassword1"]) {
    assert.ok(passwordProblems(weak).length > 0, weak);
    assert.throws(
      () => IpKey.fromPassword(weak),
      (error: unknown) =>
        error instanceof UsageError &&
        error.code === "ERR_WEAK_IP_KEY" &&
        error.message.includes("a good key is a random secret"),
    );
  }
  for (const good of ["tokens-Test-key-0123456789", "Zq8#mT2$vL9pW4xR7nK1", "c3VyZWx5IHJhbmRvbSBlbm91Z2g="])
    assert.deepEqual(passwordProblems(good), [], good);
});

test("error-log text has its IPv4 and IPv6 addresses masked, and nothing else", () => {
  const line =
    "owner bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.1 arn:aws:iam::123456789012:user/x ID REST.GET.OBJECT " +
    'blobs/x "GET /x?from=2001:db8::7 HTTP/1.1" 200 - 10 10 1 1 "-" "curl/7.1.2.3" - host SigV4';
  const masked = maskAddresses(line);
  assert.ok(!masked.includes("192.0.2.1") && !masked.includes("2001:db8::7"), masked);
  assert.ok(masked.includes("[06/Feb/2019:00:00:38 +0000]"), "times stay");
  assert.ok(masked.includes("arn:aws:iam::123456789012:user/x"), "requesters stay");
  assert.equal(maskAddresses("::ffff:1.2.3.4 and 10.0.0.1:443"), "x.x.x.x and x.x.x.x:443");
});
