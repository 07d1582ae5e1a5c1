import { checkList, checkWholeNumber } from "../check-options.js";
import { DANDISET_IDENTIFIER } from "./catalog.js";

/** Which Dandisets a run covers, as the original's `--restrict_to_dandisets`, `--excluded_dandisets` and `--dandiset_limit`. */
export interface DandisetSelection {
  restrictTo?: readonly string[];
  excluded?: readonly string[];
  /** At most this many, the first in identifier order once the lists above are applied. */
  limit?: number;
}

export function checkSelection(selection: DandisetSelection): void {
  const isIdentifier = (item: unknown) => typeof item === "string" && DANDISET_IDENTIFIER.test(item);
  const expected = "six-digit Dandiset identifiers such as 000003,000026";
  checkList(selection.restrictTo, "restrictTo", isIdentifier, expected);
  checkList(selection.excluded, "excluded", isIdentifier, expected);
  checkWholeNumber(selection.limit, "limit", 1);
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
