import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { replaceFile } from "../src/io/atomic-file.ts";
import { OutputWriter } from "../src/map/output-writer.ts";
import {
  applyUndoLog,
  discardUndoLog,
  MapUndoLog,
  REPLACED_INLINE_BYTES,
  SAVED_FOLDER,
  UNDO_LOG_NAME,
} from "../src/map/undo-log.ts";
import { readTree, tempFolder } from "./helpers.ts";

/** A mapped folder with a small table, a table past the inline size, and one to be removed. */
function folderWithTables(): { root: string; state: string; big: string } {
  const root = tempFolder("map-undo-log");
  const state = path.join(root, ".map_state");
  fs.mkdirSync(path.join(root, "000001"), { recursive: true });
  fs.mkdirSync(state);
  fs.writeFileSync(path.join(root, "000001", "by_day.tsv"), "day\tbytes\n2024-01-01\t10\n");
  const big = `day\tbytes\n${"2024-01-02\t20\n".repeat(Math.ceil(REPLACED_INLINE_BYTES / 14) + 1)}`;
  fs.writeFileSync(path.join(root, "000001", "by_asset.tsv"), big);
  fs.writeFileSync(path.join(root, "000001", "gone.tsv"), "asset\tbytes\n");
  return { root, state, big };
}

/** What a daily run does to the folder: replaces both tables, removes one, makes another. */
function changeTables(root: string, state: string): MapUndoLog {
  const undo = new MapUndoLog(root, state, 7);
  for (const name of ["by_day.tsv", "by_asset.tsv"]) {
    const relative = `000001/${name}`;
    undo.replaced(relative, fs.readFileSync(path.join(root, relative)));
    replaceFile(path.join(root, relative), "day\tbytes\n2024-01-03\t30\n");
  }
  undo.save("000001/gone.tsv");
  fs.rmSync(path.join(root, "000001", "gone.tsv"));
  undo.created("000001/new.tsv");
  undo.flush();
  fs.writeFileSync(path.join(root, "000001", "new.tsv"), "new\n");
  undo.close();
  return undo;
}

describe("map's undo log", () => {
  test("puts back replaced tables from the log (small) or a link (large), removed and created files, twice over", () => {
    const { root, state } = folderWithTables();
    const before = readTree(root);
    changeTables(root, state);
    // The small table's old bytes are in the log; the large one and the removed one are links.
    assert.deepEqual(fs.readdirSync(path.join(state, SAVED_FOLDER)).length, 2);
    assert.match(
      fs.readFileSync(path.join(state, UNDO_LOG_NAME), "latin1"),
      /"op":"replaced","path":"000001\/by_day.tsv","size":24}\nday\tbytes\n2024-01-01\t10\n/,
    );
    const log = fs.readFileSync(path.join(state, UNDO_LOG_NAME));
    applyUndoLog(root, state);
    const undone = readTree(root);
    assert.deepEqual(withoutState(undone), withoutState(before));
    // A kill during the undo: undoing again from the same log gives the same folder.
    fs.writeFileSync(path.join(state, UNDO_LOG_NAME), log);
    applyUndoLog(root, state);
    assert.deepEqual(withoutState(readTree(root)), withoutState(before));
    discardUndoLog(state);
    assert.deepEqual(fs.readdirSync(state), []);
  });

  test("a table written twice in a run (large, then small) is put back as it was before the run, undone twice over", () => {
    const { root, state, big } = folderWithTables();
    const undo = new MapUndoLog(root, state, 7);
    const writer = new OutputWriter(root, undo);
    writer.write("000001/by_asset.tsv", "day\tbytes\n2024-01-03\t30\n");
    writer.write("000001/by_asset.tsv", "day\tbytes\n2024-01-03\t31\n");
    undo.close();
    const log = fs.readFileSync(path.join(state, UNDO_LOG_NAME));
    applyUndoLog(root, state);
    // Killed before the log was discarded: the next run undoes it again.
    fs.writeFileSync(path.join(state, UNDO_LOG_NAME), log);
    applyUndoLog(root, state);
    assert.equal(fs.readFileSync(path.join(root, "000001", "by_asset.tsv"), "utf8"), big);
  });

  test("a replaced record cut short by a kill is ignored, and the file it named was not yet changed", () => {
    const { root, state } = folderWithTables();
    const undo = new MapUndoLog(root, state, 7);
    const relative = "000001/by_day.tsv";
    const old = fs.readFileSync(path.join(root, relative));
    undo.replaced(relative, old);
    undo.close();
    const log = path.join(state, UNDO_LOG_NAME);
    // Killed while the record was being written: its old bytes only partly in the log.
    fs.truncateSync(log, fs.statSync(log).size - 3);
    applyUndoLog(root, state);
    assert.deepEqual(fs.readFileSync(path.join(root, relative)), old);
  });
});

function withoutState(tree: Map<string, string>): Map<string, string> {
  return new Map([...tree].filter(([name]) => !name.startsWith(".map_state/")));
}
