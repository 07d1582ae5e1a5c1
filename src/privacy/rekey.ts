import * as fs from "node:fs";
import * as path from "node:path";
import { ObjectSizes } from "../bin/object-sizes.js";
import { undoLogPath } from "../bin/undo-log.js";
import { checkFunction, checkOptionsObject, checkPath, checkSignal } from "../check-options.js";
import { toAssetKey } from "../dandi/object-key.js";
import { AbortedError, RunError, UsageError } from "../errors.js";
import { commitFile, removeStaleTempFiles, tempPathFor, writeFileAtomic } from "../io/atomic-file.js";
import { requireFolder } from "../io/folders.js";
import { symbolicLinkError } from "../io/no-follow.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import { acquireRunLock } from "../io/run-lock.js";
import { REDUCE_LOCK_NAME } from "../reduce/reduce-all.js";
import { UNIT_FILE } from "../reduce/units.js";
import { PENDING_FOLDER } from "../s3/object-journal.js";
import { checkIpKey, IpKey } from "./ip-key.js";
import {
  describeIpMode,
  type IpMode,
  ipModeOf,
  REKEY_FILE,
  readIpMode,
  sameIpMode,
  writeIpMode,
} from "./ip-mode.js";
import { AddressReader, IpTokenWriter, isIpToken } from "./ip-token.js";

export interface RekeyOptions {
  /** The work folder of `run`: its `reduced/` and `binned/` are rewritten, `mapped/` told to map anew. */
  workFolder: string;
  /** The key the folder is to be encrypted with. */
  ipKey: IpKey;
  /** The key it is encrypted with now; none for a folder in clear. */
  oldIpKey?: IpKey | null;
  /** Files rewritten so far, of all. */
  onProgress?: (done: number, total: number) => void;
  /** Aborting stops between files; the next rekey goes on from there. */
  signal?: AbortSignal;
}

export interface RekeySummary {
  /** Per folder rewritten: what it held before. */
  folders: { folder: string; from: string }[];
  filesRewritten: number;
  /** Whether map's journal was removed, so that its next run maps everything (row offsets changed). */
  mapRebuild: boolean;
  seconds: number;
}

/**
 * Where the address is in each folder's rows: `timestamp ip_address object_key bytes_sent [status]`,
 * `timestamp bytes_sent ip_address [status]`. The same with or without the status, which comes
 * after it: every other column is written back as it was.
 */
const COLUMNS = { reduced: 1, binned: 2 } as const;
const SIBLING_SUFFIX = ".rekeyed";
const READ_BYTES = 1024 * 1024;

interface RekeyMarker {
  from: IpMode;
  to: IpMode;
  phase: "write" | "swap";
}

/**
 * Encrypts a work folder kept in clear, or changes its key: every reduced and binned row gets the
 * token of its address under the new key. Kill-safe, as every step: a marker in each folder first
 * (every step refuses the folder while it is there); then each file's new version is written beside
 * it (`.<name>.rekeyed`, through a temporary file, flushed); then the marker moves to its second
 * phase and the new versions are renamed over the old; then the folder's record says the new key
 * and the marker goes. A rerun after a kill picks up where it stopped: in the first phase it
 * writes the new versions still missing, in the second it renames those not renamed yet. Needs
 * room for a second copy of the largest folder while it runs.
 *
 * Tokens are as long as each other, so a change of key keeps every row where it was; encrypting a
 * clear folder does not, so map's journal is removed and its next run maps everything anew (to the
 * same tables).
 */
