import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { inputs } from "./archive.bench.ts";
import {
  cli,
  mb,
  parallelismNow,
  ratio,
  type ThreadTimes,
  type Timing,
  tempFolder,
  timeCommand,
} from "./common.ts";

/**
 * The rebuild every archive makes once when it upgrades (`run --rebuild`): the whole chain from the
 * raw logs, on the archive bench's 31 days (1.1 GB of raw logs, 1.04 M downloads over 3,100
 * objects and 100 Dandisets), with one thread and with two, in turns on the same files. Each step
 * is its own command (reduce, bin, map with the summaries; the report is left out), run on one
 * thread then on two right after a two-thread loop measures how much of a second core the shared
 * machine lends at that moment; then `run --no-report` as one command. Each step's share that runs
 * on one thread only follows from its gain read against the loop's (Amdahl's law); with the
 * one-thread rates it gives the time DANDI's history would take on 16 cores, data in proportion.
 */
const ROUNDS = 4;
const STEPS = ["reduce", "bin", "map"] as const;
type Step = (typeof STEPS)[number];
/** DANDI's history, as issue 20 gives it: 6 TB of raw logs a year, 2.7 billion kept rows. */
const DANDI_RAW_BYTES = 6e12;
const DANDI_ROWS = 2.7e9;
const CORES = 16;

function stepArgs(step: Step, work: string, raw: string, catalog: string, workers: number): string[] {
  const folder = (name: string) => path.join(work, name);
  const threads = ["--maximum_number_of_workers", String(workers), "--quiet"];
  if (step === "reduce")
    return [
      "reduce",
      "--raw_s3_logs_folder_path",
      raw,
      "--reduced_s3_logs_folder_path",
      folder("reduced"),
      ...threads,
    ];
  if (step === "bin")
    return [
      "bin",
      "--reduced_s3_logs_folder_path",
      folder("reduced"),
      "--binned_s3_logs_folder_path",
      folder("binned"),
      ...threads,
    ];
  return [
    "map",
    "--binned_s3_logs_folder_path",
    folder("binned"),
    "--mapped_s3_logs_folder_path",
    folder("mapped"),
    "--summaries_folder_path",
    folder("summaries"),
    "--catalog",
    catalog,
    ...threads,
  ];
}

interface Chain {
  steps: Record<Step, Timing>;
  total: number;
}

function line(label: string, seconds: number, peak: number | null, extra = ""): string {
  const memory = peak === null ? "" : `, peak ${mb(peak)}`;
  return `${label.padEnd(44)} ${seconds.toFixed(2).padStart(6)} s${memory}${extra}`;
}

/** Rows of the reduced days (less their headers), and lines of the raw logs. */
function countRows(work: string): number {
  const text = execFileSync("sh", ["-c", `cat ${path.join(work, "reduced")}/*/*/*.tsv | wc -l`]).toString();
  const days = fs
    .readdirSync(path.join(work, "reduced"), { recursive: true })
    .filter((n) => String(n).endsWith(".tsv"));
  return Number(text.trim()) - days.length;
}

