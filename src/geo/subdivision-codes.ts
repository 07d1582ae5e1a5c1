import { iso31661 } from "iso-3166/1.js";
import { iso31661Alpha2ToAlpha3 } from "iso-3166/1-a2-to-1-a3.js";
import { iso31662 } from "iso-3166/2.js";
import { SUBDIVISION_ALIASES } from "./subdivision-aliases.js";

/**
 * ISO 3166 codes for the places DB-IP names: a country's alpha-2 code to its alpha-3 code, and a
 * subdivision's name (DB-IP's `state1`, in English and mostly without diacritics: `Bavaria`) to the
 * part of its ISO 3166-2 code after the hyphen (`BY`), which is what DANDI publishes (`DEU/BY`).
 * The ISO names come from the `iso-3166` package, in the local language (`Bayern`), so a name is
 * looked up, in this order:
 *   1. in the alias table, for the English names that share nothing with the local one;
 *   2. as written, ignoring case, diacritics and punctuation (`Baden-Wurttemberg`);
 *   3. without the words that only say what kind of place it is (`Kyiv City`, `Adygeya Republic`,
 *      `Guangdong Sheng`), and with Japanese names in one romanisation (`Tochigi`, ISO `Totigi`);
 *   4. as the first words of exactly one ISO name, or the other way round (`Coahuila`, ISO
 *      `Coahuila de Zaragoza`);
 *   5. within a few letters of exactly one ISO name that starts with the same letter (`Lombardy`,
 *      ISO `Lombardia`).
 * Where two subdivisions of a country share a name, the larger (nearer the country in ISO's tree)
 * wins; two of one level make the name ambiguous, and ambiguous or unknown names give no code.
 * `scripts/measure-subdivision-matches.ts` measures how many of DB-IP's names this matches.
 */

const ALPHA3_OF: Readonly<Record<string, string>> = { ...iso31661Alpha2ToAlpha3, XK: "XKX" };

/** `DE` -> `DEU`; Kosovo, which ISO leaves to user assignment, `XK` -> `XKX`, as DANDI writes it. */
export function alpha3Of(alpha2: string): string | null {
  return Object.hasOwn(ALPHA3_OF, alpha2) ? ALPHA3_OF[alpha2] : null;
}

/** The subdivision part of the ISO 3166-2 code DB-IP's name of a place in `alpha2` stands for, or null. */
export function subdivisionCodeOf(alpha2: string, name: string): string | null {
  const key = `${alpha2}\t${name}`;
  let code = matched.get(key);
  if (code === undefined) {
    code = match(alpha2, name);
    matched.set(key, code);
  }
  return code;
}

/** How a name was matched, for the measuring script; null when it was not. */
export type MatchStep = "alias" | "name" | "loose" | "prefix" | "near";

export function matchStepOf(alpha2: string, name: string): MatchStep | null {
  return matchWithStep(alpha2, name)?.step ?? null;
}

const matched = new Map<string, string | null>();

function match(alpha2: string, name: string): string | null {
  return matchWithStep(alpha2, name)?.code ?? null;
}

function matchWithStep(alpha2: string, name: string): { code: string; step: MatchStep } | null {
  const index = indexOf(alpha2);
  if (index === null) return null;
  // DB-IP too writes alternatives: `Ho Chi Minh City (HCMC)`, `Primorskiy (Maritime) Kray`.
  const names = alternativesOf(name, false)
    .map(normalise)
    .filter((exact) => exact !== "");
  const looseNames = names.map((exact) => loosen(alpha2, exact));
  const aliases = SUBDIVISION_ALIASES[alpha2];
  for (const key of aliases === undefined ? [] : [...names, ...looseNames]) {
    const alias = Object.hasOwn(aliases, key) ? aliases[key] : undefined;
    if (alias !== undefined) return index.codes.has(alias) ? { code: alias, step: "alias" } : null;
  }
  // The largest subdivisions first, as DANDI's labels name them (a Czech region, not its district
  // of the same name); the deeper ones only when no largest one matches at all.
  const isCountry = looseNames.some((loose) => countryNamesOf(alpha2).has(loose));
  return (
    matchAtDepth(index, names, looseNames, isCountry, 1) ??
    matchAtDepth(index, names, looseNames, isCountry, Number.POSITIVE_INFINITY)
  );
}

