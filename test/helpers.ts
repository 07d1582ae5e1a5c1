import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The original tool's fixtures, kept in the repository with their licence (see its README.md). */
export const FIXTURES = path.join(ROOT, "test", "fixtures", "upstream");

const made: string[] = [];
after(() => {
  for (const folder of made) fs.rmSync(folder, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test file ends. */
export function tempFolder(label = "test"): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `dslp-${label}-`));
  made.push(folder);
  return folder;
}

// Tests never touch the user's settings folder.
process.env.DANDI_S3_LOG_PARSER_HOME = tempFolder("home");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built command (`dist/cli/<script>.cjs`) the way a user would. */
export function runCli(script: string, args: string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [path.join(ROOT, "dist", "cli", `${script}.cjs`), ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The arguments of a quiet `reduce` from `raw` into `reduced`, then `more`. */
export function reduceArgs(raw: string, reduced: string, ...more: string[]): string[] {
  return [
    "reduce",
    "--raw_s3_logs_folder_path",
    raw,
    "--reduced_s3_logs_folder_path",
    reduced,
    "--quiet",
    ...more,
  ];
}

/** The arguments of a `run` of `raw` in the work folder `work`, then `more` (the flags each test is about). */
export function runArgs(raw: string, work: string, ...more: string[]): string[] {
  return ["run", "--raw_s3_logs_folder_path", raw, "--work_folder", work, ...more];
}

/** Starts a built command without waiting, for tests that interrupt it. */
export function startCli(script: string, args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [path.join(ROOT, "dist", "cli", `${script}.cjs`), ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Runs a built command to its end without blocking this process, for tests whose own servers (an S3
 * stand-in, say) must answer it.
 */
export async function runCliAsync(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const child = startCli(script, args, env);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}

/**
 * Polls until `reached()` holds, for aiming a kill at a moment of a child's run. Rejects, naming the
 * moment, when the child exits first: a kill then would land on nothing, and the loop would spin forever.
 */
export async function waitUntil(child: ChildProcess, reached: () => boolean, moment: string): Promise<void> {
  while (!reached()) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the run ended (code ${child.exitCode}, ${child.signalCode}) before ${moment}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Whether the child is still running, so that a kill sent now lands mid-run. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Every file below `folder` (relative path -> content), for comparing whole output trees. */
export function readTree(folder: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!fs.existsSync(folder)) return files;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    // Reduce's records of its inputs (.reduced_days, .reduced_objects) hold their sizes and mtimes,
    // not output; tests that look at them read them by name.
    if (!entry.isFile() || entry.name.startsWith(".reduced_")) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(folder, full).split(path.sep).join("/"), fs.readFileSync(full, "latin1"));
  }
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * What a binned folder holds, less how it got there: batch numbers, bin's change lists and its size
 * index (which names its batch) depend on how the days were split into runs and batches; the object
 * files and the days binned must not.
 */
export function binnedData(folder: string): Map<string, string> {
  const tree = new Map(
    [...readTree(folder)].filter(([name]) => !name.startsWith(".bin_changes/") && name !== ".bin_sizes"),
  );
  const journal = tree.get(".binned_days");
  // Less its sealing first line (a checksum over the batch numbers) and each day's batch.
  if (journal !== undefined)
    tree.set(".binned_days", journal.replace(/^#.*\n/, "").replace(/\t[^\t\n]*(\n|$)/g, "$1"));
  return tree;
}
