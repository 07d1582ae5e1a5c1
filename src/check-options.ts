import { UsageError } from "./errors.js";

/**
 * Checks of the options the library's steps take, done up front so that a bad option fails at once
 * with a message naming it (never after an hour of work, never as a hang). Each option has its own
 * code, derived from its name: `workers` -> `ERR_INVALID_WORKERS`.
 */

export function invalidOptionCode(option: string): string {
  const leaf = option.slice(option.lastIndexOf(".") + 1);
  return `ERR_INVALID_${leaf.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

/** A usage error about `option`: the message starts with the option's name in backticks. */
export function invalidOption(option: string, problem: string, code = invalidOptionCode(option)): UsageError {
  return new UsageError(`\`${option}\` ${problem}`, { code, optionNames: [option] });
}

function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return "a list";
  return value.constructor?.name ? `a ${value.constructor.name}` : "an object";
}

/** The options argument itself: an object (or absent, when every option has a default). */
export function checkOptionsObject(options: unknown, step: string, required = true): void {
  if (options === undefined && !required) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new UsageError(`${step} takes an object of options, not ${shown(options)}`, {
      code: "ERR_INVALID_OPTIONS",
    });
  }
}

/** A path option (file or folder): a non-empty string. */
export function checkPath(value: unknown, option: string, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== "string" || value === "" || value.includes("\0"))
    throw invalidOption(option, `must be a path, not ${shown(value)}`);
}

/** A whole number of `min` or more that a double holds exactly (at most 2^53 - 1). */
export function checkWholeNumber(value: unknown, option: string, min: number): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min)
    throw invalidOption(option, `must be a whole number of ${min} or more, not ${shown(value)}`);
  if (!Number.isSafeInteger(value))
    throw invalidOption(
      option,
      `must be a whole number of at most ${Number.MAX_SAFE_INTEGER}, not ${shown(value)} (not exact as a number)`,
    );
}

/** A number of milliseconds or a share: finite, within `[min, max]`. */
export function checkNumber(
  value: unknown,
  option: string,
  min: number,
  max = Number.POSITIVE_INFINITY,
): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `of ${min} or more` : `from ${min} to ${max}`;
    throw invalidOption(option, `must be a number ${range}, not ${shown(value)}`);
  }
}

/**
 * The longest a timer can wait: Node fires a longer one after 1 ms (with a warning), which would turn
 * a generous timeout into none at all.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const MIB = 1024 * 1024;

/** Memory for buffers, in bytes: at least 1 MiB; said in MiB, the unit people think in. */
export function checkBufferBytes(value: unknown, option = "bufferBytes"): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < MIB) {
    const given = typeof value === "number" ? `${value / MIB} MiB` : shown(value);
    throw invalidOption(option, `must be at least 1 MiB (${MIB} bytes), not ${given}`);
  }
}

export function checkString(value: unknown, option: string): void {
  if (value === undefined) return;
  if (typeof value !== "string" || value === "")
    throw invalidOption(option, `must be a string, not ${shown(value)}`);
}

export function checkBoolean(value: unknown, option: string): void {
  if (value === undefined) return;
  if (typeof value !== "boolean") throw invalidOption(option, `must be true or false, not ${shown(value)}`);
}

export function checkFunction(value: unknown, option: string): void {
  if (value === undefined) return;
  if (typeof value !== "function") throw invalidOption(option, `must be a function, not ${shown(value)}`);
}

export function checkSignal(value: unknown, option = "signal"): void {
  if (value === undefined) return;
  if (!(value instanceof AbortSignal))
    throw invalidOption(option, `must be an AbortSignal, not ${shown(value)}`);
}

export function checkObject(value: unknown, option: string): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalidOption(option, `must be an object of options, not ${shown(value)}`);
}

/** A list whose every item passes `accept`; `expected` says what an item must be. */
export function checkList(
  value: unknown,
  option: string,
  accept: (item: unknown) => boolean,
  expected: string,
): void {
  if (value === undefined) return;
  if (!Array.isArray(value))
    throw invalidOption(option, `must be a list of ${expected}, not ${shown(value)}`);
  for (const item of value) {
    if (!accept(item)) throw invalidOption(option, `takes ${expected}; got ${shown(item)}`);
  }
}

/** Years as `2019` or `"2019"`. */
export function checkExcludedYears(value: unknown, option = "excludedYears"): void {
  const isYear = (year: unknown) =>
    (typeof year === "string" || typeof year === "number") && /^\d{4}$/.test(String(year).trim());
  checkList(value, option, isYear, "four-digit years such as 2019,2020");
}

/** Addresses as written in the logs: compared as text, so only their characters are checked. */
export function checkExcludedIps(value: unknown, option = "excludedIps"): void {
  const isAddress = (ip: unknown) => typeof ip === "string" && /^[0-9A-Fa-f.:]+$/.test(ip);
  checkList(value, option, isAddress, "IP addresses such as 192.0.2.1");
}
