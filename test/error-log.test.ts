import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ErrorLog } from "../src/io/error-log.ts";
import { tempFolder } from "./helpers.ts";

test("an error log keeps the first lines of each reason, counts the rest, and is readable by its owner only", () => {
  const home = tempFolder("error-log");
  const previous = process.env.DANDI_S3_LOG_PARSER_HOME;
  process.env.DANDI_S3_LOG_PARSER_HOME = home;
  try {
    const log = new ErrorLog("reduce", 3);
    for (let line = 1; line <= 10; line++)
      log.record({ file: "2024/01/01.log", line, reason: "truncated", text: "x" });
    log.record({ file: "2024/01/01.log", line: 11, reason: "bad_timestamp", text: "y" });
    log.close();
    assert.equal(log.count, 11);
    const lines = fs
      .readFileSync(log.path, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.line ?? l.omitted),
      [1, 2, 3, 11, 7],
    );
    assert.deepEqual(lines.at(-1), { reason: "truncated", omitted: 7 });
    assert.equal(fs.statSync(log.path).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(log.path)).mode & 0o077, 0);
  } finally {
    process.env.DANDI_S3_LOG_PARSER_HOME = previous;
  }
});
