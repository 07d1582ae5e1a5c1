import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import { binnedData, readTree, tempFolder } from "./helpers.ts";
import { type GenerateReducedDaysOptions, generateReducedDays } from "./support/reduced-days.ts";

/**
 * What binning must give, computed the plain way: every row of every day (days in path order, rows
 * in file order), grouped by key, stably sorted by timestamp; the status kept last when rows have one.
 */
function referenceBinning(reducedFolder: string, days: readonly string[]): Map<string, string> {
  const objects = new Map<string, { timestamp: string; line: string }[]>();
  let header = "timestamp\tbytes_sent\tip_address\n";
  for (const day of [...days].sort()) {
    const lines = fs.readFileSync(path.join(reducedFolder, day), "latin1").split("\n").slice(1);
    for (const line of lines) {
      if (line === "") continue;
      const [timestamp, ip, key, bytes, status] = line.split("\t");
      const rows = objects.get(key) ?? [];
      rows.push({
        timestamp,
        line: `${timestamp}\t${bytes}\t${ip}${status === undefined ? "" : `\t${status}`}\n`,
      });
      objects.set(key, rows);
      if (status !== undefined) header = "timestamp\tbytes_sent\tip_address\tstatus\n";
    }
  }
  const files = new Map<string, string>();
  for (const [key, rows] of objects) {
    rows.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    files.set(`${key}.tsv`, `${header}${rows.map((r) => r.line).join("")}`);
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
}

function objectFiles(folder: string): Map<string, string> {
  return new Map([...readTree(folder)].filter(([name]) => !name.startsWith(".")));
}

/** Copies the chosen day files of `from` into a new reduced folder, as if only they existed yet. */
function reducedWith(from: string, days: readonly string[], into: string): string {
  for (const day of days) {
    fs.mkdirSync(path.dirname(path.join(into, day)), { recursive: true });
    fs.copyFileSync(path.join(from, day), path.join(into, day));
  }
  return into;
}

const MB = 1024 * 1024;

interface Scenario {
  name: string;
  data: GenerateReducedDaysOptions;
  /** Which days are present at each run (indices into the generated days), and the run's options. */
  runs: { days: number[]; fileLimit?: number; bufferBytes?: number }[];
  /** Passes over batches the runs must make in all, when the scenario is about passes. */
  passes?: number;
}

const SPREAD: GenerateReducedDaysOptions = {
  seed: 3,
  days: 4,
  rowsPerDay: 4000,
  blobCount: 120,
  zarrCount: 12,
};
const TIES: GenerateReducedDaysOptions = {
  seed: 5,
  days: 4,
  rowsPerDay: 1500,
  blobCount: 3,
  zarrCount: 1,
  ipCount: 40,
};

const SCENARIOS: Scenario[] = [
  { name: "days 1-2, then day 3 (and 4)", data: SPREAD, runs: [{ days: [0, 1] }, { days: [0, 1, 2, 3] }] },
  {
    name: "one day per run (--file_limit 1)",
    data: SPREAD,
    runs: [1, 2, 3, 4].map(() => ({ days: [0, 1, 2, 3], fileLimit: 1 })),
  },
  {
    name: "1 MB buffer: days bigger than the buffer, read in two passes each",
    data: { ...SPREAD, days: 3, rowsPerDay: 14_000 },
    runs: [{ days: [0, 1, 2], bufferBytes: 1 * MB }],
    passes: 6,
  },
  {
    name: "rows without the status (the original format), backfilled",
    data: { ...SPREAD, status: false },
    runs: [{ days: [0, 3] }, { days: [0, 1, 2, 3] }],
  },
  {
    name: "backfill: days 1 and 4, then 2 and 3",
    data: SPREAD,
    runs: [{ days: [0, 3] }, { days: [0, 1, 2, 3] }],
  },
  {
    name: "same-second ties across days, day by day",
    data: TIES,
    runs: [0, 1, 2, 3].map((d) => ({ days: [0, 1, 2, 3].slice(0, d + 1) })),
  },
  {
    name: "same-second ties, backfilled in reverse",
    data: TIES,
    runs: [3, 2, 1, 0].map((d) => ({ days: [0, 1, 2, 3].slice(d) })),
  },
  {
    name: "same-second ties, every other day first",
    data: TIES,
    runs: [{ days: [0, 2] }, { days: [0, 1, 2, 3] }],
  },
];

for (const scenario of SCENARIOS) {
  test(`incremental equals all at once: ${scenario.name}`, async () => {
    const root = tempFolder("bin-incremental");
    const all = path.join(root, "all-days");
    const days = generateReducedDays(all, scenario.data);

    const atOnce = path.join(root, "binned-at-once");
    await binAllReducedS3LogsByObjectKey({ reducedFolder: all, binnedFolder: atOnce });
    const expected = referenceBinning(all, days);
    assert.deepEqual(objectFiles(atOnce), expected, "all at once differs from the plain reference");

    const binned = path.join(root, "binned-in-steps");
    let ambiguous = 0;
    let passes = 0;
    for (const [i, run] of scenario.runs.entries()) {
      const present = reducedWith(
        all,
        run.days.map((d) => days[d]),
        path.join(root, `reduced-${i}`),
      );
      const summary = await binAllReducedS3LogsByObjectKey({
        reducedFolder: present,
        binnedFolder: binned,
        fileLimit: run.fileLimit,
        bufferBytes: run.bufferBytes,
      });
      ambiguous += summary.ambiguousTies;
      passes += summary.passes;
    }
    assert.equal(ambiguous, 0);
    if (scenario.passes !== undefined) assert.equal(passes, scenario.passes);
    assert.deepEqual(binnedData(binned), binnedData(atOnce), "binning in steps differs from binning at once");
  });
}

test("running twice changes nothing", async () => {
  const root = tempFolder("bin-twice");
  const reduced = path.join(root, "reduced");
  generateReducedDays(reduced, { ...SPREAD, days: 2 });
  const binned = path.join(root, "binned");
  const first = await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
  const before = readTree(binned);
  const second = await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
  assert.deepEqual(readTree(binned), before);
  assert.equal(first.daysBinned, 2);
  assert.equal(second.daysBinned, 0);
  assert.equal(second.daysAlreadyBinned, 2);
  assert.equal(second.objectsWritten, 0);
});
