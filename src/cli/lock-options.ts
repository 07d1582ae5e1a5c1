import type { Command } from "commander";
import { positiveNumber } from "./options.js";

/** The flag of every command that locks a folder: when a lock held by another run means it is stuck. */
export interface LockFlags {
  stuck_after_hours?: number;
}

export function addStuckAfterOption(command: Command): Command {
  return command.option(
    "--stuck_after_hours <hours>",
    "when another run has held the folder's lock this long, report it as stuck (exit 1, naming it and its age) " +
      "rather than busy (exit 75)",
    positiveNumber,
  );
}

export function lockSettingsOf(flags: LockFlags): { stuckAfterHours?: number } {
  return { stuckAfterHours: flags.stuck_after_hours };
}