export async function rekeyWorkFolder(options: RekeyOptions): Promise<RekeySummary> {
  const started = Date.now();
  checkOptionsObject(options, "rekeyWorkFolder");
  checkPath(options.workFolder, "workFolder", true);
  if (!(options.ipKey instanceof IpKey))
    throw new UsageError("`ipKey` is required: the key to encrypt the folder with", {
      code: "ERR_INVALID_IP_KEY",
      optionNames: ["ipKey"],
    });
  checkIpKey(options.oldIpKey, "oldIpKey");
  checkFunction(options.onProgress, "onProgress");
  checkSignal(options.signal);
  const workFolder = requireFolder(options.workFolder, "workFolder");
  const folders = {
    reduced: path.join(workFolder, "reduced"),
    binned: path.join(workFolder, "binned"),
    mapped: path.join(workFolder, "mapped"),
  };
  const releases = [acquireRunLock(path.join(workFolder, ".run.lock"))];
  try {
    // A reduce run on its own (not by run) holds only this one.
    if (fs.existsSync(folders.reduced))
      releases.push(acquireRunLock(path.join(folders.reduced, REDUCE_LOCK_NAME)));
    if (fs.existsSync(folders.binned)) releases.push(acquireRunLock(path.join(folders.binned, ".bin_lock")));
    if (fs.existsSync(folders.mapped)) releases.push(acquireRunLock(path.join(folders.mapped, ".map_lock")));
    if (fs.existsSync(undoLogPath(folders.binned)))
      throw new UsageError(
        `${folders.binned} holds a batch that bin did not finish (it was stopped); run bin (or run) once to undo it, then rekey`,
        { code: "ERR_BIN_UNFINISHED" },
      );
    const to = ipModeOf(options.ipKey);
    const plans: { kind: keyof typeof COLUMNS; folder: string; marker: RekeyMarker; files: string[] }[] = [];
    // Both folders listed before either gets its marker: a link in either stops rekey before any change.
    const listed = (["reduced", "binned"] as const)
      .filter((kind) => fs.existsSync(folders[kind]))
      .map((kind) => ({ kind, folder: folders[kind], files: dataFilesOf(folders[kind], kind) }));
    for (const { kind, folder, files } of listed) {
      const marker = startMarker(folder, to, options.oldIpKey ?? null);
      if (marker === null) continue;
      removeStaleTempFiles(folder);
      plans.push({ kind, folder, marker, files });
    }
    const summary: RekeySummary = { folders: [], filesRewritten: 0, mapRebuild: false, seconds: 0 };
    // Row offsets change when clear addresses become tokens: bin's change lists no longer point at
    // rows map has not read, so map must read everything once. Before any binned file changes.
    const binnedPlan = plans.find((p) => p.kind === "binned");
    if (binnedPlan !== undefined && binnedPlan.marker.from.mode === "clear") {
      const mapJournal = path.join(folders.mapped, ".map_state", "journal.json");
      if (fs.existsSync(mapJournal)) {
        fs.rmSync(mapJournal);
        summary.mapRebuild = true;
      }
    }
    const total = plans.reduce((sum, p) => sum + p.files.length, 0);
    let done = 0;
    options.onProgress?.(done, total);
    for (const plan of plans) {
      const { folder, marker, files } = plan;
      if (marker.phase === "write") {
        const rewrite = rowRewriter(marker.from, options.oldIpKey ?? null, options.ipKey, COLUMNS[plan.kind]);
        for (const file of files) {
          if (options.signal?.aborted)
            throw new AbortedError("rekey was interrupted; run it again with the same keys to finish");
          const sibling = siblingOf(path.join(folder, file));
          if (!fs.existsSync(sibling)) {
            rewriteFile(path.join(folder, file), sibling, rewrite);
            summary.filesRewritten++;
          }
          options.onProgress?.(++done, total);
          if (done % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        marker.phase = "swap";
        writeMarker(folder, marker);
      } else done += files.length;
      for (const file of files) {
        const sibling = siblingOf(path.join(folder, file));
        if (fs.existsSync(sibling)) fs.renameSync(sibling, path.join(folder, file));
      }
      // Tokens and addresses differ in length: bin must know the object files' new sizes.
      if (plan.kind === "binned") ObjectSizes.recordCurrent(folder, files);
      writeIpMode(folder, to);
      fs.rmSync(path.join(folder, REKEY_FILE));
      summary.folders.push({ folder, from: describeIpMode(marker.from) });
    }
    summary.seconds = (Date.now() - started) / 1000;
    return summary;
  } finally {
    for (const release of releases.reverse()) release();
  }
}

/** The folder's marker, written now or left by a stopped rekey; null when it needs no change. */
function startMarker(folder: string, to: IpMode, oldKey: IpKey | null): RekeyMarker | null {
  const text = readTextIfExists(path.join(folder, REKEY_FILE));
  let marker: RekeyMarker;
  if (text !== null) {
    marker = JSON.parse(text) as RekeyMarker;
    if (!sameIpMode(marker.to, to))
      throw new UsageError(
        `${folder} is half-way through a rekey to another key (key check ${(marker.to as { check?: string }).check}); give that key as \`ipKey\` to finish it first`,
        { code: "ERR_WRONG_IP_KEY", optionNames: ["ipKey"] },
      );
  } else {
    const from = readIpMode(folder);
    if (from === null) {
      writeIpMode(folder, to);
      return null;
    }
    if (sameIpMode(from, to)) return null;
    marker = { from, to, phase: "write" };
  }
  if (marker.phase === "write" && marker.from.mode === "keyed") {
    if (oldKey === null)
      throw new UsageError(
        `${folder} holds ${describeIpMode(marker.from)}: give the key it is encrypted with now (\`oldIpKey\`)`,
        { code: "ERR_IP_KEY_REQUIRED", optionNames: ["oldIpKey"] },
      );
    if (oldKey.check !== marker.from.check)
      throw new UsageError(
        `${folder} holds ${describeIpMode(marker.from)}, and \`oldIpKey\` is another key (key check ${oldKey.check})`,
        { code: "ERR_WRONG_IP_KEY", optionNames: ["oldIpKey"] },
      );
  }
  if (text === null) writeMarker(folder, marker);
  return marker;
}

function writeMarker(folder: string, marker: RekeyMarker): void {
  writeFileAtomic(path.join(folder, REKEY_FILE), `${JSON.stringify(marker)}\n`);
}

/**
 * The files of `folder` that reduce or bin wrote, and nothing else: reduced days (`YYYY/MM/DD.tsv`,
 * `YYYY/MM/DD_0002.tsv`) and the rows reduce holds for days not settled yet
 * (`.pending_days/YYYY/MM/DD_0001.tsv`), or binned objects (`blobs/aaa/bbb/<uuid>.tsv`,
 * `zarr/<uuid>.tsv`). Another `.tsv` placed there (a summaries folder put inside `reduced/`) is not
 * rekey's to rewrite: its second column would have become tokens.
 */
function dataFilesOf(folder: string, kind: keyof typeof COLUMNS): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    const file = path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join("/");
    const own = kind === "reduced" ? ownReducedPath(file) : ownBinnedPath(file);
    if (own === null) continue;
    // A link would be skipped, its rows left under the old key, or read from outside the folder:
    // refused, as bin and map refuse it.
    if (entry.isSymbolicLink()) throw symbolicLinkError(path.join(folder, file));
    if (own === "file" && entry.isFile()) files.push(file);
  }
  return files.sort();
}

