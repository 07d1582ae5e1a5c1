import { Command } from "commander";
import { VERSION } from "../version.js";

/** A command whose usage errors exit with code 2 and print one line, ending with a pointer to --help. */
export function newProgram(name: string): Command {
  const program = new Command(name);
  program
    .version(packageVersion())
    .configureOutput({
      outputError: (message, write) => write(`${message.trimEnd()} (run with --help for usage)\n`),
    })
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : 2);
    });
  return program;
}

function packageVersion(): string {
  return process.env.npm_package_version ?? VERSION;
}
