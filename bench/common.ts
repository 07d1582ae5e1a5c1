import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Generated inputs are cached here between runs (same seed, same bytes); outputs go to a fresh temp folder. */
export const CACHE = path.join(ROOT, "bench-output");

export interface Timing {
  seconds: number;
  /** Peak resident memory of the process, in bytes (null where it cannot be measured). */
  peakBytes: number | null;
  /** CPU time of each of the process's threads, when asked for (`threads`) and Linux tells it. */
  threads?: ThreadTimes | null;
}

/** Seconds on a CPU: the main thread's, and each other thread's (workers, V8's helpers), largest first. */
export interface ThreadTimes {
  main: number;
  others: number[];
}

/**
 * Samples the CPU time of every thread of the process under `/usr/bin/time` (its child), every
 * 10 ms, from `/proc/<pid>/task/<tid>/schedstat` (nanoseconds, user and system): what a thread did
 * in its last 10 ms before it ended is missed. Unlike wall time, this does not depend on how much of
 * the machine others use at the moment.
 */
class ThreadSampler {
  private readonly times = new Map<number, number>();
  private pid = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly wrapperPid: number) {
    this.timer = setInterval(() => this.sample(), 10);
  }

  private sample(): void {
    try {
      if (this.pid === 0) {
        const children = fs.readFileSync(`/proc/${this.wrapperPid}/task/${this.wrapperPid}/children`, "utf8");
        this.pid = Number(children.trim().split(" ")[0]) || 0;
        if (this.pid === 0) return;
      }
      for (const tid of fs.readdirSync(`/proc/${this.pid}/task`)) {
        const ns = Number(fs.readFileSync(`/proc/${this.pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
        if (ns > (this.times.get(Number(tid)) ?? 0)) this.times.set(Number(tid), ns);
      }
    } catch {
      // The process or a thread ended between the listing and the read.
    }
  }

  stop(): ThreadTimes | null {
    clearInterval(this.timer);
    if (this.pid === 0 || !this.times.has(this.pid)) return null;
    const others = [...this.times].filter(([tid]) => tid !== this.pid).map(([, ns]) => ns / 1e9);
    return { main: (this.times.get(this.pid) ?? 0) / 1e9, others: others.sort((a, b) => b - a) };
  }
}

/**
 * Runs a command and measures its wall time and peak memory. Peak memory comes from GNU time's
 * `%M` when /usr/bin/time exists.
 */
export function timeCommand(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; stdout?: string; threads?: boolean } = {},
): Promise<Timing> {
  const useTime = fs.existsSync("/usr/bin/time");
  const file = useTime ? "/usr/bin/time" : command;
  const fullArgs = useTime ? ["-f", "%M", command, ...args] : args;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const out = options.stdout === undefined ? "ignore" : fs.openSync(options.stdout, "w");
    const child = spawn(file, fullArgs, {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", out, "pipe"],
    });
    const sampler =
      options.threads === true && useTime && child.pid !== undefined && fs.existsSync("/proc/self/task")
        ? new ThreadSampler(child.pid)
        : null;
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (typeof out === "number") fs.closeSync(out);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const threads = sampler?.stop() ?? null;
      if (code !== 0)
        return reject(new Error(`${command} ${args.join(" ")} exited with ${code}: ${stderr.slice(-2000)}`));
      const last = stderr.trim().split("\n").pop() ?? "";
      resolve({ seconds, peakBytes: useTime && /^\d+$/.test(last) ? Number(last) * 1024 : null, threads });
    });
  });
}

/** Best (smallest) of `runs` timings: the machine is shared and noisy, and noise only adds time. */
export async function best(runs: number, once: () => Promise<Timing>): Promise<Timing> {
  let seconds = Number.POSITIVE_INFINITY;
  let peakBytes: number | null = null;
  for (let i = 0; i < runs; i++) {
    const timing = await once();
    seconds = Math.min(seconds, timing.seconds);
    if (timing.peakBytes !== null) peakBytes = Math.max(peakBytes ?? 0, timing.peakBytes);
  }
  return { seconds, peakBytes };
}

export function tempFolder(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dslp-bench-${label}-`));
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

export function ratio(x: number): string {
  return `${x.toFixed(2)}x`;
}

/** The built CLI, as a user runs it. */
export function cli(script: string): string {
  return path.join(ROOT, "dist", "cli", `${script}.cjs`);
}

/**
 * How much faster a CPU-bound loop runs split over two threads than on one, right now: the most
 * two workers can gain. On a 2-core machine shared with other busy users it drops from about 2x
 * towards 1x, and a ratio of two workers to one says little unless it is read against this one.
 */
export async function parallelismNow(): Promise<number> {
  const loop = "let x = 0; for (let i = 0; i < n; i++) x += i % 7;";
  const spin = new Function("n", `${loop} return x;`) as (n: number) => number;
  const n = 3e8;
  let started = performance.now();
  spin(n);
  const one = performance.now() - started;
  started = performance.now();
  const worker = new Worker(
    `const { parentPort, workerData: n } = require("node:worker_threads"); ${loop} parentPort.postMessage(x);`,
    { eval: true, workerData: n / 2 },
  );
  const done = new Promise((resolve) => worker.once("message", resolve));
  spin(n / 2);
  await done;
  const two = performance.now() - started;
  await worker.terminate();
  return one / two;
}

/**
 * The best of `runs` of each command, run in turns (a, b, a, b, ...): a burst of load from others
 * on the shared machine then slows both alike rather than one of them. `beforePair` runs before
 * each pair (the reduce bench reads `parallelismNow` there).
 */
export async function alternate(
  runs: number,
  a: () => Promise<Timing>,
  b: () => Promise<Timing>,
  beforePair: () => Promise<void> = async () => {},
): Promise<[Timing, Timing]> {
  const [bestA, bestB] = [
    { seconds: Infinity, peakBytes: null as number | null },
    { seconds: Infinity, peakBytes: null as number | null },
  ];
  for (let i = 0; i < runs; i++) {
    await beforePair();
    for (const [run, into] of [
      [a, bestA],
      [b, bestB],
    ] as const) {
      const timing = await run();
      into.seconds = Math.min(into.seconds, timing.seconds);
      if (timing.peakBytes !== null) into.peakBytes = Math.max(into.peakBytes ?? 0, timing.peakBytes);
    }
  }
  return [bestA, bestB];
}
