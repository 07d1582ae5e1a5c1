import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { buildPrebuiltCaches, PREBUILT } from "../scripts/prebuild-caches.ts";
import { CloudAsnTable } from "../src/geo/asn-table.ts";
import { allPlaces } from "../src/geo/city-places.ts";
import { tempFolder } from "./helpers.ts";

/**
 * The package ships the caches a first run would spend seconds making (src/io/prebuilt-caches.ts):
 * they must be what the installed packages make now, and a run with an empty settings folder must
 * read them rather than make its own.
 */
test("data/prebuilt/ holds what scripts/prebuild-caches.ts makes from the packages installed now", async () => {
  const made = tempFolder("prebuilt");
  const names = await buildPrebuiltCaches(made);
  for (const kind of ["cloud-asn-", "ip-ranges-", "world-outlines-"])
    assert.ok(
      names.some((n) => n.startsWith(kind)),
      kind,
    );
  assert.deepEqual(fs.readdirSync(PREBUILT).sort(), names, "run npm run build:caches");
  for (const name of names)
    assert.ok(
      fs.readFileSync(path.join(made, name)).equals(fs.readFileSync(path.join(PREBUILT, name))),
      `${name} differs: run npm run build:caches`,
    );
});

test("a first run reads the prebuilt caches and makes none of its own", () => {
  const home = tempFolder("first-run-home");
  const previous = process.env.DANDI_S3_LOG_PARSER_HOME;
  process.env.DANDI_S3_LOG_PARSER_HOME = home;
  try {
    const started = performance.now();
    assert.ok(CloudAsnTable.load().rangeCount > 1000);
    assert.ok(allPlaces().size > 1000);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(fs.existsSync(path.join(home, "cache")), false, "a cache was made again");
    // The places ship in data/places/; making them reads every record of both databases (seconds).
    assert.ok(seconds < 2, `${seconds.toFixed(2)} s`);
  } finally {
    process.env.DANDI_S3_LOG_PARSER_HOME = previous;
  }
});
