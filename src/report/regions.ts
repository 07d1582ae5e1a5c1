/**
 * Regions in the mapped tables are `US/California`, `DE`, `AWS/us-east-2`, `GitHub`, `unknown`:
 * a country code, alone or before `/`, or the name of a network. The report groups them by that first part.
 */

const COUNTRY_CODE = /^[A-Z]{2}$/;

/** The country code of a region, or null for networks (`AWS/…`, `GitHub`) and `unknown`. */
export function countryOf(region: string): string | null {
  const first = firstPartOf(region);
  return COUNTRY_CODE.test(first) ? first : null;
}

/** `US/California` -> `US`, `AWS/us-east-2` -> `AWS`, `unknown` -> `unknown`. */
export function firstPartOf(region: string): string {
  const slash = region.indexOf("/");
  return slash === -1 ? region : region.slice(0, slash);
}

let countryNames: Intl.DisplayNames | null | undefined;

/** `DE` -> `Germany`; the code itself when this Node has no names for it. */
export function countryName(code: string): string {
  if (countryNames === undefined) {
    try {
      countryNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "code" });
    } catch {
      countryNames = null;
    }
  }
  return countryNames?.of(code) ?? code;
}

const NETWORK_NAMES: Record<string, string> = {
  AWS: "Amazon Web Services",
  GCP: "Google Cloud",
  Azure: "Microsoft Azure",
  GitHub: "GitHub",
  unknown: "Unknown location",
};

/** What a table row calls a region group: a country's name, a network's name, or the group as written. */
export function groupName(group: string): string {
  if (COUNTRY_CODE.test(group)) return countryName(group);
  return NETWORK_NAMES[group] ?? group;
}
