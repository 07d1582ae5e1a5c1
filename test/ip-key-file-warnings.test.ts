import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { FIXTURES, runCli, tempFolder } from "./helpers.ts";

const KEY = "a-key-for-the-tests-Z3n8#Qv2!pLw";
const RAW = path.join(FIXTURES, "reduction", "reduction_example_1", "raw_logs");

/**
 * Like ssh with a private key, a command warns when the IP key file can be read by others (it
 * decrypts every address of the work folder) or is reached through a symbolic link (whoever can
 * change the link chooses the key), and goes on with the key it was given.
 */
describe("warnings about the IP key file", () => {
  const folder = tempFolder("key-files");
  const reduce = (keyFile: string) =>
    runCli("main", [
      "reduce",
      "--raw_s3_logs_folder_path",
      RAW,
      "--reduced_s3_logs_folder_path",
      tempFolder("key-reduced"),
      "--ip_key_file",
      keyFile,
      "--quiet",
    ]);

  test("a key file only its owner can read: no warning", () => {
    const file = path.join(folder, "private.key");
    fs.writeFileSync(file, `${KEY}\n`, { mode: 0o600 });
    const result = reduce(file);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
  });

  test("a key file others can read: a warning that says how to fix it, and the run goes on", () => {
    const file = path.join(folder, "open.key");
    fs.writeFileSync(file, `${KEY}\n`);
    fs.chmodSync(file, 0o644);
    const result = reduce(file);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^warning: the IP key file ${file} can be read by others \\(mode 0644\\);.*chmod 600 ${file}\\n$`,
      ),
    );
  });

  test("a key file reached through a link: a warning naming where it leads", () => {
    const target = path.join(folder, "target.key");
    fs.writeFileSync(target, `${KEY}\n`, { mode: 0o600 });
    const link = path.join(folder, "link.key");
    fs.symlinkSync(target, link);
    const result = reduce(link);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`^warning: the IP key file ${link} is a symbolic link \\(to ${target}\\)`),
    );
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  });
});
