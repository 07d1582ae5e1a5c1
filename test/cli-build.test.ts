import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT, runCli, tempFolder } from "./helpers.ts";
import { writeMappedFolder } from "./report-helpers/mapped-folder.ts";

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

test("the built commands are one file each, and load Vega only when they need it", () => {
  for (const command of COMMANDS) {
    const code = fs.readFileSync(path.join(ROOT, "dist", "cli", `${command}.cjs`), "utf8");
    const required = [...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1]);
    for (const name of required) assert.match(name, /^node:/, `${command} requires ${name}`);
    assert.doesNotMatch(code, /require\(\s*["']vega/, command);
  }
  const main = fs.readFileSync(path.join(ROOT, "dist", "cli", "main.cjs"), "utf8");
  assert.match(main, /import\(\s*["']vega["']\s*\)/);
});

/**
 * The report draws its charts itself: Vega is loaded only to draw the world's outlines when no cache
 * holds them (a settings folder of its own, the package's prebuilt copy unread). Seen by the files
 * the command reads: Vega's one-file builds, which load-vega.ts runs.
 */
test("a report loads Vega only when the world's outlines are not cached", () => {
  const root = tempFolder("report-without-vega");
  const mapped = path.join(root, "mapped");
  writeMappedFolder(mapped, { dandisets: 3, seed: 5 });
  const watch = path.join(root, "watch-reads.cjs");
  fs.writeFileSync(
    watch,
    'const fs = require("node:fs"); const read = fs.readFileSync; ' +
      "fs.readFileSync = function (file, ...rest) { " +
      'if (/vega/.test(String(file))) fs.appendFileSync(process.env.READ_LOG, String(file) + "\\n"); ' +
      "return read.call(this, file, ...rest); };",
  );
  for (const [name, prebuilt, loadsVega] of [
    ["the prebuilt outlines", "on", false],
    ["no outlines cached", "off", true],
  ] as const) {
    const log = path.join(root, `${prebuilt}.txt`);
    const result = runCli(
      "main",
      [
        "report",
        "--mapped_s3_logs_folder_path",
        mapped,
        "--output_folder",
        path.join(root, `report-${prebuilt}`),
        "--quiet",
      ],
      {
        NODE_OPTIONS: `--require ${watch}`,
        READ_LOG: log,
        DANDI_S3_LOG_PARSER_HOME: path.join(root, `home-${prebuilt}`),
        DANDI_S3_LOG_PARSER_PREBUILT: prebuilt,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const read = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
    assert.equal(/vega(-lite)?\.min\.js/.test(read), loadsVega, `${name}: ${read}`);
  }
});
