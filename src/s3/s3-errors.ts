import { AbortedError, RunError, UsageError } from "../errors.js";
import { isTimeoutError, TIMEOUT_ATTEMPTS } from "./retry-strategy.js";

/**
 * What an error of the AWS SDK means for the run, as one line naming what was being read: a bucket
 * or key that does not exist, or credentials that do not reach it, are the user's to fix (a usage
 * error, exit code 2, like a missing folder); a timeout, a server that kept failing, or an object
 * gone from under a listing are failures of this run (exit code 1), which a rerun may get past.
 */
export interface S3ReadContext {
  /** What was being read, as `s3://bucket/key` (or `s3://bucket/prefix` for a listing). */
  what: string;
  /** The option that named it (`rawFolder`, `inventory`), for the usage errors. */
  option: "rawFolder" | "inventory";
  /** What a missing key is: part of what the user gave (a manifest) or an object listed and now gone. */
  missingKeyIs: "usage" | "run";
  timeoutMs: number;
  signal?: AbortSignal;
}

const ACCESS_DENIED = new Set([
  "AccessDenied",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "Forbidden",
]);

export function s3Failure(error: unknown, context: S3ReadContext): Error {
  const { what, option } = context;
  if (context.signal?.aborted) return new AbortedError(`interrupted while reading ${what}`, { cause: error });
  if (error instanceof UsageError || error instanceof RunError || error instanceof AbortedError) return error;
  const e = error as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
  };
  const name = e?.name ?? "Error";
  const status = e?.$metadata?.httpStatusCode;
  const attempts = e?.$metadata?.attempts;
  const tried = attempts !== undefined && attempts > 1 ? `, after ${attempts} attempts` : "";
  if (isTimeoutError(error))
    return new RunError(
      `nothing came from ${what} for ${formatSeconds(context.timeoutMs)}, ${attempts ?? TIMEOUT_ATTEMPTS} times ` +
        "(`networkTimeoutMs`); check the network and the S3 endpoint, and run again",
      { code: "ERR_NETWORK_TIMEOUT", cause: error, optionNames: ["networkTimeoutMs"] },
    );
  if (name === "NoSuchBucket")
    return new UsageError(`${what}: the bucket does not exist (NoSuchBucket); check \`${option}\``, {
      code: "ERR_S3_NO_SUCH_BUCKET",
      cause: error,
      optionNames: [option],
    });
  if (name === "NoSuchKey" || (name === "NotFound" && status === 404)) {
    if (context.missingKeyIs === "usage")
      return new UsageError(`${what} does not exist (NoSuchKey); check \`${option}\``, {
        code: "ERR_S3_NO_SUCH_KEY",
        cause: error,
        optionNames: [option],
      });
    return new RunError(
      `${what} is listed but the bucket no longer holds it (NoSuchKey); nothing of this run was kept: ` +
        "run again once the listing agrees with the bucket",
      { code: "ERR_S3_NO_SUCH_KEY", cause: error },
    );
  }
  if (ACCESS_DENIED.has(name) || status === 403)
    return new UsageError(
      `${what}: access denied (${name}); the AWS credentials in use (AWS_PROFILE, AWS_ACCESS_KEY_ID, or a role) ` +
        "must allow s3:ListBucket and s3:GetObject there (see the README's policy)",
      { code: "ERR_S3_ACCESS_DENIED", cause: error },
    );
  if (name === "CredentialsProviderError" || /could not load credentials/i.test(e?.message ?? ""))
    return new UsageError(
      `no AWS credentials to read ${what}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ` +
        "or run where an instance or container role gives them",
      { code: "ERR_S3_NO_CREDENTIALS", cause: error },
    );
  const answer = status === undefined ? firstLine(e?.message ?? String(error)) : `${name} (HTTP ${status})`;
  return new RunError(`could not read ${what}: ${answer}${tried}; run again later`, {
    code: "ERR_S3_READ",
    cause: error,
  });
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
