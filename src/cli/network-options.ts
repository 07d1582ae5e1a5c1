import type { Command } from "commander";
import { timeoutSeconds } from "./options.js";

/** The flag of every command that waits on the network: S3 requests and their bodies, API pages. */
export interface NetworkFlags {
  network_timeout_seconds: number;
}

export const DEFAULT_NETWORK_TIMEOUT_SECONDS = 60;

export function addNetworkTimeoutOption(command: Command): Command {
  return command.option(
    "--network_timeout_seconds <seconds>",
    "a request that sends nothing this long (an S3 object, a listing, an API page) is retried, " +
      "three such in a row fail the run naming it",
    timeoutSeconds,
    DEFAULT_NETWORK_TIMEOUT_SECONDS,
  );
}

/** The flag in milliseconds, as the library takes it. */
export function networkTimeoutMsOf(flags: NetworkFlags): number {
  return Math.round(flags.network_timeout_seconds * 1000);
}
