import * as fs from "node:fs";
import * as path from "node:path";
import { RunError, UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import type { IpKey } from "./ip-key.js";
import { IP_KEY_VARIABLE, KEY_DERIVATION } from "./key-derivation.js";

/**
 * Which kind of addresses a folder holds. A folder of tokens has `<folder>/.ip_addresses.json`,
 * written by the step that writes it (reduce for `reduced/`, bin for `binned/`), saying how the key
 * was derived and its check value. A folder without one holds addresses in clear: nothing is added
 * without a key, so such folders stay as the original tool's formats have them. A step refuses to
 * add rows of the other kind, or to read a keyed folder with another key, so that a folder never
 * mixes the two and a wrong key never decodes anything. A folder with neither record nor content is
 * new: either kind may claim it.
 */
export const IP_MODE_FILE = ".ip_addresses.json";
/** Present while `rekey` changes a folder; every step refuses the folder until rekey finishes. */
export const REKEY_FILE = ".ip_rekey.json";

export type IpMode =
  | { mode: "clear" }
  | {
      mode: "keyed";
      cipher: string;
      keyDerivation: { function: string; iterations: number; salt: string };
      check: string;
    };

const CIPHER = "aes-256, one block per address (see README)";
export const CLEAR: IpMode = { mode: "clear" };

export function ipModeOf(key: IpKey | null): IpMode {
  if (key === null) return CLEAR;
  return { mode: "keyed", cipher: CIPHER, keyDerivation: { ...KEY_DERIVATION }, check: key.check };
}

export function sameIpMode(a: IpMode, b: IpMode): boolean {
  return a.mode === b.mode && (a.mode === "clear" || a.check === (b as { check: string }).check);
}

export function describeIpMode(mode: IpMode): string {
  return mode.mode === "clear" ? "addresses in clear" : `encrypted addresses (key check ${mode.check})`;
}

/** The folder's record; with none, `clear` if it holds anything but dot files, else null (a new folder). */
export function readIpMode(folder: string): IpMode | null {
  const file = path.join(folder, IP_MODE_FILE);
  const text = readTextIfExists(file);
  if (text !== null) {
    try {
      const mode = JSON.parse(text) as IpMode;
      if (mode.mode === "clear" || (mode.mode === "keyed" && typeof mode.check === "string")) return mode;
    } catch {
      // Reported below, with what to do.
    }
    throw new RunError(
      `${file} is damaged: it records whether the folder holds addresses in clear or encrypted; restore it (a keyed folder's record is written again by \`rekey\`)`,
    );
  }
  return holdsContent(folder) ? CLEAR : null;
}

export function writeIpMode(folder: string, mode: IpMode): void {
  writeFileAtomic(path.join(folder, IP_MODE_FILE), `${JSON.stringify(mode, null, 2)}\n`);
}

function holdsContent(folder: string): boolean {
  try {
    return fs.readdirSync(folder).some((name) => !name.startsWith("."));
  } catch {
    return false;
  }
}

/** Refuses a folder that `rekey` left half-done. */
export function refuseUnfinishedRekey(folder: string): void {
  if (fs.existsSync(path.join(folder, REKEY_FILE)))
    throw new UsageError(
      `${folder} is being re-encrypted by \`rekey\`, which was stopped before it finished; run the same rekey command again to finish it`,
      { code: "ERR_REKEY_UNFINISHED" },
    );
}

/**
 * Before a step writes rows into `folder`: checks that they are of the folder's kind (`wanted`),
 * and records the kind in a new folder. `from` names the folder the rows come from, for bin; a
 * step with a key of its own leaves it out.
 */
export function claimIpMode(folder: string, wanted: IpMode, from?: string): void {
  refuseUnfinishedRekey(folder);
  const recorded = readIpMode(folder);
  if (recorded !== null) {
    refuseMismatch(folder, recorded, wanted, from);
    if (fs.existsSync(path.join(folder, IP_MODE_FILE))) return;
  }
  // Without a key nothing is added: the folder stays as the original tool's formats have it.
  if (wanted.mode === "clear") return;
  fs.mkdirSync(folder, { recursive: true });
  writeIpMode(folder, wanted);
}

/** Before a step reads `folder` with `key`: its record, refusing a wrong or missing key. */
export function checkReadableWith(folder: string, key: IpKey | null): IpMode {
  refuseUnfinishedRekey(folder);
  const recorded = readIpMode(folder) ?? CLEAR;
  if (recorded.mode === "keyed") refuseMismatch(folder, recorded, ipModeOf(key));
  return recorded;
}

function refuseMismatch(folder: string, recorded: IpMode, wanted: IpMode, from?: string): void {
  if (sameIpMode(recorded, wanted)) return;
  const given =
    from !== undefined
      ? `${from} holds ${describeIpMode(wanted)}`
      : wanted.mode === "clear"
        ? "no IP key was given"
        : `the IP key given is another (key check ${wanted.check})`;
  if (recorded.mode === "keyed") {
    throw new UsageError(
      `${folder} holds ${describeIpMode(recorded)}, and ${given}: ${from === undefined ? `give the key it was encrypted with (\`ipKey\`; ${IP_KEY_VARIABLE} for the commands)` : "both must be under one key"}; a key is changed with \`rekey\``,
      {
        code: wanted.mode === "clear" ? "ERR_IP_KEY_REQUIRED" : "ERR_WRONG_IP_KEY",
        optionNames: from === undefined ? ["ipKey"] : [],
      },
    );
  }
  throw new UsageError(
    `${folder} holds addresses in clear, and ${from === undefined ? "an IP key was given (`ipKey`)" : given}: a folder must not mix the two; encrypt the work folder with \`rekey\` first, or run without a key`,
    { code: "ERR_IP_MODE_MIX", optionNames: from === undefined ? ["ipKey"] : [] },
  );
}
