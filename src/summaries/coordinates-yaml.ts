import type { Coordinates } from "../geo/city-places.js";

/** Words YAML 1.1 readers take for booleans or null: a region key spelled so is quoted. */
const YAML_WORDS = /^(y|n|yes|no|on|off|true|false|null|~)$/i;
const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9 ._/()'-]*$/;

/**
 * `region_codes_to_coordinates.yaml`: each region label, in code point order (as PyYAML sorts
 * DANDI's), then its latitude and longitude, or `null` for both when the label is not a place
 * (`unknown`, `bogon`, `GitHub`). The page looks regions up by exact label.
 */
export function coordinatesYamlText(coordinates: ReadonlyMap<string, Coordinates | null>): string {
  let text = "";
  for (const region of [...coordinates.keys()].sort()) {
    const at = coordinates.get(region) ?? null;
    const plain = PLAIN_KEY.test(region) && !YAML_WORDS.test(region) && !region.endsWith(" ");
    // JSON's double-quoted strings are YAML's too.
    text += `${plain ? region : JSON.stringify(region)}:\n`;
    text += `  latitude: ${at === null ? "null" : at.latitude}\n  longitude: ${at === null ? "null" : at.longitude}\n`;
  }
  return text === "" ? "{}\n" : text;
}
