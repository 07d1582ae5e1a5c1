import { allPlaces } from "../src/geo/city-places.ts";
import { matchStepOf } from "../src/geo/subdivision-codes.ts";

/**
 * How many of DB-IP's subdivision names `publishedRegionOf` turns into ISO 3166-2 codes: over every
 * distinct (country, state1) of the city database (both files, as map's regions name them), the
 * share matched, and the share weighted by the number of DB-IP records of each; then each step's
 * part and the names still unmatched that carry the most records, the candidates for the alias table
 * (src/geo/subdivision-aliases.ts).
 *
 *   node --import tsx scripts/measure-subdivision-matches.ts [--top 40]
 *
 * The first run reads the whole database (about 10 s), later ones its places from the settings
 * folder's cache.
 */
const topIndex = process.argv.indexOf("--top");
const top = topIndex === -1 ? 40 : Number(process.argv[topIndex + 1]);

const places = allPlaces();
let names = 0;
let records = 0;
let matchedNames = 0;
let matchedRecords = 0;
const steps = new Map<string, { names: number; records: number }>();
const unmatched: { place: string; records: number }[] = [];
for (const [place, mean] of places) {
  const slash = place.indexOf("/");
  if (slash === -1) continue;
  names++;
  records += mean.records;
  const step = matchStepOf(place.slice(0, slash), place.slice(slash + 1));
  if (step === null) {
    unmatched.push({ place, records: mean.records });
    continue;
  }
  matchedNames++;
  matchedRecords += mean.records;
  const tally = steps.get(step) ?? { names: 0, records: 0 };
  tally.names++;
  tally.records += mean.records;
  steps.set(step, tally);
}

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(2)}%`;
console.log(`DB-IP subdivision names: ${names} distinct (country, state1), ${records} records`);
console.log(
  `matched: ${matchedNames} names (${percent(matchedNames, names)}), ${matchedRecords} records (${percent(matchedRecords, records)})`,
);
for (const [step, tally] of [...steps].sort((a, b) => b[1].records - a[1].records))
  console.log(
    `  ${step.padEnd(6)} ${String(tally.names).padStart(5)} names ${percent(tally.records, records).padStart(7)} of records`,
  );
console.log(`unmatched, most records first (published as the country alone):`);
for (const { place, records: n } of unmatched.sort((a, b) => b.records - a.records).slice(0, top))
  console.log(`  ${String(n).padStart(6)}  ${place}`);
