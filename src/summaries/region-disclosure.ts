import { isResolvedRegion } from "../geo/published-regions.js";

/**
 * DANDI's rule for publishing a `by_region.tsv` now that counts are exact: a table is first
 * published once it names more than `threshold` resolved regions (`USA/CA`, `AWS/us-east-1`; not
 * `USA`, `unknown`, `bogon`, `GitHub`), and replaced only when more than `threshold` resolved
 * regions changed (appeared, went, or any of their four numbers moved) since the table published.
 * Small changes thus never show, which is the point; the price is that a published table depends
 * on when runs happened, not only on the logs. With a threshold of 0, any change replaces it, so
 * that a table is always what one run over everything gives.
 */
export interface RegionDecision {
  /** Whether the new table replaces (or first becomes) the published one. */
  write: boolean;
  /** The region labels of the table published once the decision is carried out; none when there is none. */
  published: string[];
}

/** Decides for `next` (a table as summary-tables.ts writes it) against the published text, if any. */
export function decideRegionTable(next: string, previous: string | null, threshold: number): RegionDecision {
  const nextRows = rowsOf(next);
  const previousRows = previous === null ? null : rowsOf(previous);
  let changed = 0;
  if (previousRows === null) {
    for (const label of nextRows.keys()) if (isResolvedRegion(label)) changed++;
  } else {
    for (const label of new Set([...nextRows.keys(), ...previousRows.keys()])) {
      if (!isResolvedRegion(label)) continue;
      if ((nextRows.get(label) ?? ABSENT) !== (previousRows.get(label) ?? ABSENT)) changed++;
    }
  }
  const write = changed > threshold || (threshold === 0 && previous !== null && previous !== next);
  if (write) return { write, published: [...nextRows.keys()] };
  return { write, published: previousRows === null ? [] : [...previousRows.keys()] };
}

/** A region with no row: four zeros, as DANDI compares them. */
const ABSENT = "0\t0\t0\t0";

/**
 * The rows of a region table by label: its four numbers as the page reads them (by position, a
 * cell that is not a whole number as 0, a missing one as 0), so that a table written by an earlier
 * version (`<50`, three columns) compares as the page would show it. Rows of one label add up.
 */
function rowsOf(text: string): Map<string, string> {
  const sums = new Map<string, bigint[]>();
  for (const line of text.split("\n").slice(1)) {
    if (line === "") continue;
    const cells = line.split("\t");
    // Whole numbers, exactly: an archive's bytes for one region pass 2^53.
    const values = [1, 2, 3, 4].map((i) => BigInt(/^\s*[+-]?\d+/.exec(cells[i] ?? "")?.[0].trim() ?? "0"));
    const sum = sums.get(cells[0]);
    if (sum === undefined) sums.set(cells[0], values);
    else for (let i = 0; i < 4; i++) sum[i] += values[i];
  }
  return new Map([...sums].map(([label, values]) => [label, values.join("\t")]));
}
