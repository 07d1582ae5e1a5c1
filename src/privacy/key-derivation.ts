/** How keys are made, apart from node:crypto: the steps that only compare records do not load it. */

/** The environment variable that holds the password IP addresses are encrypted with. */
export const IP_KEY_VARIABLE = "DANDI_S3_LOG_PARSER_IP_KEY";

/**
 * How a password becomes a key: PBKDF2-HMAC-SHA256, 600,000 iterations (OWASP's figure for it, and
 * DANDI's current tool's), with a fixed salt. The salt is fixed because the tokens must be the same
 * in every run and on every machine that holds the password; it is recorded beside the tokens
 * (ip-mode.ts), so a later version can change it without losing the folders made before.
 */
export const KEY_DERIVATION = {
  function: "pbkdf2-hmac-sha256",
  iterations: 600_000,
  salt: "dandi-s3-log-parser/ip-token/v1",
} as const;

export const GOOD_KEY_ADVICE =
  "a good key is a random secret of 32 characters or more, such as the output of `openssl rand -base64 32`";
