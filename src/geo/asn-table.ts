import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { RunError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { packageFileStamp } from "../io/package-stamp.js";
import { readCacheText } from "../io/prebuilt-caches.js";
import { settingsFolder } from "../io/settings.js";
import { CLOUD_INDEX_OF_ASN, CLOUD_NAMES } from "./cloud-networks.js";
import { type ParsedIp, parseIpv4, parseIpv6 } from "./ip-address.js";

/**
 * Cloud networks from the IP-to-ASN table of `@ip-location-db/asn` (CSV rows `start,end,asn,org`,
 * sorted, not overlapping). Of its ~500,000 rows only the few thousand of cloud ASNs are kept, so
 * the scan skips the address parse of every other row. The scan of its 32 MB still took 0.4-0.7 s
 * of every map run (as long as mapping a quiet day), so its result is kept in the settings folder's
 * cache, under a name that changes with the files' content (io/package-stamp.ts) and not with their
 * times: an updated package is scanned again, a fresh install of the same one is not.
 */
export class CloudAsnTable {
  private constructor(
    private readonly v4Starts: Uint32Array,
    private readonly v4Ends: Uint32Array,
    private readonly v4Clouds: Uint8Array,
    private readonly v6Starts: bigint[],
    private readonly v6Ends: bigint[],
    private readonly v6Clouds: Uint8Array,
  ) {}

  /** The cloud name for `ip`, or null when its network is not a listed cloud. */
  lookup(ip: ParsedIp): string | null {
    if (ip.version === 4) {
      const i = lastAtOrBelow(this.v4Starts, ip.value);
      return i >= 0 && ip.value <= this.v4Ends[i] ? CLOUD_NAMES[this.v4Clouds[i]] : null;
    }
    const i = lastAtOrBelow(this.v6Starts, ip.value);
    return i >= 0 && ip.value <= this.v6Ends[i] ? CLOUD_NAMES[this.v6Clouds[i]] : null;
  }

  get rangeCount(): number {
    return this.v4Starts.length + this.v6Starts.length;
  }

  static load(ipv4Csv = packageFile("asn-ipv4.csv"), ipv6Csv = packageFile("asn-ipv6.csv")): CloudAsnTable {
    const cache = cachePathFor(ipv4Csv, ipv6Csv);
    const cached = cache === null ? null : readCache(cache);
    const tables = cached ?? { v4: scanCsv(ipv4Csv, parseIpv4), v6: scanCsv(ipv6Csv, parseIpv6) };
    if (cached === null && cache !== null) writeCache(cache, tables);
    const { v4, v6 } = tables;
    return new CloudAsnTable(
      Uint32Array.from(v4.starts),
      Uint32Array.from(v4.ends),
      Uint8Array.from(v4.clouds),
      v6.starts,
      v6.ends,
      Uint8Array.from(v6.clouds),
    );
  }
}

interface Scanned<T> {
  starts: T[];
  ends: T[];
  clouds: number[];
}

const CACHE_FORMAT = 1;

/** The cache file for these two tables, named after their content; null when they cannot be read. */
function cachePathFor(ipv4Csv: string, ipv6Csv: string): string | null {
  const v4 = packageFileStamp(ipv4Csv);
  const v6 = packageFileStamp(ipv6Csv);
  if (v4 === null || v6 === null) return null;
  // The version once: both files are of one package.
  return path.join(
    settingsFolder(),
    "cache",
    `cloud-asn-${CACHE_FORMAT}-${v4}-${v6.slice(v6.indexOf("-") + 1)}.json`,
  );
}

function readCache(file: string): { v4: Scanned<number>; v6: Scanned<bigint> } | null {
  // The package's prebuilt copy when the settings folder has none (io/prebuilt-caches.ts).
  const text = readCacheText(file);
  if (text === null) return null;
  try {
    const json = JSON.parse(text) as {
      v4: Scanned<number>;
      v6: { starts: string[]; ends: string[]; clouds: number[] };
    };
    const v6 = { starts: json.v6.starts.map(BigInt), ends: json.v6.ends.map(BigInt), clouds: json.v6.clouds };
    if (json.v4.starts.length !== json.v4.ends.length || v6.starts.length !== v6.ends.length) return null;
    return { v4: json.v4, v6 };
  } catch {
    // A damaged cache is scanned again and replaced.
    return null;
  }
}

function writeCache(file: string, tables: { v4: Scanned<number>; v6: Scanned<bigint> }): void {
  const v6 = {
    starts: tables.v6.starts.map(String),
    ends: tables.v6.ends.map(String),
    clouds: tables.v6.clouds,
  };
  try {
    writeFileAtomic(file, JSON.stringify({ v4: tables.v4, v6 }));
  } catch {
    // A settings folder that cannot be written only costs the scan next time.
  }
}

function packageFile(name: string): string {
  return createRequire(import.meta.url).resolve(`@ip-location-db/asn/${name}`);
}

function lastAtOrBelow<T extends number | bigint>(sorted: ArrayLike<T>, value: T): number {
  let low = 0;
  let high = sorted.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] <= value) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

function scanCsv<T extends number | bigint>(
  file: string,
  parse: (text: string) => T | null,
): { starts: T[]; ends: T[]; clouds: number[] } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (error) {
    throw new RunError(
      `cannot read the IP-to-ASN table ${file} (${(error as Error).message}); reinstall the package @ip-location-db/asn`,
      { cause: error },
    );
  }
  const rows: { start: T; end: T; cloud: number }[] = [];
  let lineStart = 0;
  let lineNumber = 0;
  // Byte scan: only the ASN field is read for every row; addresses are decoded for cloud rows only.
  while (lineStart < buf.length) {
    let lineEnd = buf.indexOf(NEWLINE, lineStart);
    if (lineEnd === -1) lineEnd = buf.length;
    lineNumber++;
    const comma1 = buf.indexOf(COMMA, lineStart);
    const comma2 = comma1 === -1 ? -1 : buf.indexOf(COMMA, comma1 + 1);
    if (comma2 !== -1 && comma2 < lineEnd) {
      let asn = 0;
      let i = comma2 + 1;
      for (; i < lineEnd; i++) {
        const c = buf[i];
        if (c < DIGIT_0 || c > DIGIT_9) break;
        asn = asn * 10 + (c - DIGIT_0);
      }
      const cloud = CLOUD_INDEX_OF_ASN.get(asn);
      if (cloud !== undefined && i > comma2 + 1) {
        const start = parse(buf.toString("latin1", lineStart, comma1));
        const end = parse(buf.toString("latin1", comma1 + 1, comma2));
        if (start === null || end === null || end < start) {
          throw new RunError(
            `${file}:${lineNumber}: not an address range; reinstall the package @ip-location-db/asn`,
          );
        }
        rows.push({ start, end, cloud });
      }
    }
    lineStart = lineEnd + 1;
  }
  rows.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return {
    starts: rows.map((row) => row.start),
    ends: rows.map((row) => row.end),
    clouds: rows.map((row) => row.cloud),
  };
}
