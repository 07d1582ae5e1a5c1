import { CommanderError } from "commander";
import { AbortedError, RunError, UsageError } from "../errors.js";
import { LockedError } from "../io/run-lock.js";
import { type OptionFlags, withFlagNames } from "./option-flags.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** EX_TEMPFAIL: another run holds the work folder; try again later. */
export const EXIT_LOCKED = 75;
export const EXIT_INTERRUPTED = 130;

/**
 * Runs a command's action with what every command shares: an AbortSignal raised by Ctrl-C or
 * SIGTERM (a second Ctrl-C exits at once), and errors turned into one line and an exit code. `flags`
 * says which flag sets which library option, for the messages.
 */
export async function runCommand(
  flags: OptionFlags,
  action: (signal: AbortSignal) => Promise<number>,
): Promise<never> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT_INTERRUPTED);
    process.stderr.write(`\n${signal}: stopping; finished outputs are kept, unfinished ones removed\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let code: number;
  try {
    code = await action(controller.signal);
  } catch (error) {
    code = exitCodeOf(error);
    process.stderr.write(`${messageOf(error, flags)}\n`);
  }
  process.exit(code);
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof AbortedError) return EXIT_INTERRUPTED;
  if (error instanceof LockedError) return EXIT_LOCKED;
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  return EXIT_FAILED;
}

function messageOf(error: unknown, flags: OptionFlags): string {
  if (error instanceof UsageError || error instanceof RunError || error instanceof AbortedError)
    return `error: ${withFlagNames(error.message, error.optionNames, flags)}`;
  if (error instanceof LockedError) return `error: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? `error: ${error.stack ?? error.message}` : `error: ${error.message}`;
  }
  return `error: ${String(error)}`;
}
