import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { ROOT, tempFolder } from "./helpers.ts";
import { argumentProblems, COMMAND_SCRIPTS, helpOptions, SUBCOMMANDS } from "./support/cli-help.ts";
import { type DocBlock, headingAnchors, readDocBlocks, relativeLinks } from "./support/doc-blocks.ts";
import { type SimpleCommand, simpleCommands } from "./support/shell-commands.ts";

/**
 * The README and docs/ show commands, flags, samples of output and links; this keeps them true. The
 * conventions (which blocks run, the `<!-- not run: … -->` and `<!-- exits N -->` markers) are in
 * docs/development.md, "The docs are tested".
 */
const DOCS = [
  "README.md",
  ...fs
    .readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];

/** What a scratch folder holds of the repository, so that commands written for its root work there. */
const COPIED = ["samples", "test/fixtures/upstream"];

/** A scratch folder for one file's blocks: the repository's inputs, the commands on the PATH, a home. */
function scratchFolder(label: string): { cwd: string; env: NodeJS.ProcessEnv } {
  const cwd = tempFolder(`docs-${label}`);
  for (const part of COPIED) fs.cpSync(path.join(ROOT, part), path.join(cwd, part), { recursive: true });
  const bin = path.join(cwd, ".bin");
  fs.mkdirSync(bin);
  for (const [command, script] of Object.entries(COMMAND_SCRIPTS)) {
    const shim = path.join(bin, command);
    const target = path.join(ROOT, "dist", "cli", `${script}.cjs`);
    fs.writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${target}" "$@"\n`, { mode: 0o755 });
  }
  // The package by its name, for the TypeScript blocks; it resolves to this repository's dist/.
  fs.mkdirSync(path.join(cwd, "node_modules"));
  fs.symlinkSync(ROOT, path.join(cwd, "node_modules", "dandi-s3-log-parser"));
  fs.mkdirSync(path.join(cwd, "home"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
    HOME: path.join(cwd, "home"),
    DANDI_S3_LOG_PARSER_HOME: path.join(cwd, "settings"),
    // Offline: a block that forgot its catalog fails at once rather than read the archive's API.
    DANDI_API_URL: "http://127.0.0.1:9/api",
  };
  for (const name of [
    "DANDI_S3_LOG_PARSER_IP_KEY",
    "DANDI_S3_LOG_PARSER_OLD_IP_KEY",
    "SOURCE_DATE_EPOCH",
    "CI",
  ])
    delete env[name];
  return { cwd, env };
}

function where(block: DocBlock, line = 0): string {
  return `${block.file}:${block.line + line}`;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv) {
  return spawnSync("bash", ["-c", `set -eo pipefail\n${script}`], { cwd, env, encoding: "utf8" });
}

/** What is wrong with one command of a block that is not run; empty when nothing is. */
function commandProblems(command: SimpleCommand): string[] {
  const [program, ...args] = command.words;
  if (Object.hasOwn(COMMAND_SCRIPTS, program)) return argumentProblems(program, args);
  if (program === "npx" && Object.hasOwn(COMMAND_SCRIPTS, args[0]))
    return argumentProblems(args[0], args.slice(1));
  if (program === "node") {
    const rest = [...args];
    while (rest[0]?.startsWith("-")) rest.splice(0, rest[0] === "--import" || rest[0] === "-r" ? 2 : 1);
    const file = rest[0];
    if (file === undefined) return [];
    const built = /^dist\/cli\/(.+)\.cjs$/.exec(file);
    const name = Object.entries(COMMAND_SCRIPTS).find(([, script]) => script === built?.[1])?.[0];
    if (name !== undefined) return argumentProblems(name, rest.slice(1));
    return fs.existsSync(path.join(ROOT, file)) ? [] : [`node ${file}: no such file in the repository`];
  }
  if (program === "npm") {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
    if (args[0] === "test") return scripts.test === undefined ? ["npm test: no test script"] : [];
    if (args[0] !== "run") return [];
    if (scripts[args[1]] === undefined) return [`npm run ${args[1]}: no such script in package.json`];
    if (args[1] === "bench")
      return args
        .slice(2)
        .filter((name) => !fs.existsSync(path.join(ROOT, "bench", `${name}.bench.ts`)))
        .map((name) => `npm run bench ${name}: no bench/${name}.bench.ts`);
  }
  return [];
}

/** Runs a `console` block: each `$ ` line in turn, its output compared with the lines below it. */
function runConsoleBlock(block: DocBlock, cwd: string, env: NodeJS.ProcessEnv): void {
  const lines = block.body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith("$ ")) assert.fail(`${where(block, i + 1)}: a console block starts with "$ "`);
    const expected: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j].startsWith("$ ")) expected.push(lines[j++]);
    const result = bash(lines[i].slice(2), cwd, env);
    assert.equal(result.status, 0, `${where(block, i + 1)}: ${lines[i]}\n${result.stderr}`);
    assert.equal(
      result.stdout.replace(/\n$/, ""),
      expected.join("\n"),
      `${where(block, i + 1)}: ${lines[i]} prints something else than the docs show`,
    );
    i = j - 1;
  }
}

/** Runs a `ts` block as an ES module from the scratch folder, importing the package by its name. */
function runTypeScriptBlock(block: DocBlock, cwd: string, env: NodeJS.ProcessEnv): void {
  const file = path.join(cwd, `block-${block.line}.mts`);
  fs.writeFileSync(file, block.body);
  const result = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), file], {
    cwd,
    env,
    encoding: "utf8",
  });
  assert.equal(
    result.status,
    block.exits,
    `${where(block)}: the TypeScript exited with ${result.status}\n${result.stderr}`,
  );
}

