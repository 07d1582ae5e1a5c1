import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateCatalog } from "../src/generate/catalog.ts";
import { generateRawLogs, IpKey, LogReducer } from "../src/index.ts";
import { CACHE, cli, mb, ratio, tempFolder } from "./common.ts";

/**
 * What encrypting IP addresses at rest costs each step: reduce (which encrypts each distinct
 * address once and looks the rest up), bin (which moves tokens as it moves addresses) and map (which
 * decrypts each distinct token once before its region lookup), each run in clear and with a key,
 * alternately, on the same files, best of RUNS. The keyed commands include deriving the key from
 * the password (PBKDF2, once a process), shown on its own line; so is the reducer's own loop, in
 * this process, without start-up or disk. Besides wall time, each command's CPU time (user and
 * system, from GNU time): on a shared machine it swings less than wall time.
 */
const RUNS = 5;
const DAYS = 3;
const BYTES_PER_DAY = 60_000_000;
/** Distinct addresses: a busy day of the archive sees tens of thousands. */
const IPS = 40_000;
const PASSWORD = "bench-Key-0123456789-abcdefgh";

function ensureInputs(): { raw: string; catalog: string } {
  const folder = path.join(CACHE, `ip-key-${DAYS}x${BYTES_PER_DAY}`);
  const raw = path.join(folder, "raw");
  const catalog = path.join(folder, "catalog.json");
  const done = path.join(folder, ".complete");
  if (!fs.existsSync(done)) {
    fs.rmSync(folder, { recursive: true, force: true });
    process.stdout.write(`generating ${DAYS} days of ${mb(BYTES_PER_DAY)} (cached for later runs)...\n`);
    const generated = generateRawLogs(raw, {
      seed: 1414,
      days: DAYS,
      bytesPerDay: BYTES_PER_DAY,
      ipCount: IPS,
      blobCount: 3000,
      zarrCount: 100,
    });
    fs.writeFileSync(
      catalog,
      JSON.stringify(generateCatalog(generated.assets, { seed: 1414, dandisets: 50 })),
    );
    fs.writeFileSync(done, "");
  }
  return { raw, catalog };
}

const leftovers: string[] = [];
function scratch(label: string): string {
  const folder = tempFolder(label);
  leftovers.push(folder);
  return folder;
}

type Mode = "clear" | "keyed";

function envOf(mode: Mode): Record<string, string> {
  const env: Record<string, string> = { DANDI_S3_LOG_PARSER_HOME: scratch("home") };
  if (mode === "keyed") env.DANDI_S3_LOG_PARSER_IP_KEY = PASSWORD;
  return env;
}

interface Cost {
  seconds: number;
  cpuSeconds: number;
}

/** Runs a command under GNU time: its wall time and its CPU time (user + system). */
function timeCommand(command: string, args: string[], env: Record<string, string>): Promise<Cost> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn("/usr/bin/time", ["-f", "%U %S", command, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0)
        return reject(new Error(`${args.join(" ")} exited with ${code}: ${stderr.slice(-2000)}`));
      const [user, system] = (stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
      resolve({ seconds, cpuSeconds: user + system });
    });
  });
}

/** One chain in `mode`, each step timed; its folders are kept for the next step. */
async function chain(
  raw: string,
  catalog: string,
  mode: Mode,
): Promise<Record<"reduce" | "bin" | "map", Cost>> {
  const work = scratch(`work-${mode}`);
  const env = envOf(mode);
  const step = (args: string[]) => {
    execFileSync("sync");
    return timeCommand(process.execPath, [cli("main"), ...args, "--quiet"], env);
  };
  const reduced = path.join(work, "reduced");
  const binned = path.join(work, "binned");
  const reduce = await step([
    "reduce",
    "--raw_s3_logs_folder_path",
    raw,
    "--reduced_s3_logs_folder_path",
    reduced,
  ]);
  const bin = await step([
    "bin",
    "--reduced_s3_logs_folder_path",
    reduced,
    "--binned_s3_logs_folder_path",
    binned,
  ]);
  const map = await step([
    "map",
    "--binned_s3_logs_folder_path",
    binned,
    "--mapped_s3_logs_folder_path",
    path.join(work, "mapped"),
    "--catalog",
    catalog,
  ]);
  return { reduce, bin, map };
}

