import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { UsageError } from "../errors.js";
import { GOOD_KEY_ADVICE, IP_KEY_VARIABLE, KEY_DERIVATION } from "./key-derivation.js";

export { GOOD_KEY_ADVICE, IP_KEY_VARIABLE, KEY_DERIVATION };

/** What a password must have: as DANDI's current tool asks, so that its passwords work here. */
const MIN_LENGTH = 16;
const MIN_DISTINCT_CHARACTERS = 8;
const MIN_ESTIMATED_BITS = 90;
const PUNCTUATION = /[!-/:-@[-`{-~]/;

/**
 * The key IP addresses are encrypted with, derived once from the password. `check` is a short
 * value computed from the key (not the key, nor enough to guess it), recorded with encrypted
 * folders so that a wrong key is refused before it decodes anything.
 */
export class IpKey {
  readonly check: string;

  private constructor(readonly bytes: Uint8Array) {
    this.check = crypto.createHmac("sha256", bytes).update("key check").digest("hex").slice(0, 16);
  }

  /** Derives the key from a password, refusing a short or weak one. Takes about 0.2 s, once a run. */
  static fromPassword(password: string, source = "the IP key"): IpKey {
    const problems = passwordProblems(password);
    if (problems.length > 0)
      throw new UsageError(`${source} is too weak: ${problems.join("; ")}; ${GOOD_KEY_ADVICE}`, {
        code: "ERR_WEAK_IP_KEY",
      });
    const { iterations, salt } = KEY_DERIVATION;
    return new IpKey(crypto.pbkdf2Sync(password, salt, iterations, 32, "sha256"));
  }

  /** The key as derived in another thread (reduce's workers get the bytes, not the password). */
  static fromBytes(bytes: Uint8Array): IpKey {
    return new IpKey(Uint8Array.from(bytes));
  }
}

/** What makes `password` unfit, or nothing: a length, distinct characters, an estimated entropy. */
export function passwordProblems(password: string): string[] {
  const problems: string[] = [];
  const characters = [...password];
  if (characters.length < MIN_LENGTH)
    problems.push(`it has ${characters.length} characters, and needs ${MIN_LENGTH} or more`);
  const distinct = new Set(characters).size;
  if (distinct < MIN_DISTINCT_CHARACTERS)
    problems.push(`it has ${distinct} distinct characters, and needs ${MIN_DISTINCT_CHARACTERS} or more`);
  const bits = estimatedBits(characters);
  if (bits < MIN_ESTIMATED_BITS)
    problems.push(
      `it holds about ${Math.floor(bits)} bits by its length and kinds of characters, and needs ${MIN_ESTIMATED_BITS}`,
    );
  return problems;
}

/** Length times log2 of the alphabet its kinds of characters span: generous, never too strict. */
function estimatedBits(characters: string[]): number {
  let alphabet = 0;
  if (characters.some((c) => c >= "a" && c <= "z")) alphabet += 26;
  if (characters.some((c) => c >= "A" && c <= "Z")) alphabet += 26;
  if (characters.some((c) => c >= "0" && c <= "9")) alphabet += 10;
  if (characters.some((c) => c.length === 1 && PUNCTUATION.test(c))) alphabet += 32;
  if (characters.some((c) => c.codePointAt(0)! > 126)) alphabet += 100;
  return alphabet === 0 ? 0 : characters.length * Math.log2(alphabet);
}

/**
 * The password a command was given: the file of `--ip_key_file` (its first line), else the
 * environment variable, else null (addresses stay in clear).
 */
export function readIpKeyPassword(file: string | undefined, variable = IP_KEY_VARIABLE): string | null {
  if (file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read the IP key file ${file}: ${(error as Error).message}`, {
        code: "ERR_IP_KEY_FILE",
        cause: error,
      });
    }
    const password = text.split(/\r?\n/)[0];
    if (password === "")
      throw new UsageError(`the IP key file ${file} is empty; ${GOOD_KEY_ADVICE}`, {
        code: "ERR_WEAK_IP_KEY",
      });
    return password;
  }
  const value = process.env[variable];
  if (value === undefined) return null;
  if (value === "")
    throw new UsageError(
      `${variable} is set but empty; unset it to keep addresses in clear, or ${GOOD_KEY_ADVICE}`,
      {
        code: "ERR_WEAK_IP_KEY",
      },
    );
  return value;
}

/**
 * What is wrong with where a key file lies, as ssh checks a private key: readable or writable by
 * anyone but its owner (the key decrypts every address of the work folder), or reached through a
 * symbolic link (whoever can change the link chooses the key). Warnings, not refusals: the key is
 * still the one given. Empty when the file is fine or cannot be read (reading it says why).
 */
export function ipKeyFileWarnings(file: string): string[] {
  const warnings: string[] = [];
  let link: fs.Stats;
  let stat: fs.Stats;
  try {
    link = fs.lstatSync(file);
    stat = fs.statSync(file);
  } catch {
    return warnings;
  }
  if (link.isSymbolicLink())
    warnings.push(
      `the IP key file ${file} is a symbolic link (to ${fs.readlinkSync(file)}): whoever can change the link chooses the key; give the file itself`,
    );
  const open = stat.mode & 0o077;
  if (open !== 0)
    warnings.push(
      `the IP key file ${file} can be ${open & 0o044 ? "read" : "written"} by others (mode ${(stat.mode & 0o777).toString(8).padStart(4, "0")}); ` +
        `it decrypts every address in the work folder: chmod 600 ${file}`,
    );
  return warnings;
}

/** The key a command was given (see readIpKeyPassword), derived, or null. */
export function ipKeyFrom(file: string | undefined, variable = IP_KEY_VARIABLE): IpKey | null {
  const password = readIpKeyPassword(file, variable);
  if (password === null) return null;
  return IpKey.fromPassword(password, file === undefined ? variable : `the IP key in ${file}`);
}

export function checkIpKey(value: unknown, option = "ipKey"): void {
  if (value === undefined || value === null) return;
  if (!(value instanceof IpKey))
    throw new UsageError(
      `\`${option}\` must be an IpKey (IpKey.fromPassword(password)), not ${typeof value}`,
      {
        code: "ERR_INVALID_IP_KEY",
        optionNames: [option],
      },
    );
}
