import { InvalidArgumentError } from "commander";

/** Option value parsers that say what they expected, for commander. */

/**
 * Whole numbers above 2^53 - 1 are not exact in a double: `9007199254740993` reads as
 * `9007199254740992`, and `99999999999999999999` as a rounded number nobody typed. Refused rather
 * than used as something else.
 */
function wholeNumberFrom(value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`expected a whole number of ${min} or more, got "${value}"`);
  if (!Number.isSafeInteger(n))
    throw new InvalidArgumentError(
      `expected a whole number of at most ${Number.MAX_SAFE_INTEGER}, got "${value}"`,
    );
  return n;
}

export function wholeNumber(value: string): number {
  return wholeNumberFrom(value, 0);
}

export function positiveInteger(value: string): number {
  return wholeNumberFrom(value, 1);
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a number above 0, got "${value}"`);
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a number of 0 or more, got "${value}"`);
  return n;
}

/** The longest timeout a timer can wait, in whole seconds (about 24 days). */
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A timeout in seconds, such as 60 or 2.5. */
export function timeoutSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > MAX_TIMEOUT_SECONDS)
    throw new InvalidArgumentError(
      `expected a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}, got "${value}"`,
    );
  return n;
}

/** `a,b, c` -> ["a", "b", "c"]; empty items dropped. */
export function commaList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}
