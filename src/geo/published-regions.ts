import { allPlaces, type Coordinates, type PlaceMean, roundDegrees } from "./city-places.js";
import { CLOUD_NAMES } from "./cloud-networks.js";
import { CLOUD_REGION_PLACES } from "./cloud-region-places.js";
import { alpha3Of, subdivisionCodeOf } from "./subdivision-codes.js";

/**
 * Region labels as DANDI publishes them (dandi/access-summaries, read by usage.dandiarchive.org).
 * The mapped tables keep the resolver's labels (`US/California`, `AWS/us-east-1`); the published
 * summaries name a place by its ISO 3166 codes: the country's alpha-3 code and the subdivision part
 * of the ISO 3166-2 code (`USA/CA`, `GBR/ENG`, `DNK/84`), or the alpha-3 code alone when there is
 * no subdivision or it cannot be identified. Cloud and other labels (`AWS/us-east-1`, `GitHub`,
 * `unknown`, `bogon`) are published as they are.
 */

const published = new Map<string, string>();

/** The published label of a mapped region: `US/California` -> `USA/CA`; `US` -> `USA`; clouds unchanged. */
export function publishedRegionOf(mappedRegion: string): string {
  let label = published.get(mappedRegion);
  if (label === undefined) {
    label = publish(mappedRegion);
    published.set(mappedRegion, label);
  }
  return label;
}

const ALPHA2_PLACE = /^[A-Z]{2}(?:\/|$)/;

function publish(mapped: string): string {
  // Labels other than places (clouds, unknown, bogon, and labels published already) stay as they are.
  if (!ALPHA2_PLACE.test(mapped) || isCloudRegion(mapped)) return mapped;
  const country = mapped.slice(0, 2);
  // Codes ISO does not know stay as DB-IP wrote them, as DANDI's own conversion leaves them.
  const alpha3 = alpha3Of(country) ?? country;
  if (mapped.length === 2) return alpha3;
  const code = subdivisionCodeOf(country, mapped.slice(3));
  return code === null ? alpha3 : `${alpha3}/${code}`;
}

/** DANDI's rule: a published label names a resolved region (a subdivision, a cloud region) when it holds a `/`. */
export function isResolvedRegion(label: string): boolean {
  return label.includes("/");
}

/**
 * The alpha-3 code of the country a resolved label is in: the part before `/` for a place, the
 * country of the provider's region for `AWS/…` and `GCP/…` (see `CLOUD_REGION_PLACES`); null for a
 * label without `/` and for a cloud region that table does not know.
 */
export function countryOfPublished(label: string): string | null {
  const slash = label.indexOf("/");
  if (slash === -1) return null;
  const head = label.slice(0, slash);
  if (head === "AWS" || head === "GCP")
    return Object.hasOwn(CLOUD_REGION_PLACES, label) ? CLOUD_REGION_PLACES[label].country : null;
  if (/^[A-Z]{3}$/.test(head)) return head;
  // A mapped place (`US/California`), as older summaries hold.
  return /^[A-Z]{2}$/.test(head) ? (alpha3Of(head) ?? head) : null;
}

/**
 * Labels of cloud and CI networks, whose addresses are not counted as requesters: every name the
 * resolver gives one (`AWS`, `AWS/us-east-1`, `GCP…`, `Azure…`, `GitHub`, and the other networks of
 * the ASN table), and DANDI's `VPN`.
 */
const CLOUD_LABELS: ReadonlySet<string> = new Set([...CLOUD_NAMES, "VPN"]);

export function isCloudRegion(mappedRegion: string): boolean {
  const slash = mappedRegion.indexOf("/");
  return CLOUD_LABELS.has(slash === -1 ? mappedRegion : mappedRegion.slice(0, slash));
}

/**
 * Where each published label lies, for the yaml DANDI publishes (`region_codes_to_coordinates.yaml`):
 * a subdivision or a country, the mean location of the DB-IP records of that place (DB-IP names that
 * stand for one ISO code merged, by their numbers of records); an AWS or GCP region, its city (or,
 * where its city is not public, its country); null for labels that are no place (`unknown`, `bogon`,
 * `GitHub`, `VPN`, a bare `AWS`, `Azure/…`) and for places the database does not know. Mapped labels
 * (`US/California`) are answered as their published labels. The first call reads every place of the
 * database (from the settings folder's cache once it has been read, see `city-places.ts`).
 */
export function regionCoordinates(publishedLabels: Iterable<string>): Map<string, Coordinates | null> {
  const coordinates = new Map<string, Coordinates | null>();
  for (const label of publishedLabels) {
    if (coordinates.has(label)) continue;
    let at: Coordinates | null = null;
    if (Object.hasOwn(CLOUD_REGION_PLACES, label)) {
      const place = CLOUD_REGION_PLACES[label];
      at =
        place.latitude !== undefined && place.longitude !== undefined
          ? { latitude: place.latitude, longitude: place.longitude }
          : placeOf(place.country);
    } else if (!isCloudRegion(label)) {
      const key = ALPHA2_PLACE.test(label) ? publishedRegionOf(label) : label;
      at = /^[A-Z]{3}(?:\/|$)/.test(key) ? placeOf(key) : null;
    }
    coordinates.set(label, at);
  }
  return coordinates;
}

/** The database's places by the country code their published labels start with (`USA` -> `US`, `US/Alabama`, ...). */
let placesByCountry: Map<string, [string, PlaceMean][]> | null = null;
/** Per country code, its places under their published labels, made when a label of it is first asked for. */
const publishedByCountry = new Map<string, Map<string, Coordinates>>();

/** Where the place a published label (`USA/CA`, `USA`) names lies, or null when the database has no such place. */
function placeOf(label: string): Coordinates | null {
  const country = label.slice(0, 3);
  let places = publishedByCountry.get(country);
  if (places === undefined) {
    places = publishedPlaces(placesOf(country));
    publishedByCountry.set(country, places);
  }
  return places.get(label) ?? null;
}

function placesOf(country: string): [string, PlaceMean][] {
  if (placesByCountry === null) {
    placesByCountry = new Map();
    for (const entry of allPlaces()) {
      // A place's published label starts with its country's alpha-3 code, or its own code ISO does not know.
      const alpha2 = entry[0].slice(0, 2);
      const code = alpha3Of(alpha2) ?? alpha2;
      const list = placesByCountry.get(code) ?? [];
      list.push(entry);
      placesByCountry.set(code, list);
    }
  }
  return placesByCountry.get(country) ?? [];
}

/**
 * Places of the database under their published labels, DB-IP's names of one ISO code merged. Only
 * the places of the countries asked for are matched to ISO codes (the matching takes about 25 µs a
 * name, 0.1 s for the whole database, and a daily run publishes a few dozen countries).
 */
function publishedPlaces(entries: Iterable<[string, PlaceMean]>): Map<string, Coordinates> {
  const sums = new Map<string, [number, number, number]>();
  for (const [place, mean] of entries) {
    const label = publishedRegionOf(place);
    // A subdivision that matched no ISO code is part of its country, which has its own mean.
    if (place.includes("/") && !label.includes("/")) continue;
    const sum = sums.get(label) ?? [0, 0, 0];
    sum[0] += mean.latitude * mean.records;
    sum[1] += mean.longitude * mean.records;
    sum[2] += mean.records;
    sums.set(label, sum);
  }
  const places = new Map<string, Coordinates>();
  for (const [label, [latitude, longitude, records]] of sums)
    places.set(label, {
      latitude: roundDegrees(latitude / records),
      longitude: roundDegrees(longitude / records),
    });
  return places;
}
