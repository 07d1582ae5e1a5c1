import { type Coordinates, placeCoordinates } from "./city-places.js";
import { isCloudRegion } from "./cloud-networks.js";

/**
 * Interim: the labels DANDI publishes, until the ISO 3166 labels land (`US/California` -> `USA/CA`).
 * Labels are published as mapped.
 */
export function publishedRegionOf(mappedRegion: string): string {
  return mappedRegion;
}

/** DANDI's rule: a region is resolved when its label names a part of something (`USA/CA`, `AWS/us-east-1`). */
export function isResolvedRegion(label: string): boolean {
  return label.includes("/");
}

/** The country of a resolved label; null for others. */
export function countryOfPublished(label: string): string | null {
  const slash = label.indexOf("/");
  if (slash === -1 || isCloudRegion(label)) return null;
  return label.slice(0, slash);
}

/** The coordinates of each label that is a place; null for the others. */
export function regionCoordinates(labels: Iterable<string>): Map<string, Coordinates | null> {
  const wanted = new Set([...labels]);
  const places = placeCoordinates(new Set([...wanted].filter((label) => !isCloudRegion(label))));
  const coordinates = new Map<string, Coordinates | null>();
  for (const label of wanted) coordinates.set(label, places.get(label) ?? null);
  return coordinates;
}