/** The reducer's loop alone over the day files, in memory: the cost of the tokens without start-up. */
function reducerSeconds(raw: string, key: IpKey | null): number {
  const files = fs
    .readdirSync(raw, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".log"))
    .map((name) => fs.readFileSync(path.join(raw, name)));
  const started = process.hrtime.bigint();
  for (const bytes of files) {
    const reducer = new LogReducer(
      { output: () => {}, malformed: () => {} },
      { ipKeyBytes: key?.bytes ?? null },
    );
    for (let at = 0; at < bytes.length; at += 1 << 20) reducer.write(bytes.subarray(at, at + (1 << 20)));
    reducer.end();
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function run(): Promise<void> {
  const { raw, catalog } = ensureInputs();
  const bytes = fs
    .readdirSync(raw, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".log"))
    .reduce((sum, name) => sum + fs.statSync(path.join(raw, name)).size, 0);
  try {
    const derivation = Date.now();
    const key = IpKey.fromPassword(PASSWORD);
    const deriveSeconds = (Date.now() - derivation) / 1000;
    const bestOf: Record<Mode, Record<string, number>> = { clear: {}, keyed: {} };
    const bestCpu: Record<Mode, Record<string, number>> = { clear: {}, keyed: {} };
    const loops: Record<Mode, number> = { clear: Number.POSITIVE_INFINITY, keyed: Number.POSITIVE_INFINITY };
    for (let i = 0; i < RUNS; i++) {
      // Alternated, so that a busy moment of the machine weighs on both.
      for (const mode of i % 2 === 0 ? (["clear", "keyed"] as const) : (["keyed", "clear"] as const)) {
        const timings = await chain(raw, catalog, mode);
        for (const [stepName, timing] of Object.entries(timings)) {
          const least = (kept: number | undefined, value: number) =>
            Math.min(kept ?? Number.POSITIVE_INFINITY, value);
          bestOf[mode][stepName] = least(bestOf[mode][stepName], timing.seconds);
          bestCpu[mode][stepName] = least(bestCpu[mode][stepName], timing.cpuSeconds);
        }
        loops[mode] = Math.min(loops[mode], reducerSeconds(raw, mode === "keyed" ? key : null));
      }
    }
    console.log(
      `${DAYS} raw days, ${mb(bytes)}, ${IPS.toLocaleString("en-US")} distinct addresses; best of ${RUNS}`,
    );
    console.log(`${"step".padEnd(40)} ${"clear".padStart(8)} ${"keyed".padStart(8)}  keyed/clear`);
    const line = (label: string, clear: number, keyed: number) =>
      console.log(
        `${label.padEnd(40)} ${clear.toFixed(2).padStart(6)} s ${keyed.toFixed(2).padStart(6)} s  ${ratio(keyed / clear)}`,
      );
    for (const stepName of ["reduce", "bin", "map"]) {
      line(`${stepName} (whole command), wall`, bestOf.clear[stepName], bestOf.keyed[stepName]);
      line(`${stepName} (whole command), CPU`, bestCpu.clear[stepName], bestCpu.keyed[stepName]);
    }
    line("reducer loop, in memory (no start-up)", loops.clear, loops.keyed);
    console.log(
      `${"key derivation (PBKDF2, once a command)".padEnd(40)} ${deriveSeconds.toFixed(2).padStart(15)} s`,
    );
  } finally {
    for (const folder of leftovers) fs.rmSync(folder, { recursive: true, force: true });
  }
}
