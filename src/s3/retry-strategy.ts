/**
 * How the AWS SDK retries one request to S3: throttling (503 SlowDown), 5xx answers and dropped
 * connections up to `MAX_ATTEMPTS` times with exponential backoff, as its own standard strategy
 * does, but a request that timed out (nothing came for the network timeout) only `TIMEOUT_ATTEMPTS`
 * times: a server that sent nothing for a minute three times over is stuck, and eight more minutes
 * of waiting would only keep the daily job, and its lock, hanging. The SDK's own strategy cannot
 * tell the two apart, so this implements its interface (`RetryStrategyV2`); the SDK sleeps the
 * delay each token gives, and stops sleeping when the request's abort signal fires.
 */

/** Requests at most for one call, the first included. */
export const MAX_ATTEMPTS = 8;
/** Of which timed out, at most; then the call fails with the timeout. */
export const TIMEOUT_ATTEMPTS = 3;
const BASE_DELAY_MS = 100;
const THROTTLING_BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;

interface RetryErrorInfo {
  errorType: "THROTTLING" | "TRANSIENT" | "SERVER_ERROR" | "CLIENT_ERROR";
  error?: unknown;
}

class RetryToken {
  constructor(
    private readonly retries: number,
    private readonly delayMs: number,
    readonly timeouts: number,
  ) {}

  getRetryCount(): number {
    return this.retries;
  }

  getRetryDelay(): number {
    return this.delayMs;
  }
}

/** Whether an error of the SDK's request handler is a timeout: no connection, or silence, for too long. */
export function isTimeoutError(error: unknown): boolean {
  const e = error as { name?: string; code?: string } | null | undefined;
  return e?.name === "TimeoutError" || e?.code === "ETIMEDOUT";
}

export class S3RetryStrategy {
  readonly mode = "standard";

  async acquireInitialRetryToken(_scope: string): Promise<RetryToken> {
    return new RetryToken(0, 0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const attempts = token.getRetryCount() + 1;
    const timeouts = token.timeouts + (isTimeoutError(info.error) ? 1 : 0);
    const retriable = info.errorType === "THROTTLING" || info.errorType === "TRANSIENT";
    if (!retriable || attempts >= MAX_ATTEMPTS || timeouts >= TIMEOUT_ATTEMPTS)
      throw new Error("No retry token available");
    const base = info.errorType === "THROTTLING" ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS;
    // "Full jitter", as the SDK's own strategy: anywhere below a ceiling that doubles each time.
    const ceiling = Math.min(MAX_DELAY_MS, base * 2 ** attempts);
    return new RetryToken(attempts, Math.round(Math.random() * ceiling), timeouts);
  }

  recordSuccess(_token: RetryToken): void {}
}
