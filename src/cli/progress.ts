import { createRequire } from "node:module";
import { formatBytes, formatCount } from "./format.js";

export interface ProgressDisplay {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * Plain progress lines go out this often when stderr is not a terminal (cron, CI, pipes).
 * `DANDI_S3_LOG_PARSER_PROGRESS_SECONDS` shortens it, for tests that watch for the lines.
 */
const PLAIN_INTERVAL_MS = 1000 * (Number(process.env.DANDI_S3_LOG_PARSER_PROGRESS_SECONDS) || 15);

/**
 * A progress bar on a terminal; periodic plain lines otherwise, so cron mail and CI logs stay
 * readable; nothing at all with `quiet`. Writes to stderr: stdout carries the results.
 */
export function createProgress(label: string, unit: "bytes" | "items", quiet = false): ProgressDisplay {
  const format = (n: number) => (unit === "bytes" ? formatBytes(n) : formatCount(n));
  if (quiet) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    // Loaded only for a terminal: it is a third of the start-up time of a short cron run.
    const cliProgress = createRequire(import.meta.url)("cli-progress") as typeof import("cli-progress");
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {doneText} of {totalText} | {eta_formatted} left`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        const payload = { doneText: format(done), totalText: format(total) };
        if (!started) {
          bar.start(total, done, payload);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(done, payload);
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const startedAt = Date.now();
  let lastLine = startedAt;
  let last: [number, number] | null = null;
  const print = (now: number) => {
    lastLine = now;
    const [done, total] = last ?? [0, 0];
    const percent = total > 0 ? ((100 * done) / total).toFixed(0) : last === null ? "0" : "100";
    process.stderr.write(
      `${label}: ${format(done)} of ${format(total)} (${percent}%) after ${Math.round((now - startedAt) / 1000)} s\n`,
    );
  };
  // Also while nothing moves (a long wait on the API, a server asking to retry later): a line every
  // interval says the run is alive. Unref'd, so it never keeps a finished run waiting.
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - lastLine >= PLAIN_INTERVAL_MS) print(now);
  }, PLAIN_INTERVAL_MS / 3);
  timer.unref();
  return {
    update(done, total) {
      last = [done, total];
      const now = Date.now();
      if (now - lastLine >= PLAIN_INTERVAL_MS) print(now);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** Runs `work` with a progress display that `work` feeds through `update`, stopped however it ends. */
export async function withProgress<T>(
  label: string,
  unit: "bytes" | "items",
  quiet: boolean | undefined,
  work: (update: (done: number, total: number) => void) => Promise<T>,
): Promise<T> {
  const display = createProgress(label, unit, quiet);
  try {
    return await work((done, total) => display.update(done, total));
  } finally {
    display.stop();
  }
}