/** Whether a path below a reduced folder is one of reduce's rows (`file`), a folder on the way to them, or neither. */
function ownReducedPath(file: string): "file" | "folder" | null {
  const parts = file.split("/");
  const rest = parts[0] === PENDING_FOLDER ? parts.slice(1) : parts;
  if (rest.length === 0) return "folder";
  if (!/^\d{4}$/.test(rest[0])) return null;
  if (rest.length === 1) return "folder";
  if (!/^\d{2}$/.test(rest[1])) return null;
  if (rest.length === 2) return "folder";
  return rest.length === 3 && UNIT_FILE.test(rest[2]) ? "file" : null;
}

/** The same for a binned folder: an object file whose path is a DANDI asset key's. */
function ownBinnedPath(file: string): "file" | "folder" | null {
  const parts = file.split("/");
  if (parts[0] === "zarr") {
    if (parts.length === 1) return "folder";
    return parts.length === 2 && isObjectFile(file) ? "file" : null;
  }
  if (parts[0] !== "blobs") return null;
  if (parts.length <= 3)
    return parts.every((part, i) => i === 0 || /^[0-9a-fA-F]{3}$/.test(part)) ? "folder" : null;
  return parts.length === 4 && isObjectFile(file) ? "file" : null;
}

function isObjectFile(file: string): boolean {
  if (!file.endsWith(".tsv")) return false;
  const key = file.slice(0, -".tsv".length);
  return toAssetKey(key) === key;
}

function siblingOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}${SIBLING_SUFFIX}`);
}

/** A function from a row's address column to its new text. */
type RowRewriter = (line: string, file: string, lineNumber: number) => string;

function rowRewriter(from: IpMode, oldKey: IpKey | null, key: IpKey, column: number): RowRewriter {
  const writer = new IpTokenWriter(key);
  const reader = from.mode === "keyed" ? new AddressReader(oldKey, "the folder") : null;
  return (line, file, lineNumber) => {
    if (lineNumber === 1 && line.includes("ip_address")) return line;
    const columns = line.split("\t");
    const value = columns[column];
    if (value === undefined || value === "" || value === "-") return line;
    let address: string;
    if (reader !== null) {
      try {
        address = reader.addressOf(value);
      } catch (error) {
        throw new RunError(`${file} line ${lineNumber}: ${(error as Error).message}`, { cause: error });
      }
    } else if (isIpToken(value)) {
      throw new RunError(
        `${file} line ${lineNumber} holds an encrypted address in a folder recorded as clear; the folder mixes the two: restore it from a copy`,
        { code: "ERR_IP_MODE_MIX" },
      );
    } else address = value;
    columns[column] = writer.tokenOf(address);
    return columns.join("\t");
  };
}

/** Writes `file` with every row rewritten to `sibling`, whole or not at all. */
function rewriteFile(file: string, sibling: string, rewrite: RowRewriter): void {
  const temp = tempPathFor(sibling);
  const input = fs.openSync(file, "r");
  const output = fs.openSync(temp, "w");
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    let carry = "";
    let lineNumber = 0;
    for (;;) {
      const read = fs.readSync(input, buffer, 0, READ_BYTES, null);
      if (read === 0) break;
      const lines = (carry + buffer.toString("latin1", 0, read)).split("\n");
      carry = lines.pop() ?? "";
      if (lines.length === 0) continue;
      const out = lines.map((line) => rewrite(line, file, ++lineNumber));
      fs.writeSync(output, Buffer.from(`${out.join("\n")}\n`, "latin1"));
    }
    if (carry !== "") fs.writeSync(output, Buffer.from(rewrite(carry, file, ++lineNumber), "latin1"));
  } catch (error) {
    fs.closeSync(output);
    fs.rmSync(temp, { force: true });
    throw error;
  } finally {
    fs.closeSync(input);
  }
  commitFile(output, temp, sibling);
}
