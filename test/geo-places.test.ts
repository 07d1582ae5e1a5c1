import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { buildPlaces, PLACES_FOLDER } from "../scripts/build-places.ts";
import { CITY_FILES, placesTableName } from "../src/geo/city-places.ts";
import { runCli, tempFolder } from "./helpers.ts";

describe("the places tables shipped in data/places/", () => {
  test("are what scripts/build-places.ts makes from the installed location database", () => {
    const folder = tempFolder("places");
    const written = buildPlaces(folder);
    assert.deepEqual(written, CITY_FILES.map(placesTableName));
    assert.deepEqual(
      fs.readdirSync(PLACES_FOLDER).sort(),
      [...written].sort(),
      "no table of another version",
    );
    for (const name of written)
      assert.ok(
        fs.readFileSync(path.join(folder, name)).equals(fs.readFileSync(path.join(PLACES_FOLDER, name))),
        `${name} differs: run node --import tsx scripts/build-places.ts`,
      );
  });

  test("a first run with an empty settings folder reads no location database for the coordinates", () => {
    const home = tempFolder("home");
    const work = path.join(tempFolder("demo"), "work");
    const started = Date.now();
    const result = runCli("main", ["demo", "--work_folder", work, "--quiet"], {
      DANDI_S3_LOG_PARSER_HOME: home,
    });
    assert.equal(result.code, 0, result.stderr);
    // Nothing was read to be kept: the shipped tables served.
    const cache = path.join(home, "cache");
    const kept = fs.existsSync(cache)
      ? fs.readdirSync(cache).filter((name) => name.startsWith("places-"))
      : [];
    assert.deepEqual(kept, []);
    assert.ok(Date.now() - started < 60_000);
    const yaml = fs.readFileSync(path.join(work, "summaries", "region_codes_to_coordinates.yaml"), "utf8");
    assert.match(yaml, /^USA\/CA:\n {2}latitude: 3\d\.\d+\n {2}longitude: -1\d\d\.\d+$/m);
  });
});
