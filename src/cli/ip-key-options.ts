import type { Command } from "commander";
import type { IpKey } from "../privacy/ip-key.js";
import { IP_KEY_VARIABLE } from "../privacy/key-derivation.js";

/** The flags every command that reads or writes addresses shares. */
export interface IpKeyFlags {
  ip_key_file?: string;
  keep_raw_lines?: boolean;
}

export function addIpKeyOption(command: Command): Command {
  return command.option(
    "--ip_key_file <file>",
    `encrypt IP addresses at rest with the key in this file (its first line); default: ${IP_KEY_VARIABLE}, else in clear`,
  );
}

export function addKeepRawLinesOption(command: Command): Command {
  return command.option(
    "--keep_raw_lines",
    "write error-log lines as read, IP addresses included (they are masked otherwise); for debugging",
  );
}

/** The key of `--ip_key_file`, else of the environment, derived; null for none. */
export async function ipKeyOfFlags(flags: IpKeyFlags): Promise<IpKey | null> {
  const { ipKeyFrom } = await import("../privacy/ip-key.js");
  await warnAboutKeyFile(flags.ip_key_file);
  return ipKeyFrom(flags.ip_key_file);
}

/** Prints, on stderr, what is wrong with where a key file lies (see ipKeyFileWarnings). */
export async function warnAboutKeyFile(file: string | undefined): Promise<void> {
  if (file === undefined) return;
  const { ipKeyFileWarnings } = await import("../privacy/ip-key.js");
  for (const warning of ipKeyFileWarnings(file)) process.stderr.write(`warning: ${warning}\n`);
}
