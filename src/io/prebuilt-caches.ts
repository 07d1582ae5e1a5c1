import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { readTextIfExists } from "./read-if-exists.js";

/**
 * Caches shipped in the package (`data/prebuilt/`), so that the first run on a fresh machine does
 * not make them: the cloud networks of the ASN table (a scan of 32 MB, 0.2-0.7 s), the parsed
 * range files of `data/ip-ranges/`, the world's outlines (the places of the city database ship in
 * `data/places/`, see geo/city-places.ts). Each has the name it has in the settings folder's cache, which says what it was made
 * from (package versions, file stamps or hashes), so one is used only for the very files it was
 * made from; any other install makes its own as before. `npm run build:caches`
 * (scripts/prebuild-caches.ts) makes them again, and a test checks they are current.
 */
export const PREBUILT_FOLDER = path.join("data", "prebuilt");

let folder: string | null | undefined;

/**
 * The nearest `data/prebuilt/` above this module (src/ under the tests, dist/ or dist/cli/ installed),
 * or null; null too with `DANDI_S3_LOG_PARSER_PREBUILT=off`, for the script that makes them anew.
 */
export function prebuiltFolder(): string | null {
  if (process.env.DANDI_S3_LOG_PARSER_PREBUILT === "off") return null;
  if (folder !== undefined) return folder;
  folder = null;
  for (let at = path.dirname(fileURLToPath(import.meta.url)); ; at = path.dirname(at)) {
    const candidate = path.join(at, PREBUILT_FOLDER);
    if (fs.existsSync(candidate)) {
      folder = candidate;
      break;
    }
    if (path.dirname(at) === at) break;
  }
  return folder;
}

/** A cache file's text: the settings folder's copy, else the package's prebuilt one of the same name, else null. */
export function readCacheText(cacheFile: string): string | null {
  const kept = readTextIfExists(cacheFile);
  if (kept !== null) return kept;
  const prebuilt = prebuiltFolder();
  return prebuilt === null ? null : readTextIfExists(path.join(prebuilt, path.basename(cacheFile)));
}
