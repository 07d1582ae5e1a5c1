import { UsageError } from "../errors.js";

/**
 * `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds convention) fixes the time the
 * report's index says it was generated, so two runs over the same tables give the same files. Read
 * by every command that draws the report: `report`, `run` and `demo`.
 */
export function generatedAtFromEnvironment(): Date | undefined {
  const value = process.env.SOURCE_DATE_EPOCH;
  if (value === undefined || value === "") return undefined;
  const seconds = Number(value);
  if (
    !/^\d+$/.test(value) ||
    !Number.isSafeInteger(seconds) ||
    !Number.isFinite(new Date(seconds * 1000).getTime())
  ) {
    throw new UsageError(
      `SOURCE_DATE_EPOCH is "${value}"; set it to whole seconds since 1970-01-01 UTC, or unset it`,
      { code: "ERR_INVALID_SOURCE_DATE_EPOCH" },
    );
  }
  return new Date(seconds * 1000);
}
