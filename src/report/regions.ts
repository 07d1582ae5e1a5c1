/**
 * Regions in the mapped tables are `US/California`, `DE`, `AWS/us-east-2`, `GitHub`, `unknown`:
 * a country code, alone or before `/`, or the name of a network. The report groups them by that first part.
 */

import { countryOf } from "../formats/mapped-folder.js";

export { countryOf, firstPartOf } from "../formats/mapped-folder.js";

let countryNames: Intl.DisplayNames | null | undefined;
/** The names asked for so far: `Intl.DisplayNames.of` costs microseconds, and every page names its countries. */
const namesOfCodes = new Map<string, string>();

/** `DE` -> `Germany`; the code itself when this Node has no names for it. */
export function countryName(code: string): string {
  let name = namesOfCodes.get(code);
  if (name !== undefined) return name;
  if (countryNames === undefined) {
    try {
      countryNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "code" });
    } catch {
      countryNames = null;
    }
  }
  name = countryNames?.of(code) ?? code;
  namesOfCodes.set(code, name);
  return name;
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
  if (countryOf(group) === group) return countryName(group);
  return NETWORK_NAMES[group] ?? group;
}
