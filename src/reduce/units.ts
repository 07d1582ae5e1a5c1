/**
 * A day is reduced in units: its first unit is `YYYY/MM/DD.tsv`, and lines that come later (a day
 * file that grew, log objects delivered late) make further units `YYYY/MM/DD_0002.tsv`, … which bin
 * merges into the binned files like a backfilled day. `_` sorts after `.` and before any digit of
 * the next day, so a day's units follow the day in path order, which is the order bin ties rows in.
 */
export function unitPathOf(dayPath: string, unit: number): string {
  const base = dayPath.replace(/\.(tsv|log)$/, "");
  return unit === 1 ? `${base}.tsv` : `${base}_${String(unit).padStart(4, "0")}.tsv`;
}

/** The name of a reduced unit file: `DD.tsv` or `DD_0002.tsv`. */
export const UNIT_FILE = /^\d+(_\d{4})?\.tsv$/;

/** The most units one day can have (four digits). */
export const MAX_UNITS = 9999;
