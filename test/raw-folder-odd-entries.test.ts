import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { generateRawLogs } from "../src/index.ts";
import { ROOT, readTree, reduceArgs, runCli, tempFolder } from "./helpers.ts";
import { cutIntoLogObjects, writeLogObjects } from "./support/log-objects.ts";

/**
 * Entries of a raw folder that are not files are named for what they are: a FIFO (never opened: a
 * read would block the run) was "a symbolic link that leads to no file", and a name that is not
 * valid UTF-8 made the listing itself fail. A settings folder that cannot be written is named as
 * such, where it was "ENOENT … mkdir …/errors".
 */
describe("odd entries in a raw folder, and a settings folder that cannot be written", () => {
  const days = tempFolder("odd-days");
  generateRawLogs(days, {
    seed: 51,
    days: 2,
    startDate: "2024-08-01",
    bytesPerDay: 30_000,
    blobCount: 20,
  });
  const reference = tempFolder("odd-reference");
  assert.equal(runCli("main", reduceArgs(days, reference)).code, 0);

  test("day files: a FIFO, and names that are not UTF-8, are skipped and named for what they are", () => {
    const raw = tempFolder("odd-raw");
    fs.cpSync(days, raw, { recursive: true });
    execFileSync("mkfifo", [path.join(raw, "2024", "08", "03.log")]);
    fs.mkdirSync(Buffer.from(path.join(raw, "2024", "\xfe"), "latin1"));
    fs.writeFileSync(Buffer.from(path.join(raw, "2024", "\xfe", "01.log"), "latin1"), "x\n");
    fs.writeFileSync(Buffer.from(path.join(raw, "2024", "08", "0\xff.log"), "latin1"), "x\n");
    const reduced = tempFolder("odd-reduced");
    const result = runCli("main", reduceArgs(raw, reduced));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /skipped: 2024\/08\/03\.log: a FIFO \(named pipe\), not a file/);
    assert.match(result.stdout, /skipped: 2024\/\uFFFD: its name is not valid UTF-8/);
    assert.match(result.stdout, /skipped: 2024\/08\/0\uFFFD\.log: its name is not valid UTF-8/);
    assert.doesNotMatch(result.stdout, /symbolic link/);
    assert.deepEqual(readTree(reduced), readTree(reference));
  });

  test("log objects: a FIFO and a name that is not UTF-8 are skipped, a link to another object read once", () => {
    const raw = tempFolder("odd-objects");
    const objects = cutIntoLogObjects(days, "simple");
    writeLogObjects(raw, objects);
    execFileSync("mkfifo", [path.join(raw, "2024-08-03-00-00-00-00000000000FFFFF")]);
    fs.writeFileSync(Buffer.from(path.join(raw, "2024-08-03-00-00-01-\xff"), "latin1"), "x\n");
    const first = objects[0].key.slice("logs/".length);
    fs.mkdirSync(path.join(raw, "copies"));
    fs.symlinkSync(path.join(raw, first), path.join(raw, "copies", first));
    const reduced = tempFolder("odd-objects-reduced");
    const result = runCli("main", reduceArgs(raw, reduced));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`reduce: ${objects.length} log objects reduced`));
    assert.match(
      result.stdout,
      /skipped: 2024-08-03-00-00-00-00000000000FFFFF: a FIFO \(named pipe\), not a file/,
    );
    assert.match(result.stdout, /skipped: 2024-08-03-00-00-01-\uFFFD: its name is not valid UTF-8/);
    assert.match(result.stdout, new RegExp(`skipped: copies/${first}: the same file as ${first}, read once`));
    assert.deepEqual(readTree(reduced), readTree(reference));
  });

  test("a settings folder that cannot be written stops the run with one line that says so", () => {
    const home = tempFolder("odd-home");
    fs.chmodSync(home, 0o555);
    const out = tempFolder("odd-out");
    fs.chmodSync(out, 0o777);
    // A day with a malformed line, so that the error log is written.
    const raw = tempFolder("odd-malformed");
    fs.mkdirSync(path.join(raw, "2024", "08"), { recursive: true });
    const day = fs.readFileSync(path.join(days, "2024", "08", "01.log"));
    fs.writeFileSync(
      path.join(raw, "2024", "08", "01.log"),
      Buffer.concat([day, Buffer.from("cut short\n")]),
    );
    for (const folder of [
      raw,
      path.join(raw, "2024"),
      path.join(raw, "2024", "08"),
      path.join(raw, "2024", "08", "01.log"),
    ])
      fs.chmodSync(folder, 0o755);
    // Permissions bind root only through another user: the command runs as nobody when the tests run as root.
    const asOther = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = spawnSync(
      process.execPath,
      [path.join(ROOT, "dist", "cli", "main.cjs"), ...reduceArgs(raw, path.join(out, "reduced"))],
      { encoding: "utf8", env: { ...process.env, DANDI_S3_LOG_PARSER_HOME: home }, ...asOther },
    );
    assert.equal(result.status, 1, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0],
      new RegExp(
        `^error: the error log of malformed lines cannot be written: cannot create ${home}/errors/reduce_.*: ${home} cannot be written by this user \\(EACCES\\); make it writable, or set DANDI_S3_LOG_PARSER_HOME`,
      ),
    );
    assert.doesNotMatch(result.stderr, /ENOENT|mkdir/);
  });
});