function matchAtDepth(
  index: CountryIndex,
  names: readonly string[],
  looseNames: readonly string[],
  isCountry: boolean,
  maxDepth: number,
): { code: string; step: MatchStep } | null {
  const found = (map: Map<string, Named>, keys: readonly string[], step: MatchStep) => {
    for (const key of keys) {
      const named = map.get(key);
      // A name two subdivisions share is no match, and stops the search.
      if (named !== undefined && named.depth <= maxDepth)
        return named.code === null ? AMBIGUOUS : { code: named.code, step };
    }
    return null;
  };
  const byName = found(index.exact, names, "name") ?? found(index.loose, looseNames, "loose");
  if (byName !== null) return byName === AMBIGUOUS ? null : byName;
  // Below, near misses: never for the country's own name (DB-IP's `Taiwan` is no subdivision of TW).
  if (isCountry) return null;
  const candidates = index.names.filter((candidate) => candidate.depth <= maxDepth);
  for (const loose of looseNames) {
    const byPrefix = uniqueBest(candidates, loose, (candidate) =>
      isWordPrefix(loose, candidate) ? 0 : null,
    );
    if (byPrefix !== null) return { code: byPrefix, step: "prefix" };
  }
  for (const loose of looseNames) {
    // A letter in six at most, and the same first letter: `Penang` is not `Pahang`, `Cayenne` not `Mayenne`.
    const limit = loose.length <= 6 ? 1 : loose.length <= 12 ? 2 : 3;
    const byDistance = uniqueBest(candidates, loose, (candidate) => {
      if (candidate[0] !== loose[0]) return null;
      const distance = editDistance(loose, candidate, limit);
      return distance <= limit ? distance : null;
    });
    if (byDistance !== null) return { code: byDistance, step: "near" };
  }
  return null;
}

const AMBIGUOUS = { code: "", step: "name" as MatchStep };

let countryNames: Map<string, Set<string>> | null = null;

/** The loose forms of a country's ISO names (`Korea, Republic of` gives `korea republic` and `korea`). */
function countryNamesOf(alpha2: string): Set<string> {
  if (countryNames === null) {
    countryNames = new Map();
    for (const country of iso31661)
      countryNames.set(
        country.alpha2,
        new Set(alternativesOf(country.name, true).map((name) => loosen("", normalise(name)))),
      );
  }
  return countryNames.get(alpha2) ?? new Set();
}

/** The subdivision a name stands for (null where two of one level share it), and its level (1: largest). */
interface Named {
  code: string | null;
  depth: number;
}

interface CountryIndex {
  /** Every subdivision code of the country (the part after the hyphen). */
  codes: Set<string>;
  /** Normalised name -> the shallowest subdivisions of that name. */
  exact: Map<string, Named>;
  loose: Map<string, Named>;
  /** Loose names with their code and level, for the prefix and distance steps. */
  names: { name: string; code: string; depth: number }[];
}

const indexes = new Map<string, CountryIndex | null>();
let byCountry: Map<string, { code: string; name: string; parent: string }[]> | null = null;

function indexOf(alpha2: string): CountryIndex | null {
  let index = indexes.get(alpha2);
  if (index === undefined) {
    index = buildIndex(alpha2);
    indexes.set(alpha2, index);
  }
  return index;
}

function buildIndex(alpha2: string): CountryIndex | null {
  if (byCountry === null) {
    byCountry = new Map();
    for (const entry of iso31662) {
      const country = entry.code.slice(0, entry.code.indexOf("-"));
      let list = byCountry.get(country);
      if (list === undefined) {
        list = [];
        byCountry.set(country, list);
      }
      list.push(entry);
    }
  }
  const entries = byCountry.get(alpha2);
  if (entries === undefined) return null;
  const parentOf = new Map(entries.map((entry) => [entry.code, entry.parent]));
  const depthOf = (code: string): number => {
    let depth = 1;
    for (let parent = parentOf.get(code); parent !== undefined && parent !== alpha2; depth++)
      parent = parentOf.get(parent);
    return depth;
  };
  const index: CountryIndex = { codes: new Set(), exact: new Map(), loose: new Map(), names: [] };
  const put = (map: Map<string, Named>, key: string, code: string, depth: number) => {
    if (key === "") return;
    const known = map.get(key);
    if (known === undefined || depth < known.depth) map.set(key, { code, depth });
    else if (depth === known.depth && known.code !== code) known.code = null;
  };
  for (const entry of entries) {
    const code = entry.code.slice(alpha2.length + 1);
    const depth = depthOf(entry.code);
    index.codes.add(code);
    for (const alternative of alternativesOf(entry.name, true)) {
      const exact = normalise(alternative);
      put(index.exact, exact, code, depth);
      const loose = loosen(alpha2, exact);
      put(index.loose, loose, code, depth);
      if (loose !== "") index.names.push({ name: loose, code, depth });
      // Near misses may drop the adjective's -sk too: `Permskiy kray` is near `Perm`, `Lvivska` `Lviv`.
      const stem = SLAVIC.has(alpha2) ? loose.replace(/(?<=...)sk\b/g, "") : loose;
      if (stem !== loose) index.names.push({ name: stem, code, depth });
    }
  }
  return index;
}

/**
 * A name and the alternatives written into it: without and within parentheses (`Puducherry
 * (Pondicherry)`), and for ISO's names each part between commas or slashes (`Valle d'Aosta, Vallée
 * d'Aoste`, `Asturias, Principado de`).
 */
