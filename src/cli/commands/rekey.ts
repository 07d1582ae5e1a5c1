import type { Command } from "commander";
import { IP_KEY_VARIABLE } from "../../privacy/key-derivation.js";
import type { RekeySummary } from "../../privacy/rekey.js";
import { formatSeconds, plural } from "../format.js";
import { warnAboutKeyFile } from "../ip-key-options.js";
import { addStuckAfterOption, type LockFlags, lockSettingsOf } from "../lock-options.js";
import { REKEY_FLAGS } from "../option-flags.js";
import { withProgress } from "../progress.js";
import { EXIT_OK, runCommand } from "../run-command.js";

/** Where the key a folder is encrypted with now comes from, when its key changes. */
export const OLD_IP_KEY_VARIABLE = "DANDI_S3_LOG_PARSER_OLD_IP_KEY";

interface RekeyFlags extends LockFlags {
  work_folder: string;
  ip_key_file?: string;
  old_ip_key_file?: string;
  quiet?: boolean;
}

/** `rekey`: encrypt a work folder kept in clear, or change its key. */
export function configureRekeyCommand(command: Command): Command {
  addStuckAfterOption(command);
  return command
    .description(
      "Encrypt the IP addresses of a work folder kept in clear (reduced/ and binned/), or change the key they are " +
        `encrypted with. The new key comes from --ip_key_file or ${IP_KEY_VARIABLE}; the key in use now, if any, ` +
        `from --old_ip_key_file or ${OLD_IP_KEY_VARIABLE}. Safe to stop at any moment: run it again to finish; ` +
        "until then the other steps refuse the folder.",
    )
    .requiredOption(
      "--work_folder <folder>",
      "the work folder of `run`, holding reduced/, binned/ and mapped/",
    )
    .option(
      "--ip_key_file <file>",
      `the new key, in the first line of this file (default: ${IP_KEY_VARIABLE})`,
    )
    .option(
      "--old_ip_key_file <file>",
      `the key the folder is encrypted with now (default: ${OLD_IP_KEY_VARIABLE}); not needed for a folder in clear`,
    )
    .option("--quiet", "no progress display")
    .action((flags: RekeyFlags) =>
      runCommand(
        REKEY_FLAGS,
        async (signal) => {
          const { ipKeyFrom } = await import("../../privacy/ip-key.js");
          const { UsageError } = await import("../../errors.js");
          const { rekeyWorkFolder } = await import("../../privacy/rekey.js");
          for (const file of [flags.ip_key_file, flags.old_ip_key_file]) await warnAboutKeyFile(file);
          const ipKey = ipKeyFrom(flags.ip_key_file);
          if (ipKey === null)
            throw new UsageError(`rekey needs the new key: set ${IP_KEY_VARIABLE} or give --ip_key_file`, {
              code: "ERR_IP_KEY_REQUIRED",
            });
          const oldIpKey = ipKeyFrom(flags.old_ip_key_file, OLD_IP_KEY_VARIABLE);
          const summary = await withProgress("rekey", "items", flags.quiet, (update) =>
            rekeyWorkFolder({ workFolder: flags.work_folder, ipKey, oldIpKey, signal, onProgress: update }),
          );
          process.stdout.write(`${describeRekeySummary(summary)}\n`);
          return EXIT_OK;
        },
        lockSettingsOf(flags),
      ),
    );
}

export function describeRekeySummary(summary: RekeySummary): string {
  const lines = [
    `rekey: ${plural(summary.filesRewritten, "file")} rewritten in ${formatSeconds(summary.seconds)}`,
  ];
  if (summary.folders.length === 0)
    lines.push("  nothing to change: the folder already holds addresses under this key");
  for (const { folder, from } of summary.folders)
    lines.push(`  ${folder}: was ${from}, now under the new key`);
  if (summary.mapRebuild)
    lines.push("  map's next run maps everything anew (the rows moved), to the same tables");
  return lines.join("\n");
}
