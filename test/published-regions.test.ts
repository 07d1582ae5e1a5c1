import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { iso31661Alpha3ToAlpha2 } from "iso-3166/1-a3-to-1-a2.js";
import { placeCoordinates } from "../src/geo/city-places.ts";
import { CLOUD_NAMES } from "../src/geo/cloud-networks.ts";
import { CLOUD_REGION_PLACES } from "../src/geo/cloud-region-places.ts";
import {
  countryOfPublished,
  isCloudRegion,
  isResolvedRegion,
  publishedRegionOf,
  regionCoordinates,
} from "../src/geo/published-regions.ts";
import { RANGE_FILE_NAMES } from "../src/geo/range-files.ts";
import { SUBDIVISION_ALIASES } from "../src/geo/subdivision-aliases.ts";
import { subdivisionCodeOf } from "../src/geo/subdivision-codes.ts";
import { ROOT } from "./helpers.ts";

/** Mapped label -> published label, each row saying what it shows. */
const CONVERSIONS: readonly [string, string, string][] = [
  ["US/California", "USA/CA", "a state, named as ISO names it"],
  ["US", "USA", "a country without subdivision"],
  ["GB/England", "GBR/ENG", "a three-letter subdivision code"],
  ["GB/Scotland", "GBR/SCT", ""],
  ["DE/Bavaria", "DEU/BY", "an English name of a local one (Bayern), from the alias table"],
  ["DK/Capital Region", "DNK/84", "a numeric subdivision code"],
  ["IT/Lombardy", "ITA/25", "a near miss of the local name (Lombardia)"],
  ["FR/Île-de-France", "FRA/IDF", "diacritics as ISO writes them"],
  ["FR/Ile-de-France", "FRA/IDF", "diacritics left out, as DB-IP mostly does"],
  ["DE/Baden-Wurttemberg", "DEU/BW", "ISO's name has the diacritics (Württemberg)"],
  ["BR/Sao Paulo", "BRA/SP", ""],
  ["AE/Ras Al Khaimah", "ARE/RK", "apostrophes and case (Ra’s al Khaymah)"],
  ["CN/Guangdong", "CHN/GD", "ISO's name says what kind of place (Guangdong Sheng)"],
  ["KR/Seoul", "KOR/11", "Seoul-teukbyeolsi"],
  ["UA/Kyiv City", "UKR/30", "DB-IP's name says what kind of place"],
  ["RU/Sverdlovsk Oblast", "RUS/SVE", "a Slavic adjective (Sverdlovskaya oblast')"],
  ["JP/Fukushima", "JPN/07", "Hepburn against ISO's Kunrei-shiki (Hukusima)"],
  ["MX/Veracruz", "MEX/VER", "the first words of ISO's name (Veracruz de Ignacio de la Llave)"],
  ["VN/Ho Chi Minh City (HCMC)", "VNM/SG", "an alternative in parentheses"],
  ["CZ/Olomouc Region", "CZE/71", "the region, not its district of the same name"],
  ["FR/Rhone-Alpes", "FRA/ARA", "a former region, in the one that replaced it"],
  ["TW/Taiwan", "TWN", "the country's own name is no subdivision"],
  ["US/Nowhere Land", "USA", "an unknown name: the country alone"],
  ["HK/Wan Chai", "HKG", "a country ISO gives no subdivisions"],
  ["XK", "XKX", "Kosovo, as DANDI writes it"],
  ["XK/Pristina", "XKX", ""],
  ["ZZ", "ZZ", "a code ISO does not know stays as it is"],
  ["AWS/us-east-1", "AWS/us-east-1", "cloud regions are published as they are"],
  ["GCP/us-central1", "GCP/us-central1", ""],
  ["Azure/eastus", "Azure/eastus", ""],
  ["AWS", "AWS", ""],
  ["GitHub", "GitHub", ""],
  ["Hetzner", "Hetzner", ""],
  ["unknown", "unknown", ""],
  ["bogon", "bogon", ""],
  ["USA/CA", "USA/CA", "a published label stays as it is"],
];

