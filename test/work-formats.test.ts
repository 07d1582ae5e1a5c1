import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import {
  BINNED_FORMAT_FILE,
  binnedFolderHasStatus,
  REDUCED_FORMAT_FILE,
  reducedFolderFormat,
} from "../src/formats/work-formats.ts";
import { BINNED_STATUS_HEADER, REDUCED_HEADER } from "../src/io/table-headers.ts";
import { checkBinnedHeader } from "../src/map/binned-rows.ts";
import { IpKey } from "../src/privacy/ip-key.ts";
import { IpTokenWriter, isIpToken } from "../src/privacy/ip-token.ts";
import { rekeyWorkFolder } from "../src/privacy/rekey.ts";
import { reduceAllDandiRawS3Logs } from "../src/reduce/reduce-all.ts";
import { FIXTURES, readTree, reduceArgs, runCli, tempFolder } from "./helpers.ts";

// Rows carry their HTTP status from reduce through bin; folders of the original format (no status)
// are still read and binned as the original did, and never mixed with the new one.

const BINNING = path.join(FIXTURES, "binning", "binning_example_0");
const ORIGINAL_DAY = fs.readFileSync(path.join(BINNING, "reduced_logs", "2020", "01", "01.tsv"), "latin1");
/** The statuses of the original day's three rows, by object key (as its raw lines had them). */
const STATUS_OF_KEY: Record<string, string> = {
  "blobs/11e/c89/11ec8933-1456-4942-922b-94e5878bb991": "206",
  "zarr/cb65c877-882b-4554-8fa1-8f4e986e13a6": "200",
  "blobs/a7b/032/a7b032b8-1e31-429f-975f-52a28cec6629": "200",
};

/** The original's reduced day as reduce writes it now: each row with its status, under the new header. */
function withStatus(text: string): string {
  const [, ...rows] = text.trimEnd().split("\n");
  return `${REDUCED_HEADER}${rows.map((row) => `${row}\t${STATUS_OF_KEY[row.split("\t")[2]]}\n`).join("")}`;
}

/** The same day on another date. */
function onDay(text: string, day: string): string {
  return text.replaceAll("2020-01-01T", `2020-01-${day}T`);
}

function writeDay(reduced: string, day: string, text: string): void {
  const file = path.join(reduced, day);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, "latin1");
}

/** Every file and folder below `folder`, dot files included, with the files' content. */
function everything(folder: string): Map<string, string> {
  const all = new Map<string, string>();
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    all.set(path.relative(folder, full), entry.isFile() ? fs.readFileSync(full, "latin1") : "<folder>");
  }
  return new Map([...all].sort(([a], [b]) => (a < b ? -1 : 1)));
}

function objectFiles(binned: string): Map<string, string> {
  return new Map(
    [...readTree(binned)].filter(([name]) => name.startsWith("blobs/") || name.startsWith("zarr/")),
  );
}

/** The original's binned files, as bin writes them from the same rows with their statuses. */
function expectedWithStatus(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [file, text] of readTree(path.join(BINNING, "expected_output"))) {
    const status = STATUS_OF_KEY[file.replace(/\.tsv$/, "")];
    const [, ...rows] = text.trimEnd().split("\n");
    files.set(file, `${BINNED_STATUS_HEADER}${rows.map((row) => `${row}\t${status}\n`).join("")}`);
  }
  return files;
}