export async function run(): Promise<void> {
  const { raw, catalog } = inputs();
  const rawBytes = fs
    .readdirSync(raw, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".log"))
    .reduce((sum, name) => sum + fs.statSync(path.join(raw, name)).size, 0);
  const root = tempFolder("rebuild");
  const env = { DANDI_S3_LOG_PARSER_HOME: path.join(root, "home") };
  const main = cli("main");
  try {
    // The caches of a first run (the cloud ASN table, places) are made here, untimed.
    const warm = path.join(root, "warm");
    for (const step of STEPS)
      await timeCommand(process.execPath, [main, ...stepArgs(step, warm, raw, catalog, 1)], { env });
    const rows = countRows(warm);
    const outputs: string[] = [];
    const chains: Record<1 | 2, Chain[]> = { 1: [], 2: [] };
    const runs: Record<1 | 2, Timing[]> = { 1: [], 2: [] };
    /** Per round, per step: the gain of a two-thread loop just before the step's pair of runs. */
    const lent: Record<Step, number>[] = [];
    const gains: number[] = [];
    let n = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Each step on one thread then on two, in two work folders, the loop measured before each pair.
      const works = {
        1: withRequesterKey(path.join(root, `work-${n++}`)),
        2: withRequesterKey(path.join(root, `work-${n++}`)),
      };
      const steps = { 1: {} as Record<Step, Timing>, 2: {} as Record<Step, Timing> };
      const lentNow = {} as Record<Step, number>;
      for (const step of STEPS) {
        lentNow[step] = await parallelismNow();
        for (const workers of [1, 2] as const) {
          execFileSync("sync");
          steps[workers][step] = await timeCommand(
            process.execPath,
            [main, ...stepArgs(step, works[workers], raw, catalog, workers)],
            { env, threads: true },
          );
        }
      }
      lent.push(lentNow);
      gains.push(median(STEPS.map((step) => lentNow[step])));
      for (const workers of [1, 2] as const) {
        chains[workers].push({
          steps: steps[workers],
          total: STEPS.reduce((sum, s) => sum + steps[workers][s].seconds, 0),
        });
        outputs.push(works[workers]);
      }
      for (const workers of [1, 2] as const) {
        const work = withRequesterKey(path.join(root, `run-${n++}`));
        execFileSync("sync");
        runs[workers].push(
          await timeCommand(
            process.execPath,
            [
              main,
              "run",
              "--raw_s3_logs_folder_path",
              raw,
              "--work_folder",
              work,
              "--catalog",
              catalog,
              "--no-report",
              "--quiet",
              "--maximum_number_of_workers",
              String(workers),
              "--no-ip_key_warning",
            ],
            { env },
          ),
        );
      }
    }
    const same = sameOutputs(outputs[0], outputs[1]);
    console.log(
      `31 days: ${mb(rawBytes)} of raw logs, ${rows.toLocaleString("en-US")} rows; ${ROUNDS} rounds, each step on one thread then two; ` +
        `a two-thread loop gained ${lent.map((l) => STEPS.map((s) => l[s].toFixed(2)).join("/")).join(", ")}x before each step's pair (reduce/bin/map)`,
    );
    const bestOf = (workers: 1 | 2, step: Step) =>
      chains[workers].reduce(
        (a, c) => (c.steps[step].seconds < a.seconds ? c.steps[step] : a),
        chains[workers][0].steps[step],
      );
    // The CPU-time model: what each thread did on a CPU, which the other users of the machine do
    // not change as they change wall time. With cores free, a run takes about its busiest thread's
    // time; the main thread's surplus over the worker is the part that runs on one thread only.
    const cpuOf: Record<Step, CpuModel | null> = { reduce: null, bin: null, map: null };
    for (const step of STEPS) {
      const model = cpuModel(
        chains[1].map((c) => c.steps[step].threads ?? null),
        chains[2].map((c) => c.steps[step].threads ?? null),
      );
      cpuOf[step] = model;
      if (model === null) continue;
      console.log(
        `  ${step}, CPU time (median of ${ROUNDS} rounds): one thread's main ${model.one.toFixed(2)} s; two threads' main ` +
          `${model.main.toFixed(2)} s, worker ${model.worker.toFixed(2)} s: on two free cores ${ratio(model.gain)}; ` +
          `${model.serial.toFixed(2)} s on the main thread alone`,
      );
    }
    const projected: Record<Step, number> = { reduce: 0, bin: 0, map: 0 };
    // The same if the one-thread share were a fixed cost (start-up, catalog, publishing) that does not
    // grow with the data: the truth lies between the two.
    const projectedFixed: Record<Step, number> = { reduce: 0, bin: 0, map: 0 };
    const serialOf: Record<Step, number> = { reduce: 1, bin: 1, map: 1 };
    for (const step of STEPS) {
      const one = bestOf(1, step);
      const two = bestOf(2, step);
      const range = (w: 1 | 2) => chains[w].map((c) => c.steps[step].seconds.toFixed(2)).join(", ");
      console.log(line(`${step}, 1 thread`, one.seconds, one.peakBytes, ` (${range(1)})`));
      console.log(
        line(
          `${step}, 2 threads`,
          two.seconds,
          two.peakBytes,
          ` (${range(2)}): ${ratio(one.seconds / two.seconds)}`,
        ),
      );
      // Amdahl's law, round by round: with the loop's gain L the machine lent a second core, a step
      // whose share s runs on one thread only gains g = 1 / (s + (1 - s) / L); so s = (1/g - 1/L) / (1 - 1/L).
      const shares: number[] = [];
      chains[1].forEach((c, round) => {
        const gain = c.steps[step].seconds / chains[2][round].steps[step].seconds;
        const free = lent[round][step];
        if (free > 1.1) shares.push(Math.min(1, Math.max(0, (1 / gain - 1 / free) / (1 - 1 / free))));
      });
      // No round lent a second core: nothing to tell the step's share from.
      serialOf[step] = shares.length === 0 ? Number.NaN : median(shares);
      const scale = step === "reduce" ? DANDI_RAW_BYTES / rawBytes : DANDI_ROWS / rows;
      // The serial share from the CPU-time model where the threads were sampled, else from the loop.
      const cpu = cpuOf[step];
      const share = cpu === null ? serialOf[step] : Math.min(1, cpu.serial / cpu.one);
      projected[step] = one.seconds * scale * (share + (1 - share) / CORES);
      projectedFixed[step] = one.seconds * (share + (scale * (1 - share)) / CORES);
      const rate =
        step === "reduce"
          ? `${mb(rawBytes / one.seconds)}/s`
          : `${Math.round(rows / one.seconds).toLocaleString("en-US")} rows/s`;
      console.log(
        `  one core: ${rate}; share on one thread only ${
          Number.isNaN(serialOf[step])
            ? "not measurable now (no round lent a second core: the loop gained at most 1.1x)"
            : `${(serialOf[step] * 100).toFixed(0)}% (median of the rounds, each read against the loop's gain then)`
        }`,
      );
    }
    const total = (w: 1 | 2) => Math.min(...chains[w].map((c) => c.total));
    const chainGain = total(1) / total(2);
    const rounds = chains[1]
      .map((c, round) => `${ratio(c.total / chains[2][round].total)} (loop ${gains[round].toFixed(2)}x)`)
      .join(", ");
    console.log(
      line("reduce + bin + map, 1 thread", total(1), null) +
        `\n${line("reduce + bin + map, 2 threads", total(2), null)}: ${ratio(chainGain)} (target at least 1.6x: ${chainGain >= 1.6 ? "met" : "MISSED"}); round by round ${rounds}`,
    );
    const freeCore =
      STEPS.reduce((sum, step) => sum + bestOf(1, step).seconds, 0) /
      STEPS.reduce(
        (sum, step) => sum + bestOf(1, step).seconds * (serialOf[step] + (1 - serialOf[step]) / 2),
        0,
      );
    if (!Number.isNaN(freeCore))
      console.log(
        `  with a second core free (the loop at 2x), those shares would give the chain ${ratio(freeCore)}`,
      );
    const models = STEPS.map((step) => cpuOf[step]);
    if (models.every((m) => m !== null)) {
      const one = models.reduce((sum, m) => sum + m!.one, 0);
      const two = models.reduce((sum, m) => sum + Math.max(m!.main, m!.worker), 0);
      console.log(
        `  in CPU time, the chain on two free cores: ${ratio(one / two)} (${one.toFixed(2)} s on one thread, the busiest thread of each step ${two.toFixed(2)} s)`,
      );
    }
    const runBest = (w: 1 | 2) => runs[w].reduce((a, t) => (t.seconds < a.seconds ? t : a));
    const runGain = runBest(1).seconds / runBest(2).seconds;
    console.log(
      line(
        "run --no-report, 1 thread",
        runBest(1).seconds,
        runBest(1).peakBytes,
        ` (${runs[1].map((t) => t.seconds.toFixed(2)).join(", ")})`,
      ),
    );
    console.log(
      line(
        "run --no-report, 2 threads",
        runBest(2).seconds,
        runBest(2).peakBytes,
        ` (${runs[2].map((t) => t.seconds.toFixed(2)).join(", ")}): ${ratio(runGain)}`,
      ),
    );
    const peaks = STEPS.map((step) => bestOf(2, step).peakBytes ?? 0);
    console.log(
      `  peak memory per thread with two threads: ${peaks.map((p, i) => `${STEPS[i]} ${mb(p / 2)}`).join(", ")} (target under 200 MB)`,
    );
    console.log(`  outputs of one and two threads byte for byte the same: ${same ? "yes" : "NO"}`);
    const hours = (seconds: number) => `${(seconds / 3600).toFixed(2)} h`;
    const sum = projected.reduce + projected.bin + projected.map;
    if (Number.isNaN(sum)) {
      console.log(
        `projected for DANDI's history on ${CORES} cores: not measurable now (no second core lent)`,
      );
      return;
    }
    console.log(
      `projected for DANDI's history (6 TB of raw logs, 2.7 B rows) on ${CORES} cores: reduce ${hours(projected.reduce)}, ` +
        `bin ${hours(projected.bin)}, map ${hours(projected.map)}; ${hours(sum)} in all (from one core's rates, each step's serial share in CPU time, data in proportion)`,
    );
    const fixedSum = projectedFixed.reduce + projectedFixed.bin + projectedFixed.map;
    console.log(
      `  that is if each step's share on one thread grows with the data (an upper bound); if it stays what it is here: reduce ${hours(projectedFixed.reduce)}, ` +
        `bin ${hours(projectedFixed.bin)}, map ${hours(projectedFixed.map)}; ${hours(fixedSum)} in all (a lower bound)`,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

interface CpuModel {
  /** The main thread's CPU seconds with one thread. */
  one: number;
  /** With two: the main thread's and the busiest other thread's (the worker). */
  main: number;
  worker: number;
  /** `one` over the busiest of the two: the gain with two cores free. */
  gain: number;
  /** The main thread's surplus over the worker: work only it does (start, plan, adding up, publishing). */
  serial: number;
  /** The work shared out, as two threads did it (each thread's share and its own setup). */
  parallel: number;
}

function cpuModel(one: (ThreadTimes | null)[], two: (ThreadTimes | null)[]): CpuModel | null {
  const ones = one.filter((t): t is ThreadTimes => t !== null);
  const twos = two.filter((t): t is ThreadTimes => t !== null && t.others.length > 0);
  if (ones.length === 0 || twos.length === 0) return null;
  const oneMain = median(ones.map((t) => t.main));
  const main = median(twos.map((t) => t.main));
  const worker = median(twos.map((t) => t.others[0]));
  const serial = Math.max(0, main - worker);
  return {
    one: oneMain,
    main,
    worker,
    gain: oneMain / Math.max(main, worker),
    serial,
    parallel: 2 * Math.min(main, worker),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A requester key for every work folder, so that their requester sets, hashed under it, compare too. */
const REQUESTER_KEY = "4f1c2d3e5a6b7c8d9e0f11223344556677889900aabbccddeeff001122334455";

function withRequesterKey(work: string): string {
  fs.mkdirSync(path.join(work, "mapped", ".map_state"), { recursive: true });
  fs.writeFileSync(path.join(work, "mapped", ".map_state", "requester_key"), REQUESTER_KEY, { mode: 0o600 });
  return work;
}

/** Whether two work folders hold the same files, byte for byte (map's journal names its own folder). */
function sameOutputs(a: string, b: string): boolean {
  const list = (root: string) =>
    fs
      .readdirSync(root, { recursive: true })
      .map(String)
      .filter((name) => fs.statSync(path.join(root, name)).isFile())
      .sort();
  const files = list(a);
  if (files.join("\n") !== list(b).join("\n")) return false;
  const read = (root: string, name: string) =>
    fs.readFileSync(path.join(root, name), "latin1").replaceAll(root, "");
  return files.every((name) => read(a, name) === read(b, name));
}
