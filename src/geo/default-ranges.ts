import { RunError } from "../errors.js";
import { ProviderRanges } from "./provider-ranges.js";
import { chooseRangeFiles, refreshedRangesFolder } from "./range-files.js";

/**
 * The range files used when no folder is given: per provider, the newer of the package's snapshot
 * and the copy `update-ip-ranges` keeps (see `chooseRangeFiles`). Both were checked when written,
 * so a file that cannot be read is damaged: the message says how to get it again.
 */
export function loadDefaultRanges(): ProviderRanges {
  const refreshed = refreshedRangesFolder();
  return ProviderRanges.fromFiles(
    chooseRangeFiles(undefined, refreshed).map((chosen) => chosen.file),
    (message, cause) =>
      new RunError(
        `${message.replace(/; (download it again|remove it from the folder)$/, "")}; ` +
          `a copy in ${refreshed} is made again by update-ip-ranges (or may be deleted), the package's own by reinstalling it`,
        { cause },
      ),
  );
}
