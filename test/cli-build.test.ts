import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT, runCli } from "./helpers.ts";

const COMMANDS = [
  "main",
  "reduce-all-dandi-raw-s3-logs",
  "bin-all-reduced-s3-logs-by-object-key",
  "map-binned-s3-logs-to-dandisets",
];

test("every built command says the version in package.json", () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  for (const command of COMMANDS) {
    const result = runCli(command, ["--version"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), version, command);
  }
});

test("the built commands are one file each, and load Vega only to draw a chart", () => {
  for (const command of COMMANDS) {
    const code = fs.readFileSync(path.join(ROOT, "dist", "cli", `${command}.cjs`), "utf8");
    const required = [...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1]);
    for (const name of required) assert.match(name, /^node:/, `${command} requires ${name}`);
    assert.doesNotMatch(code, /require\(\s*["']vega/, command);
  }
  const main = fs.readFileSync(path.join(ROOT, "dist", "cli", "main.cjs"), "utf8");
  assert.match(main, /import\(\s*["']vega["']\s*\)/);
});
