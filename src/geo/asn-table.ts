import * as fs from "node:fs";
import { createRequire } from "node:module";
import { RunError } from "../errors.js";
import { CLOUD_INDEX_OF_ASN, CLOUD_NAMES } from "./cloud-networks.js";
import { type ParsedIp, parseIpv4, parseIpv6 } from "./ip-address.js";

/**
 * Cloud networks from the IP-to-ASN table of `@ip-location-db/asn` (CSV rows `start,end,asn,org`,
 * sorted, not overlapping). Of its ~500,000 rows only the few thousand of cloud ASNs are kept, so
 * the scan skips the address parse of every other row and the result is small enough to need no
 * cache on disk.
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
    const v4 = scanCsv(ipv4Csv, parseIpv4);
    const v6 = scanCsv(ipv6Csv, parseIpv6);
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
