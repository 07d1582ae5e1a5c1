/**
 * A whole number above zero from the environment variable `variable`, else `defaultValue`: for the
 * settings that only tests and benchmarks move (see docs/reference.md's environment variables).
 */
export function envWholeNumber(variable: string, defaultValue: number): number {
  const value = Number(process.env[variable]);
  return Number.isSafeInteger(value) && value > 0 ? value : defaultValue;
}

/**
 * How much work a step needs per thread before it shares it out: below, a worker's start costs more
 * than the worker saves, and a daily run stays on the main thread. The environment variable
 * (`DANDI_S3_LOG_PARSER_BIN_SHARE_BYTES`, `DANDI_S3_LOG_PARSER_MAP_SHARE_ROWS`) overrides the
 * default: the tests set it low, so that their small inputs go through the workers too.
 */
export function shareThreshold(variable: string, defaultValue: number): number {
  return envWholeNumber(variable, defaultValue);
}
