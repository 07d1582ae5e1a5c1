import type { Command } from "commander";
import { DEFAULT_SETTLE_HOURS } from "../s3/settle.js";
import { nonNegativeNumber } from "./options.js";

/** The flags of the commands that reduce raw logs, for log objects and buckets. */
export interface LogObjectFlags {
  settle_hours: number;
  inventory?: string;
}

export function addLogObjectOptions(command: Command): Command {
  return command
    .option(
      "--settle_hours <hours>",
      "for log objects: a day is complete this many hours after its end (its rows wait until then)",
      nonNegativeNumber,
      DEFAULT_SETTLE_HOURS,
    )
    .option(
      "--inventory <manifest>",
      "for a bucket: read the keys from this S3 Inventory manifest.json (path or s3://)",
    );
}
