import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import { exitCodeOf } from "../src/cli/run-command.ts";
import { binnedData, isRunning, runCli, startCli, tempFolder } from "./helpers.ts";
import { generateReducedDays } from "./support/reduced-days.ts";
import { sealedRecords } from "./support/undo-log-probe.ts";

const SCRIPT = "bin-all-reduced-s3-logs-by-object-key";
const UNDO_LOG = ".bin_undo_log";
const JOURNAL = ".binned_days";
const MB = 1024 * 1024;

/** Starts bin and kills it once object files are changing; false when the batch finished first. */
function killMidBatch(args: string[], binned: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = startCli(SCRIPT, args);
    const timer = setInterval(() => {
      if (isRunning(child) && sealedRecords(path.join(binned, UNDO_LOG)) >= 2) child.kill("SIGKILL");
    }, 1);
    child.on("exit", () => {
      clearInterval(timer);
      resolve(child.signalCode === "SIGKILL");
    });
  });
}

describe("damaged bin state is refused or repaired, never used", () => {
  let root = "";
  let reduced = "";
  let killed = "";
  /** The first two days binned by an uninterrupted run. */
  let twoDays = "";
  let expected = new Map<string, string>();
  const args = (binned: string) => [
    "--reduced_s3_logs_folder_path",
    reduced,
    "--binned_s3_logs_folder_path",
    binned,
    "--maximum_buffer_size_in_mb",
    "1",
    "--quiet",
  ];

  before(async () => {
    root = tempFolder("bin-damage");
    reduced = path.join(root, "reduced");
    generateReducedDays(reduced, { seed: 5, days: 3, rowsPerDay: 8_000, blobCount: 500, zarrCount: 40 });
    const reference = path.join(root, "reference");
    assert.equal(runCli(SCRIPT, args(reference)).code, 0);
    expected = binnedData(reference);
    // The first day binned, then a run killed while the second day's batch changes object files.
    for (let attempt = 0; attempt < 5 && killed === ""; attempt++) {
      const binned = path.join(root, `killed-${attempt}`);
      assert.equal(runCli(SCRIPT, [...args(binned), "--file_limit", "1"]).code, 0);
      if (await killMidBatch(args(binned), binned)) killed = binned;
    }
    assert.notEqual(killed, "", "no kill landed while a batch was changing object files");
    twoDays = path.join(root, "two-days");
    assert.equal(runCli(SCRIPT, [...args(twoDays), "--file_limit", "2"]).code, 0);
  });

  /** A copy of the folder with two days binned, for damaging. */
  function copyOfTwoDays(label: string): string {
    const binned = path.join(root, label);
    fs.cpSync(twoDays, binned, { recursive: true });
    return binned;
  }

  /**
   * Bins again, in this process (a command per case would take minutes on a busy machine): the
   * exit code the command would give, and its message. One case runs the command itself.
   */
  async function binAgain(binned: string, command = false): Promise<{ code: number | null; stderr: string }> {
    if (command) return runCli(SCRIPT, args(binned));
    try {
      await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned, bufferBytes: MB });
      return { code: 0, stderr: "" };
    } catch (error) {
      return { code: exitCodeOf(error), stderr: (error as Error).message };
    }
  }

  /** A copy of the killed run's folder, damaged by `damage`, then binned again. */
  async function rerunAfter(label: string, damage: (binned: string) => void, command = false) {
    const binned = path.join(root, label);
    fs.cpSync(killed, binned, { recursive: true });
    damage(binned);
    return { binned, result: await binAgain(binned, command) };
  }

  test("untouched, the killed batch is undone and the rerun equals an uninterrupted run", async () => {
    const { binned, result } = await rerunAfter("intact", () => {});
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(binnedData(binned), expected);
  });

  const undoLogDamage: [string, (file: string) => void, RegExp][] = [
    ["deleted", (file) => fs.rmSync(file), /is missing/],
    ["moved away", (file) => fs.renameSync(file, `${file}.aside`), /is missing/],
    ["emptied", (file) => fs.truncateSync(file, 0), /is empty/],
    ["cut in its first bytes", (file) => fs.truncateSync(file, 12), /cut short in its first bytes/],
    [
      "cut short",
      (file) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2)),
      /ends (inside|before) record/,
    ],
    [
      "overwritten",
      (file) => fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size, 0x41)),
      /does not start with BINUNDO2/,
    ],
    [
      "garbled in a record",
      (file) => {
        const bytes = fs.readFileSync(file);
        bytes[bytes.length - 3] ^= 0xff;
        fs.writeFileSync(file, bytes);
      },
      /does not match its checksum/,
    ],
  ];
  for (const [how, damage, message] of undoLogDamage) {
    test(`an undo log ${how} after the kill is refused, naming it, with exit code 1`, async () => {
      const { binned, result } = await rerunAfter(
        `undo-${how.replaceAll(" ", "-")}`,
        (b) => damage(path.join(b, UNDO_LOG)),
        how === "deleted",
      );
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, message);
      assert.ok(result.stderr.includes(path.join(binned, UNDO_LOG)), result.stderr);
      assert.match(result.stderr, /restore the log from a backup and rerun, or bin into a new, empty folder/);
    });
  }

  const journalDamage: [string, (text: string) => string][] = [
    ["its last line removed", (text) => text.replace(/[^\n]*\n$/, "")],
    [
      "a line added for a day not binned",
      (text) => `${text}2024/01/03.tsv\t8000\t2024-01-02T23:59:00\t2024-01-03T23:59:59\t1\n`,
    ],
    ["a row count changed", (text) => text.replace(/\t8000\t/, "\t7000\t")],
  ];
  for (const [how, damage] of journalDamage) {
    test(`a journal with ${how} is refused, naming it, with exit code 1`, async () => {
      const binned = copyOfTwoDays(`journal-${how.replaceAll(" ", "-")}`);
      const file = path.join(binned, JOURNAL);
      fs.writeFileSync(file, damage(fs.readFileSync(file, "utf8")));
      const result = await binAgain(binned);
      assert.equal(result.code, 1, result.stderr);
      assert.ok(result.stderr.includes(`${file} does not match its checksum`), result.stderr);
    });
  }

  const objectDamage: [string, (file: string, binned: string) => void, RegExp][] = [
    ["deleted", (file) => fs.rmSync(file), /is missing, but bin left it \d+ bytes/],
    [
      "deleted with its folder",
      (file, binned) =>
        fs.rmSync(path.join(binned, path.relative(binned, file).split(path.sep).slice(0, 2).join("/")), {
          recursive: true,
        }),
      /is missing, but bin left it/,
    ],
    [
      "cut mid-row",
      (file) => fs.truncateSync(file, fs.statSync(file).size - 5),
      /is \d+ bytes, but bin left it \d+ bytes/,
    ],
    [
      "extended",
      (file) => fs.appendFileSync(file, "2024-01-01T00:00:00\t1\t10.0.0.1\n"),
      /is \d+ bytes, but bin left it/,
    ],
  ];
  for (const [how, damage, message] of objectDamage) {
    test(`an object file ${how} since bin left it is refused, naming it, with exit code 1`, async () => {
      const binned = copyOfTwoDays(`object-${how.replaceAll(" ", "-")}`);
      const name = [...binnedData(binned).keys()].find((f) => f.startsWith("blobs/")) as string;
      const file = path.join(binned, name);
      damage(file, binned);
      const result = await binAgain(binned);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, message);
      assert.ok(result.stderr.includes(file), result.stderr);
    });
  }

  test("a journal written before the seal is still read, and sealed by the next commit", async () => {
    const binned = copyOfTwoDays("journal-old");
    const file = path.join(binned, JOURNAL);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^#.*\n/, ""));
    const result = await binAgain(binned);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(binnedData(binned), expected);
    assert.match(fs.readFileSync(file, "utf8"), /^#binned_days\tv2\t[0-9a-f]{8}\t-\n/);
  });
});
