import { UsageError } from "../errors.js";
import { DANDISET_IDENTIFIER } from "./catalog.js";

/** Which Dandisets a run covers, as the original's `--restrict_to_dandisets`, `--excluded_dandisets` and `--dandiset_limit`. */
export interface DandisetSelection {
  restrictTo?: readonly string[];
  excluded?: readonly string[];
  /** At most this many, the first in identifier order once the lists above are applied. */
  limit?: number;
}

export function checkSelection(selection: DandisetSelection): void {
  for (const [flag, list] of [
    ["--restrict_to_dandisets", selection.restrictTo],
    ["--excluded_dandisets", selection.excluded],
  ] as const) {
    for (const identifier of list ?? []) {
      if (!DANDISET_IDENTIFIER.test(identifier)) {
        throw new UsageError(
          `${flag} takes six-digit Dandiset identifiers such as 000003,000026; got "${identifier}"`,
        );
      }
    }
  }
  const limit = selection.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new UsageError(`--dandiset_limit must be a whole number of 1 or more, not ${limit}`);
  }
}

/** The selected identifiers, sorted. */
export function selectDandisets(identifiers: readonly string[], selection: DandisetSelection): string[] {
  const restrict =
    selection.restrictTo === undefined || selection.restrictTo.length === 0
      ? null
      : new Set(selection.restrictTo);
  const excluded = new Set(selection.excluded ?? []);
  const chosen = [...new Set(identifiers)]
    .filter((identifier) => (restrict === null || restrict.has(identifier)) && !excluded.has(identifier))
    .sort();
  return selection.limit === undefined ? chosen : chosen.slice(0, selection.limit);
}
