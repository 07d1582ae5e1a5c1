import { type Command, Option } from "commander";
import { UsageError } from "../errors.js";

/**
 * Flags of earlier versions that would now publish something other than what they said: the
 * privacy rounding (`<50`, multiples of 20) that DANDI's page cannot read. They stay known, hidden,
 * so that a cron line that still passes one stops with a message naming the rule that replaced it
 * rather than an "unknown option".
 */
const RETIRED = ["privacy_threshold", "privacy_rounding"] as const;

export interface RetiredFlags {
  privacy_threshold?: string;
  privacy_rounding?: string;
}

export function addRetiredPrivacyFlags(command: Command): Command {
  for (const name of RETIRED) command.addOption(new Option(`--${name} <n>`).hideHelp());
  return command;
}

export function refuseRetiredPrivacyFlags(flags: RetiredFlags): void {
  const given = RETIRED.find((name) => flags[name] !== undefined);
  if (given === undefined) return;
  throw new UsageError(
    `--${given} is gone: the summaries now hold exact counts, as DANDI publishes them, and a ` +
      "by_region.tsv is published only once it names more than --region_disclosure_threshold (default 5) " +
      "resolved regions; remove the flag",
    { code: "ERR_RETIRED_OPTION" },
  );
}
