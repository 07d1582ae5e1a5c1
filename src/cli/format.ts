import type { LineCounts } from "../reduce/line-counts.js";
import { totalOf } from "../reduce/line-counts.js";
import {
  FILTER_DESCRIPTIONS,
  type FilterReason,
  MALFORMED_DESCRIPTIONS,
  type MalformedReason,
} from "../s3log/reasons.js";

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** 1234567 -> "1.2 MB" (powers of 1000, as disks and networks count). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

/** 1234567 -> "1,234,567". By hand: `toLocaleString` costs 10 ms of start-up to load its locale data. */
export function formatCount(n: number): string {
  const [whole, fraction] = String(n).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** plural(1, "day file") -> "1 day file"; plural(2, "day file") -> "2 day files". */
export function plural(n: number, noun: string): string {
  if (n === 1) return `${formatCount(n)} ${noun}`;
  return `${formatCount(n)} ${noun}${/(s|x|ch|sh)$/.test(noun) ? "es" : "s"}`;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Rows of `label, count, note` as aligned text: labels left, counts right, notes after. */
export function formatCountTable(rows: readonly (readonly [string, number, string])[]): string {
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const countWidth = Math.max(...rows.map(([, n]) => formatCount(n).length));
  return rows
    .map(
      ([label, n, note]) =>
        `${label.padEnd(labelWidth)}  ${formatCount(n).padStart(countWidth)}${note ? `  ${note}` : ""}`,
    )
    .join("\n");
}

/** Where every line went, as a small table: the three buckets and each non-zero reason. */
export function formatLineCounts(counts: LineCounts, errorLogPath: string | null): string {
  const rows: [string, number, string][] = [
    ["lines read", counts.lines, ""],
    ["  kept", counts.kept, ""],
  ];
  rows.push(["  filtered", totalOf(counts.filtered), ""]);
  for (const [reason, n] of Object.entries(counts.filtered)) {
    if (n > 0) rows.push([`    ${reason}`, n, FILTER_DESCRIPTIONS[reason as FilterReason]]);
  }
  rows.push([
    "  malformed",
    totalOf(counts.malformed),
    errorLogPath === null ? "" : `listed in ${errorLogPath}`,
  ]);
  for (const [reason, n] of Object.entries(counts.malformed)) {
    if (n > 0) rows.push([`    ${reason}`, n, MALFORMED_DESCRIPTIONS[reason as MalformedReason]]);
  }
  return formatCountTable(rows);
}
