import {
  SUMMARY_KEY_COLUMN,
  SUMMARY_VALUE_COLUMNS,
  type SummaryTableKey,
  WEEK_COLUMN,
} from "../formats/summaries-folder.js";
import { publishedRegionOf } from "../geo/published-regions.js";
import { sortedKeys, Tally } from "../map/tally.js";
import { ASSET_TYPES, assetTypeOf } from "./asset-types.js";

/**
 * The text of each published table, from the numbers map keeps. Pure: the tables of a Dandiset,
 * of `undetermined` and of the archive are made here and written by publish.ts. Every cell but the
 * first is a whole number written in digits, as the page's `parseInt` needs.
 */

/** A table of bytes, requests, downloads and views: dates in order, else largest first (ties by name). */
export function summaryTableText(key: SummaryTableKey, tally: Tally): string {
  let text = `${[SUMMARY_KEY_COLUMN[key], ...SUMMARY_VALUE_COLUMNS].join("\t")}\n`;
  for (const name of sortedKeys(tally.bytes, key === "day" ? "key" : "largest")) {
    const requests = tally.requests.get(name) ?? 0;
    // A key whose rows were all replaced falls to nothing; a run from scratch would not list it.
    if (requests === 0) continue;
    const bytes = tally.bytes.get(name) ?? 0n;
    text += `${name}\t${bytes}\t${requests}\t${tally.downloads.get(name) ?? 0}\t${tally.views.get(name) ?? 0}\n`;
  }
  return text;
}

/** The regions of a tally as DANDI publishes them (`US/California` -> `USA/CA`), merging those that become one. */
export function publishedRegions(byRegion: Tally): Tally {
  const published = new Tally();
  byRegion.forEach((region, bytes, requests, downloads, views) => {
    published.add(publishedRegionOf(region), bytes, requests, downloads, views);
  });
  return published;
}

/**
 * `by_asset_per_week.tsv`: one row per week with requests (Mondays, in order), one column of bytes
 * per asset path (in code point order), 0 where an asset had none that week.
 */
export function assetsPerWeekText(assetWeeks: Tally): string {
  const { weeks, columns, cells } = weeklyCells(assetWeeks, (name) => name);
  const order = [...columns].sort(byCodePoint);
  return weeklyText(weeks, order, cells);
}

/**
 * `by_asset_type_per_week.tsv`: bytes per week by asset type, the types present in DANDI's order.
 * `weeks` is keyed `<monday>\t<asset path>` (`byType` false) or `<monday>\t<type>` (true).
 */
export function assetTypesPerWeekText(weeks: Tally, byType: boolean): string {
  // Each asset's type once, not once a week (its suffixes are split and compared each time).
  const typeOf = new Map<string, string>();
  const typeOfAsset = (name: string) => {
    let type = typeOf.get(name);
    if (type === undefined) {
      type = assetTypeOf(name);
      typeOf.set(name, type);
    }
    return type;
  };
  const cells = weeklyCells(weeks, byType ? (name) => name : typeOfAsset);
  const order = ASSET_TYPES.filter((type) => cells.columns.has(type));
  return weeklyText(cells.weeks, order, cells.cells);
}

/** `requester_count.tsv`: the number alone, without header or line end, as DANDI writes it. */
export function requesterCountText(requesters: number): string {
  return String(requesters);
}

interface WeeklyCells {
  /** Weeks with at least one request, in order. */
  weeks: string[];
  columns: Set<string>;
  /** Bytes by `<week>\t<column>`. */
  cells: Map<string, bigint>;
}

/** Sums a weekly tally into columns (`columnOf` the name after the week): weeks with requests, and the bytes of each cell. */
function weeklyCells(weekly: Tally, columnOf: (name: string) => string): WeeklyCells {
  const requestsOfWeek = new Map<string, number>();
  const columns = new Set<string>();
  const cells = new Map<string, bigint>();
  weekly.forEach((key, bytes, requests) => {
    if (requests === 0) return;
    const tab = key.indexOf("\t");
    const week = key.slice(0, tab);
    const column = columnOf(key.slice(tab + 1));
    requestsOfWeek.set(week, (requestsOfWeek.get(week) ?? 0) + requests);
    columns.add(column);
    const cell = `${week}\t${column}`;
    cells.set(cell, (cells.get(cell) ?? 0n) + bytes);
  });
  return { weeks: [...requestsOfWeek.keys()].sort(), columns, cells };
}

function weeklyText(weeks: string[], columns: readonly string[], cells: Map<string, bigint>): string {
  const lines = [[WEEK_COLUMN, ...columns].join("\t")];
  for (const week of weeks) {
    let line = week;
    for (const column of columns) line += `\t${cells.get(`${week}\t${column}`) ?? 0n}`;
    lines.push(line);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Code point order, as DANDI's own tables sort asset paths. JavaScript's default compares UTF-16
 * units, which differs only where a character past U+FFFF (a surrogate pair) meets one of
 * U+E000–U+FFFF: the pair's character is the larger.
 */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xPair = x >= 0xd800 && x <= 0xdfff;
    const yPair = y >= 0xd800 && y <= 0xdfff;
    if (xPair !== yPair) return xPair ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