describe("every block of the README and the docs", () => {
  for (const doc of DOCS) {
    test(doc, () => {
      const blocks = readDocBlocks(path.join(ROOT, doc)).map((block) => ({ ...block, file: doc }));
      const { cwd, env } = scratchFolder(path.basename(doc, ".md"));
      for (const block of blocks) {
        if (block.lang === "sh") {
          for (const command of simpleCommands(block.body)) {
            if (command.words[0] === "npm" && block.notRun === null)
              assert.fail(
                `${where(block, command.line)}: an npm command; mark the block <!-- not run: why -->`,
              );
            if (block.notRun !== null) {
              const problems = commandProblems(command);
              assert.deepEqual(problems, [], `${where(block, command.line)}: ${command.words.join(" ")}`);
            }
          }
        }
        if (block.notRun !== null) continue;
        if (block.lang === "sh") {
          const result = bash(block.body, cwd, env);
          assert.equal(
            result.status,
            block.exits,
            `${where(block)}: the block exited with ${result.status}, not ${block.exits}\n${result.stderr}`,
          );
          if (block.exits !== 0)
            assert.doesNotMatch(result.stderr, /unknown option|too many arguments/, where(block));
        } else if (block.lang === "console") runConsoleBlock(block, cwd, env);
        else if (block.lang === "ts") runTypeScriptBlock(block, cwd, env);
      }
    });
  }
});

describe("the reference", () => {
  const reference = fs.readFileSync(path.join(ROOT, "docs", "reference.md"), "utf8");

  /** The rows of the first `| flag |` table under the heading `## name`. */
  function flagTable(name: string): Map<string, string> {
    const start = reference.indexOf(`\n## ${name}\n`);
    assert.ok(start !== -1, `docs/reference.md has no section "## ${name}"`);
    const section = reference.slice(start + 1).split(/\n## /)[0];
    const rows = new Map<string, string>();
    const table = section.slice(section.indexOf("\n| flag |"));
    for (const line of table.split("\n").slice(3)) {
      if (!line.startsWith("|")) break;
      const [flag, defaultValue] = line.split(" | ").map((cell) =>
        cell
          .replace(/^\|\s*/, "")
          .trim()
          .replace(/^`|`$/g, ""),
      );
      rows.set(flag, defaultValue);
    }
    return rows;
  }

  for (const subcommand of SUBCOMMANDS) {
    test(`${subcommand}: its table lists the flags of its --help, with their defaults`, () => {
      const listed = flagTable(subcommand);
      const help = helpOptions("main", [subcommand]).filter((option) => option.flag !== "--help");
      const shown = help.map((option) =>
        option.value === null ? option.flag : `${option.flag} <${option.value}>`,
      );
      assert.deepEqual([...listed.keys()].sort(), shown.sort());
      for (const option of help) {
        if (option.default === null) continue;
        const row = listed.get(option.value === null ? option.flag : `${option.flag} <${option.value}>`);
        assert.equal(row, option.default, `${subcommand} ${option.flag}: the default --help gives`);
      }
    });
  }

  test("the original tool's names take the flags of reduce, bin and map", () => {
    const steps: Record<string, string> = {
      "reduce-all-dandi-raw-s3-logs": "reduce",
      "bin-all-reduced-s3-logs-by-object-key": "bin",
      "map-binned-s3-logs-to-dandisets": "map",
    };
    for (const [script, step] of Object.entries(steps)) {
      const flags = (options: ReturnType<typeof helpOptions>) =>
        options.map((option) => option.flag).filter((flag) => flag !== "--version");
      assert.deepEqual(flags(helpOptions(script)), flags(helpOptions("main", [step])), script);
    }
  });

  test("names every error code the code can throw", () => {
    const codes = new Set<string>();
    for (const entry of fs.readdirSync(path.join(ROOT, "src"), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
      const text = fs.readFileSync(path.join(entry.parentPath, entry.name), "utf8");
      for (const match of text.matchAll(/"(ERR_[A-Z0-9_]+)"/g)) codes.add(match[1]);
    }
    assert.ok(codes.size > 40, `${codes.size} codes found`);
    const missing = [...codes].filter((code) => !reference.includes(`\`${code}\``)).sort();
    assert.deepEqual(missing, []);
  });
});

describe("links", () => {
  test("the README links every file of docs/", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    for (const doc of DOCS.filter((name) => name.startsWith("docs/")))
      assert.ok(readme.includes(`](${doc})`), `README.md does not link ${doc}`);
  });

  test("every relative link and #anchor leads somewhere", () => {
    const problems: string[] = [];
    for (const doc of DOCS) {
      const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
      for (const { line, target } of relativeLinks(text)) {
        const [file, anchor] = target.split("#", 2);
        const resolved =
          file === "" ? path.join(ROOT, doc) : path.resolve(path.dirname(path.join(ROOT, doc)), file);
        if (!fs.existsSync(resolved)) problems.push(`${doc}:${line}: ${target}: no such file`);
        else if (anchor !== undefined && resolved.endsWith(".md")) {
          if (!headingAnchors(fs.readFileSync(resolved, "utf8")).has(anchor))
            problems.push(`${doc}:${line}: ${target}: no such heading`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test("the README stays short", () => {
    const lines = fs.readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n").length;
    assert.ok(lines <= 160, `README.md has ${lines} lines; move the detail into docs/`);
  });
});
