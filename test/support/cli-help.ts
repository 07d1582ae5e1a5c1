import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../helpers.ts";

/** One flag as a command's `--help` lists it. */
export interface HelpOption {
  /** `--raw_s3_logs_folder_path`, `--no-report`. */
  flag: string;
  /** The value's placeholder (`folder` of `<folder>`), or null for a switch. */
  value: string | null;
  description: string;
  /** What `(default: …)` at the end of the description says, as written. */
  default: string | null;
  choices: string[] | null;
}

/** The subcommands of `dandi-s3-log-parser`, in the order `--help` lists them. */
export const SUBCOMMANDS = [
  "reduce",
  "bin",
  "map",
  "catalog",
  "report",
  "rekey",
  "run",
  "demo",
  "generate",
  "update-ip-ranges",
];

/** The installed command names and the built file each runs. */
export const COMMAND_SCRIPTS: Readonly<Record<string, string>> = {
  "dandi-s3-log-parser": "main",
  reduce_all_dandi_raw_s3_logs: "reduce-all-dandi-raw-s3-logs",
  bin_all_reduced_s3_logs_by_object_key: "bin-all-reduced-s3-logs-by-object-key",
  map_binned_s3_logs_to_dandisets: "map-binned-s3-logs-to-dandisets",
};

const cache = new Map<string, HelpOption[]>();

/** The flags a built command lists in its `--help` (`script` as in dist/cli/, `args` the subcommand). */
export function helpOptions(script: string, args: string[] = []): HelpOption[] {
  const key = [script, ...args].join(" ");
  const known = cache.get(key);
  if (known !== undefined) return known;
  const result = spawnSync(
    process.execPath,
    [path.join(ROOT, "dist", "cli", `${script}.cjs`), ...args, "--help"],
    {
      encoding: "utf8",
    },
  );
  if (result.status !== 0) throw new Error(`${key} --help exited with ${result.status}: ${result.stderr}`);
  const options = parseHelpOptions(result.stdout);
  cache.set(key, options);
  return options;
}

/** Reads the `Options:` section of commander's help: one flag a line, its description wrapped below it. */
export function parseHelpOptions(help: string): HelpOption[] {
  const lines = help.split("\n");
  const start = lines.findIndex((line) => line.startsWith("Options:"));
  const options: { flag: string; value: string | null; description: string }[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const option = /^ {2}(?:-\w, )?(--[\w-]+)(?: <([^>]+)>)?(?:\s{2,}(.*))?$/.exec(line);
    if (option !== null)
      options.push({ flag: option[1], value: option[2] ?? null, description: option[3] ?? "" });
    else if (line.trim() !== "" && options.length > 0)
      options[options.length - 1].description += ` ${line.trim()}`;
  }
  return options.map((option) => {
    const description = option.description.trim();
    const choices = /\(choices: ([^)]*)\)/.exec(description);
    return {
      ...option,
      description,
      default: /\(default: (.*)\)$/.exec(description)?.[1] ?? null,
      choices: choices === null ? null : [...choices[1].matchAll(/"([^"]*)"/g)].map((match) => match[1]),
    };
  });
}

/**
 * What is wrong with the arguments of one of the package's commands, by its `--help` alone: an
 * unknown subcommand or flag, a flag without its value, a value outside the choices, a word no flag
 * takes. Empty when nothing is.
 */
export function argumentProblems(command: string, args: string[]): string[] {
  const script = COMMAND_SCRIPTS[command];
  if (script === undefined) return [`${command} is not a command of the package`];
  let rest = args;
  let subcommand: string[] = [];
  if (script === "main") {
    if (rest.length === 0 || rest[0] === "--help" || rest[0] === "--version") return [];
    if (!SUBCOMMANDS.includes(rest[0])) return [`${command} has no command ${rest[0]}`];
    subcommand = [rest[0]];
    rest = rest.slice(1);
  }
  const options = new Map(helpOptions(script, subcommand).map((option) => [option.flag, option]));
  const problems: string[] = [];
  const name = [command, ...subcommand].join(" ");
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].split(/=(.*)/s, 2) as [string, string | undefined];
    const option = options.get(flag);
    if (!flag.startsWith("-")) problems.push(`${name}: ${rest[i]} is not a flag's value`);
    else if (option === undefined) problems.push(`${name} --help lists no ${flag}`);
    else if (option.value === null) {
      if (inline !== undefined) problems.push(`${name} ${flag} takes no value`);
    } else {
      const value = inline ?? rest[++i];
      if (value === undefined || (inline === undefined && value.startsWith("--")))
        problems.push(`${name} ${flag} needs a value (<${option.value}>)`);
      else if (option.choices !== null && !option.choices.includes(value))
        problems.push(`${name} ${flag} ${value}: not one of ${option.choices.join(", ")}`);
    }
  }
  return problems;
}