function alternativesOf(name: string, parts: boolean): string[] {
  const alternatives = new Set([name]);
  const bare = name.replace(/\s*\([^)]*\)\s*/g, " ").trim();
  alternatives.add(bare);
  for (const inner of name.matchAll(/\(([^)]*)\)/g)) alternatives.add(inner[1]);
  if (parts) for (const part of bare.split(/\s*[,;/]\s*|\s+-\s+/)) alternatives.add(part);
  return [...alternatives];
}

/**
 * Letters that Unicode does not decompose into a base letter and a mark, as people write them
 * without their diacritics.
 */
const PLAIN_LETTERS: Readonly<Record<string, string>> = {
  ł: "l",
  đ: "d",
  ø: "o",
  æ: "ae",
  œ: "oe",
  ß: "ss",
  ı: "i",
  þ: "th",
  ð: "d",
  ħ: "h",
};

/** Lower case, no diacritics, apostrophes dropped, any other punctuation a single space. */
export function normalise(name: string): string {
  return name
    .toLowerCase()
    .replace(/[łđøæœßıþðħ]/g, (letter) => PLAIN_LETTERS[letter])
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/['’ʼʻ`´‘]/g, "")
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

/** Words that only say what kind of place a name is, or join its words; in English and the local languages. */
const KIND_WORDS = new Set(
  (
    "of the de del della di da do dos das du des la le les los las el et and y e i " +
    "province provincia provinsi provinz state estado staat region regione regiao oblast kray krai respublika " +
    "republic county district governorate prefecture department departement departamento municipality " +
    "municipio city ciudad cidade voivodeship wojewodztwo kraj canton lan sheng shi zizhiqu autonomous " +
    "autonoma special administrative capital territory federal metropolitan community comunidad division " +
    "teukbyeolsi gwangyeoksi teukbyeoljachido teukbyeoljachisi si gun hlavni mesto parish atoll area rayon " +
    "oblisi regional corporation pradesh greater urban voblasts oblysy okrug zupanija wilayah persekutuan apskritis"
  ).split(" "),
);

/**
 * The loose form of a normalised name: its kind words dropped, Slavic adjectives without their
 * ending (`Sverdlovskaya oblast'` and `Sverdlovsk Oblast` both `sverdlovsk`, `Bratislavský kraj`
 * `bratislavsk`, near `Bratislava`), and Japanese names in one romanisation.
 */
function loosen(alpha2: string, exact: string): string {
  let words = exact.split(" ").filter((word) => !KIND_WORDS.has(word));
  if (words.length === 0) words = exact.split(" ");
  if (SLAVIC.has(alpha2))
    words = words.map((word) => word.replace(/(?<=..)sk(?:aya|iy|yy|y|a|e|i|o)$/, "sk"));
  const loose = words.join(" ");
  return alpha2 === "JP" ? kunreiOf(loose) : loose;
}

/** Countries whose ISO names are mostly adjectives in -sk- (`Lvivska`, `Bratislavský`, `Varaždinska`). */
const SLAVIC = new Set(["BG", "BY", "CZ", "HR", "KZ", "MK", "PL", "RS", "RU", "SI", "SK", "UA"]);

/** ISO writes Japanese prefectures in Kunrei-shiki (`Hukusima`), DB-IP in Hepburn (`Fukushima`). */
function kunreiOf(hepburn: string): string {
  return hepburn
    .replace(/shi/g, "si")
    .replace(/chi/g, "ti")
    .replace(/tsu/g, "tu")
    .replace(/fu/g, "hu")
    .replace(/ji/g, "zi")
    .replace(/sh/g, "sy")
    .replace(/ch/g, "ty")
    .replace(/j/g, "zy")
    .replace(/ou/g, "o")
    .replace(/oo/g, "o");
}

function isWordPrefix(prefix: string, name: string): boolean {
  return name.length > prefix.length && name.startsWith(`${prefix} `);
}

/**
 * The code of the one candidate name `score` ranks best (lowest; null rejects), the larger
 * subdivision first at equal scores; null when none or several are best.
 */
function uniqueBest(
  candidates: readonly { name: string; code: string; depth: number }[],
  name: string,
  score: (candidate: string) => number | null,
): string | null {
  let best: { score: number; depth: number; code: string } | null = null;
  let tie = false;
  for (const candidate of candidates) {
    const s = score(candidate.name);
    if (s === null) continue;
    if (best === null || s < best.score || (s === best.score && candidate.depth < best.depth)) {
      best = { score: s, depth: candidate.depth, code: candidate.code };
      tie = false;
    } else if (s === best.score && candidate.depth === best.depth && candidate.code !== best.code) tie = true;
  }
  return best === null || tie || name.length < 4 ? null : best.code;
}

/** Levenshtein distance, stopping early once it passes `limit` (then any number above it). */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length];
}