describe("reduced folders hold one format", () => {
  test("a new folder is empty; reduce marks it before its first day, with the status in every row", async () => {
    const reduced = path.join(tempFolder("reduced-new"), "reduced");
    assert.equal(reducedFolderFormat(reduced), "empty");
    fs.mkdirSync(reduced);
    assert.equal(reducedFolderFormat(reduced), "empty");
    await reduceAllDandiRawS3Logs({
      rawFolder: path.join(FIXTURES, "reduction", "reduction_example_1", "raw_logs"),
      reducedFolder: reduced,
    });
    assert.equal(reducedFolderFormat(reduced), "status");
    assert.equal(fs.readFileSync(path.join(reduced, REDUCED_FORMAT_FILE), "utf8"), REDUCED_HEADER);
    for (const [file, text] of readTree(reduced)) {
      assert.ok(text.startsWith(REDUCED_HEADER), file);
      for (const row of text.trimEnd().split("\n").slice(1)) assert.match(row, /^([^\t]+\t){4}2\d\d$/, file);
    }
  });

  test("a folder reduced by an earlier version is refused with what to do, and left as it was", async () => {
    const reduced = path.join(tempFolder("reduced-earlier"), "reduced");
    fs.cpSync(path.join(FIXTURES, "reduction", "reduction_example_1", "expected_output"), reduced, {
      recursive: true,
    });
    assert.equal(reducedFolderFormat(reduced), "no-status");
    const before = everything(reduced);
    const raw = path.join(FIXTURES, "reduction", "reduction_example_2", "raw_logs");
    await assert.rejects(reduceAllDandiRawS3Logs({ rawFolder: raw, reducedFolder: reduced }), {
      name: "UsageError",
      code: "ERR_FOLDER_FROM_EARLIER_VERSION",
      message: new RegExp(
        `^\`reducedFolder\` ${reduced} holds days reduced by an earlier version .*no HTTP status, which views and downloads need; ` +
          "rebuild the work folder from the raw logs \\(`dandi-s3-log-parser run --rebuild …`\\), or reduce into a new folder$",
      ),
    });
    const result = runCli("main", reduceArgs(raw, reduced));
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, "");
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0],
      new RegExp(`^error: --reduced_s3_logs_folder_path ${reduced} holds days .*no HTTP status`),
    );
    assert.match(lines[0], /run --rebuild …`\), or reduce into a new folder$/);
    assert.deepEqual(everything(reduced), before, "nothing was written into the refused folder");
  });

  test("rows held for unsettled days count as reduced rows; a damaged marker is an error naming it", () => {
    const reduced = path.join(tempFolder("reduced-pending"), "reduced");
    writeDay(path.join(reduced, ".pending_days"), "2024/05/03_0001.tsv", ORIGINAL_DAY.split("\n")[1]);
    assert.equal(reducedFolderFormat(reduced), "no-status");
    fs.writeFileSync(path.join(reduced, REDUCED_FORMAT_FILE), "timestamp\n");
    assert.throws(() => reducedFolderFormat(reduced), {
      name: "RunError",
      code: "ERR_FORMAT_MARKER_DAMAGED",
      message: new RegExp(`^${path.join(reduced, REDUCED_FORMAT_FILE)} is damaged`),
    });
  });
});

describe("bin keeps the status, and a binned folder one format", () => {
  test("rows with the status keep it as their last column; map reads the header", async () => {
    const root = tempFolder("bin-status");
    const reduced = path.join(root, "reduced");
    writeDay(reduced, "2020/01/01.tsv", withStatus(ORIGINAL_DAY));
    writeDay(reduced, "2022/06/12.tsv", "");
    const binned = path.join(root, "binned");
    assert.equal(binnedFolderHasStatus(binned), null);
    const summary = await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
    assert.equal(summary.rowsBinned, 3);
    assert.deepEqual(objectFiles(binned), expectedWithStatus());
    assert.equal(binnedFolderHasStatus(binned), true);
    assert.equal(fs.readFileSync(path.join(binned, BINNED_FORMAT_FILE), "utf8"), BINNED_STATUS_HEADER);
    // The change list map follows starts each new file's rows after the longer header.
    const changes = readTree(binned).get(".bin_changes/000001.tsv") ?? "";
    for (const line of changes.trimEnd().split("\n").slice(1))
      assert.equal(line.split("\t")[2], String(BINNED_STATUS_HEADER.length), line);
    for (const text of objectFiles(binned).values())
      assert.equal(checkBinnedHeader(Buffer.from(text)), BINNED_STATUS_HEADER.length);

    // A later day is merged into the same files, statuses and all.
    writeDay(reduced, "2020/01/02.tsv", onDay(withStatus(ORIGINAL_DAY), "02"));
    await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
    for (const [file, text] of objectFiles(binned)) {
      const rows = text.trimEnd().split("\n").slice(1);
      assert.equal(rows.length, 2, file);
      for (const row of rows) assert.equal(row.split("\t")[3], STATUS_OF_KEY[file.replace(/\.tsv$/, "")]);
    }
  });

  test("the original's reduced days give its binned files, and its folder gains no marker", async () => {
    const root = tempFolder("bin-original");
    const binned = path.join(root, "binned");
    // An empty day sets no format.
    const empty = path.join(root, "empty-day");
    writeDay(empty, "2022/06/12.tsv", "");
    await binAllReducedS3LogsByObjectKey({ reducedFolder: empty, binnedFolder: binned });
    assert.equal(binnedFolderHasStatus(binned), null);

    await binAllReducedS3LogsByObjectKey({
      reducedFolder: path.join(BINNING, "reduced_logs"),
      binnedFolder: binned,
    });
    assert.deepEqual(objectFiles(binned), readTree(path.join(BINNING, "expected_output")));
    assert.equal(binnedFolderHasStatus(binned), false);
    assert.ok(!fs.existsSync(path.join(binned, BINNED_FORMAT_FILE)));
    // The original tool's binned folder: object files, no journal.
    assert.equal(binnedFolderHasStatus(path.join(BINNING, "expected_output")), false);
  });

  test("a reduced folder that mixes the formats is refused before anything is written", () => {
    const root = tempFolder("bin-mixed");
    const reduced = path.join(root, "reduced");
    writeDay(reduced, "2020/01/01.tsv", ORIGINAL_DAY);
    writeDay(reduced, "2020/01/02.tsv", onDay(withStatus(ORIGINAL_DAY), "02"));
    const binned = path.join(root, "binned");
    const result = runCli("main", [
      "bin",
      "--reduced_s3_logs_folder_path",
      reduced,
      "--binned_s3_logs_folder_path",
      binned,
      "--quiet",
    ]);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.equal(
      lines[0],
      `error: ${path.join(reduced, "2020/01/02.tsv")} has rows with the HTTP status, but ` +
        `${path.join(reduced, "2020/01/01.tsv")}, binned before it in this run, has rows without it, and a binned ` +
        "folder holds one format: bin into a new folder, or rebuild the work folder from the raw logs " +
        "(`dandi-s3-log-parser run --rebuild …`)",
    );
    assert.deepEqual(objectFiles(binned), new Map());
    assert.ok(!fs.existsSync(path.join(binned, BINNED_FORMAT_FILE)));
    assert.equal(binnedFolderHasStatus(binned), null);
  });

  for (const folderHasStatus of [true, false]) {
    test(`a day ${folderHasStatus ? "without" : "with"} the status is refused in a folder binned ${folderHasStatus ? "with" : "without"} it`, async () => {
      const root = tempFolder("bin-other-format");
      const reduced = path.join(root, "reduced");
      const first = folderHasStatus ? withStatus(ORIGINAL_DAY) : ORIGINAL_DAY;
      const next = folderHasStatus ? ORIGINAL_DAY : withStatus(ORIGINAL_DAY);
      writeDay(reduced, "2020/01/01.tsv", first);
      const binned = path.join(root, "binned");
      await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
      assert.equal(binnedFolderHasStatus(binned), folderHasStatus);
      const before = everything(binned);
      writeDay(reduced, "2020/01/02.tsv", onDay(next, "02"));
      await assert.rejects(binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned }), {
        name: "UsageError",
        code: "ERR_BINNED_FORMAT_MIX",
        message:
          `${path.join(reduced, "2020/01/02.tsv")} has rows ${folderHasStatus ? "without" : "with"} the HTTP status, ` +
          `but \`binnedFolder\` ${binned} holds rows ${folderHasStatus ? "with" : "without"} it, and a binned folder holds ` +
          "one format: bin into a new folder, or rebuild the work folder from the raw logs (`dandi-s3-log-parser run --rebuild …`)",
      });
      assert.deepEqual(everything(binned), before, "the refused run changed nothing");
      const cli = runCli("main", [
        "bin",
        "--reduced_s3_logs_folder_path",
        reduced,
        "--binned_s3_logs_folder_path",
        binned,
        "--quiet",
      ]);
      assert.equal(cli.code, 2, cli.stderr);
      assert.match(cli.stderr, new RegExp(`but --binned_s3_logs_folder_path ${binned} holds rows`));
    });
  }

  test("a batch undone before it committed sets no format: the next run may bin the other", async () => {
    const root = tempFolder("bin-undone-format");
    const reduced = path.join(root, "reduced");
    writeDay(reduced, "2020/01/01.tsv", withStatus(ORIGINAL_DAY));
    const binned = path.join(root, "binned");
    const controller = new AbortController();
    await assert.rejects(
      binAllReducedS3LogsByObjectKey({
        reducedFolder: reduced,
        binnedFolder: binned,
        signal: controller.signal,
        // Once the batch is under way: its rows are read, its object files not yet committed.
        onProgress: (progress) => {
          if (progress.bytesDone > 0) controller.abort();
        },
      }),
      { name: "AbortedError" },
    );
    assert.ok(fs.existsSync(path.join(binned, BINNED_FORMAT_FILE)), "the marker went before the batch");
    assert.equal(binnedFolderHasStatus(binned), null, "but no row was binned");

    await binAllReducedS3LogsByObjectKey({
      reducedFolder: path.join(BINNING, "reduced_logs"),
      binnedFolder: binned,
    });
    assert.deepEqual(objectFiles(binned), readTree(path.join(BINNING, "expected_output")));
    assert.ok(!fs.existsSync(path.join(binned, BINNED_FORMAT_FILE)));
    assert.equal(binnedFolderHasStatus(binned), false);
  });
});

