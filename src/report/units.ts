/** Numbers as people read them on the report's pages: bytes in powers of 1000, counts with separators. */

export const BYTE_UNITS = ["B", "kB", "MB", "GB", "TB", "PB"] as const;
export type ByteUnit = (typeof BYTE_UNITS)[number];

export interface ByteScale {
  unit: ByteUnit;
  divisor: number;
}

/** The largest unit in which `bytes` is at least 1, so a chart's axis reads 0 to 850 MB, not 0 to 0.85 GB. */
export function byteScaleFor(bytes: number): ByteScale {
  let index = 0;
  let divisor = 1;
  while (index < BYTE_UNITS.length - 1 && Math.abs(bytes) >= divisor * 1000) {
    divisor *= 1000;
    index++;
  }
  return { unit: BYTE_UNITS[index], divisor };
}

/** 1531367 -> "1.53 MB"; three significant digits, whole bytes below 1 kB. */
export function formatBytes(bytes: number): string {
  const { unit, divisor } = byteScaleFor(bytes);
  if (divisor === 1) return `${Math.round(bytes)} B`;
  const value = bytes / divisor;
  return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${unit}`;
}

/** 1234567 -> "1,234,567". By hand, as cli/format.ts: `toLocaleString` was a twentieth of drawing a page. */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "12.3%", or "<0.1%" for a sliver that would otherwise read as nothing. */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0) return "–";
  const percent = (100 * part) / whole;
  if (percent > 0 && percent < 0.1) return "<0.1%";
  return `${percent.toFixed(percent >= 10 ? 0 : 1)}%`;
}