describe("published region labels", () => {
  for (const [mapped, expected, why] of CONVERSIONS) {
    test(`${mapped} -> ${expected}${why ? ` (${why})` : ""}`, () => {
      assert.equal(publishedRegionOf(mapped), expected);
      // Memoised: the same answer again.
      assert.equal(publishedRegionOf(mapped), expected);
    });
  }

  test("a resolved label is one with a slash, as DANDI counts regions and countries", () => {
    for (const label of ["USA/CA", "DNK/84", "AWS/us-east-1", "GCP/us-central1"])
      assert.ok(isResolvedRegion(label));
    for (const label of ["USA", "GitHub", "VPN", "unknown", "bogon", "AWS"])
      assert.ok(!isResolvedRegion(label));
  });

  test("the country of a resolved label: the place's, or the cloud region's from its table", () => {
    const cases: [string, string | null][] = [
      ["USA/CA", "USA"],
      ["DNK/84", "DNK"],
      ["AWS/us-east-1", "USA"],
      ["AWS/eu-west-1", "IRL"],
      ["AWS/us-gov-west-1", "USA"],
      ["GCP/europe-west4", "NLD"],
      ["GCP/asia-east1", "TWN"],
      ["AWS/xx-nowhere-9", null],
      ["Azure/eastus", null],
      ["USA", null],
      ["GitHub", null],
      ["unknown", null],
      ["US/California", "USA"],
    ];
    for (const [label, country] of cases) assert.equal(countryOfPublished(label), country, label);
  });

  test("cloud labels are every name the resolver gives a cloud or CI network, with or without a region", () => {
    for (const name of CLOUD_NAMES) {
      assert.ok(isCloudRegion(name), name);
      assert.ok(isCloudRegion(`${name}/somewhere-1`), name);
    }
    assert.ok(isCloudRegion("VPN"));
    for (const label of ["US/California", "USA/CA", "USA", "unknown", "bogon", "GB", "AWSX", "GCPx/y"])
      assert.ok(!isCloudRegion(label), label);
  });

  test("every AWS and GCP region of the bundled range files is in the table, but those not yet announced", () => {
    const folder = path.join(ROOT, "data", "ip-ranges");
    const aws = JSON.parse(fs.readFileSync(path.join(folder, RANGE_FILE_NAMES.AWS), "utf8")) as {
      prefixes: { region: string }[];
    };
    const gcp = JSON.parse(fs.readFileSync(path.join(folder, RANGE_FILE_NAMES.GCP), "utf8")) as {
      prefixes: { scope: string }[];
    };
    const regions = new Set([
      ...aws.prefixes.map((prefix) => `AWS/${prefix.region}`),
      ...gcp.prefixes.map((prefix) => `GCP/${prefix.scope}`),
    ]);
    const missing = [...regions].filter(
      (region) => !/\/(GLOBAL|global)$/.test(region) && !Object.hasOwn(CLOUD_REGION_PLACES, region),
    );
    assert.deepEqual(missing.sort(), [
      "AWS/me-west-1",
      "AWS/sa-west-1",
      "AWS/us-south-1",
      "GCP/europe-west15",
      "GCP/us-central2",
      "GCP/us-east7",
      "GCP/us-west8",
    ]);
    for (const [region, place] of Object.entries(CLOUD_REGION_PLACES)) {
      assert.ok(Object.hasOwn(iso31661Alpha3ToAlpha2, place.country), `${region}: ${place.country}`);
      if (place.latitude !== undefined) {
        assert.ok(Math.abs(place.latitude) <= 90 && Math.abs(place.longitude ?? 999) <= 180, region);
      }
    }
  });

  test("every alias names a subdivision the ISO list has", () => {
    for (const [country, aliases] of Object.entries(SUBDIVISION_ALIASES)) {
      for (const [name, code] of Object.entries(aliases)) {
        assert.equal(subdivisionCodeOf(country, name), code, `${country} ${name}`);
      }
    }
  });
});

describe("coordinates of published labels", () => {
  test("places get their DB-IP records' mean, cloud regions their city, other labels null", () => {
    const labels = [
      "USA/CA",
      "USA",
      "DEU/BY",
      "AWS/us-east-1",
      "GCP/us-central1",
      "AWS/me-central-1",
      "unknown",
      "bogon",
      "GitHub",
      "VPN",
      "AWS",
      "Azure/eastus",
      "AWS/xx-nowhere-9",
    ];
    const found = regionCoordinates(labels);
    assert.deepEqual([...found.keys()], labels);
    // A place: the mean of DB-IP's records, which map's own coordinates give for the mapped label.
    const mapped = placeCoordinates(new Set(["US/California", "US", "DE/Bavaria"]));
    assert.deepEqual(found.get("USA/CA"), mapped.get("US/California"));
    assert.deepEqual(found.get("USA"), mapped.get("US"));
    assert.deepEqual(found.get("DEU/BY"), mapped.get("DE/Bavaria"));
    const california = found.get("USA/CA")!;
    assert.ok(california.latitude > 32 && california.latitude < 42 && california.longitude < -114);
    // A cloud region: its city; one whose city is not public, its country's.
    assert.deepEqual(found.get("AWS/us-east-1"), { latitude: 39.0438, longitude: -77.4874 });
    assert.deepEqual(found.get("GCP/us-central1"), { latitude: 41.2619, longitude: -95.8608 });
    assert.deepEqual(found.get("AWS/me-central-1"), regionCoordinates(["ARE"]).get("ARE"));
    for (const label of ["unknown", "bogon", "GitHub", "VPN", "AWS", "Azure/eastus", "AWS/xx-nowhere-9"])
      assert.equal(found.get(label), null, label);
  });

  test("two DB-IP names of one ISO subdivision merge, weighted by their records", () => {
    // DB-IP writes Vienna and State of Vienna; both are AUT/9.
    assert.equal(publishedRegionOf("AT/Vienna"), "AUT/9");
    assert.equal(publishedRegionOf("AT/State of Vienna"), "AUT/9");
    const vienna = regionCoordinates(["AUT/9"]).get("AUT/9")!;
    const parts = placeCoordinates(new Set(["AT/Vienna", "AT/State of Vienna"]));
    const [a, b] = [parts.get("AT/Vienna")!, parts.get("AT/State of Vienna")!];
    for (const axis of ["latitude", "longitude"] as const) {
      const [low, high] = [Math.min(a[axis], b[axis]), Math.max(a[axis], b[axis])];
      assert.ok(vienna[axis] >= low - 1e-4 && vienna[axis] <= high + 1e-4, `${axis} ${vienna[axis]}`);
    }
  });
});