describe("rekey keeps the status column", () => {
  const password = "formats-Test-key-0123456789-abcdef";
  for (const status of [true, false]) {
    test(`of reduced and binned rows ${status ? "with" : "without"} the status`, async () => {
      const work = path.join(tempFolder("rekey-status"), "work");
      const reduced = path.join(work, "reduced");
      writeDay(reduced, "2020/01/01.tsv", status ? withStatus(ORIGINAL_DAY) : ORIGINAL_DAY);
      const binned = path.join(work, "binned");
      await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
      const dayFiles = () => new Map([...readTree(reduced)].filter(([file]) => !file.startsWith(".")));
      const before = { reduced: dayFiles(), binned: objectFiles(binned) };
      const key = IpKey.fromPassword(password);
      await rekeyWorkFolder({ workFolder: work, ipKey: key });

      // Each row as it was, but for the address column, now the address's token.
      const tokens = new IpTokenWriter(key);
      const rekeyed = (text: string, column: number) =>
        text.replace(/^.*$/gm, (line) => {
          const fields = line.split("\t");
          if (line === "" || fields[0] === "timestamp") return line;
          fields[column] = tokens.tokenOf(fields[column]);
          return fields.join("\t");
        });
      const after = { reduced: dayFiles(), binned: objectFiles(binned) };
      assert.deepEqual(after.reduced, new Map([...before.reduced].map(([f, t]) => [f, rekeyed(t, 1)])));
      assert.deepEqual(after.binned, new Map([...before.binned].map(([f, t]) => [f, rekeyed(t, 2)])));
      for (const text of after.binned.values()) {
        const rows = text.trimEnd().split("\n").slice(1);
        for (const row of rows) {
          const fields = row.split("\t");
          assert.equal(fields.length, status ? 4 : 3, row);
          assert.ok(isIpToken(fields[2]), row);
        }
      }
      assert.equal(binnedFolderHasStatus(binned), status);
      assert.equal(reducedFolderFormat(reduced), "no-status", "written by hand, without reduce's marker");
    });
  }
});
