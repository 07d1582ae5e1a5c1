import * as crypto from "node:crypto";
import { RunError } from "../errors.js";
import { parseIpv6 } from "../geo/ip-address.js";
import type { IpKey } from "./ip-key.js";

/**
 * IP addresses as tokens: a deterministic, reversible encryption of each address, written where the
 * address would be (reduced and binned rows), so that binning, distinct counts and caches work on
 * tokens unchanged, and map recovers the address to find its region.
 *
 * A token is 34 characters: a two-character prefix that no IP address can start with, then the
 * 16 bytes of one AES-256 block in lowercase hex. One block under one key is a permutation of
 * 16-byte values (the construction of "ipcrypt-deterministic"), so equal addresses give equal
 * tokens and nothing else does. Tokens use only the characters of addresses (hex digits, `.`, `:`)
 * and are shorter than the longest address (45), so every reader of the address column, the bin
 * step's WebAssembly row parser included, takes them as they are. The prefix says what the block
 * holds:
 *  - `..` an address of up to 15 characters (every IPv4 address, short IPv6 ones), exactly as
 *    written: its length, its characters, zeros;
 *  - `.:` a longer IPv6 address as its 16 bytes; it decodes to the standard text form (RFC 5952),
 *    which names the same address;
 *  - `:.` a longer text that is no address (reduce keeps whatever looks like one); not reversible,
 *    a keyed hash, so that two such texts still count as two requesters. Its region is `unknown`,
 *    as the text's would be.
 * Valid IPv4 and IPv6 text never starts with `.`, nor with `:.`; a token is never taken for an
 * address, and an address never for a token.
 */
export const TOKEN_LENGTH = 34;
const SHORT = "..";
const LONG = ".:";
const OPAQUE = ":.";
const BLOCK = 16;
const MAX_SHORT = BLOCK - 1;
const DOT = 0x2e;
const COLON = 0x3a;
/** Distinct addresses kept per cache; past that it starts again, so memory stays bounded. */
const MAX_CACHED = 200_000;

/** Whether `text` is a token rather than an address: it starts with `.` or `:.`. */
export function isIpToken(text: string): boolean {
  const first = text.charCodeAt(0);
  return first === DOT || (first === COLON && text.charCodeAt(1) === DOT);
}

/** Turns addresses into tokens, each distinct address encrypted once (addresses repeat a lot). */
export class IpTokenWriter {
  private readonly cipher: crypto.Cipher;
  private readonly tokens = new Map<string, Buffer>();
  private readonly block = Buffer.alloc(BLOCK);

  constructor(private readonly key: IpKey) {
    this.cipher = crypto.createCipheriv("aes-256-ecb", key.bytes, null);
    // Blocks are encrypted one at a time with the same cipher, never finished: no padding.
    this.cipher.setAutoPadding(false);
  }

  /** The token of `address` as latin1 bytes (34), or the address itself when it is `-`. */
  tokenBytesOf(address: string): Buffer {
    let token = this.tokens.get(address);
    if (token === undefined) {
      token = Buffer.from(this.encode(address), "latin1");
      if (this.tokens.size >= MAX_CACHED) this.tokens.clear();
      this.tokens.set(address, token);
    }
    return token;
  }

  tokenOf(address: string): string {
    return this.tokenBytesOf(address).toString("latin1");
  }

  private encode(address: string): string {
    if (address === "-") return address;
    const block = this.block;
    block.fill(0);
    if (address.length <= MAX_SHORT) {
      block[0] = address.length;
      block.write(address, 1, "latin1");
      return SHORT + this.encrypt(block);
    }
    const value = address.includes(":") ? parseIpv6(address) : null;
    if (value !== null) {
      for (let i = BLOCK - 1, v = value; i >= 0; i--, v >>= 8n) block[i] = Number(v & 0xffn);
      return LONG + this.encrypt(block);
    }
    const hash = crypto.createHmac("sha256", this.key.bytes).update(`opaque\0${address}`).digest("hex");
    return OPAQUE + hash.slice(0, 2 * BLOCK);
  }

  private encrypt(block: Buffer): string {
    return this.cipher.update(block).toString("hex");
  }
}

/**
 * Reads the address column of rows for map: with a key, turns tokens back into addresses (each
 * distinct token decrypted once); without one, passes addresses through. Either way a row of the
 * other kind stops the run, so a mixed folder never yields a wrong region.
 */
export class AddressReader {
  private readonly decipher: crypto.Decipher | null;
  private readonly addresses = new Map<string, string>();

  /** `where` names the folder in messages. */
  constructor(
    key: IpKey | null,
    private readonly where: string,
  ) {
    this.decipher = key === null ? null : crypto.createDecipheriv("aes-256-ecb", key.bytes, null);
    this.decipher?.setAutoPadding(false);
  }

  addressOf(column: string): string {
    if (this.decipher === null) {
      if (isIpToken(column))
        throw new RunError(
          `${this.where} is recorded as holding addresses in clear, but holds an encrypted one (${column}); a folder must not mix the two: encrypt the whole work folder with \`rekey\``,
          { code: "ERR_IP_MODE_MIX" },
        );
      return column;
    }
    let address = this.addresses.get(column);
    if (address === undefined) {
      address = this.decode(column);
      if (this.addresses.size >= MAX_CACHED) this.addresses.clear();
      this.addresses.set(column, address);
    }
    return address;
  }

  private decode(token: string): string {
    if (token === "-") return token;
    if (token.length !== TOKEN_LENGTH || !isIpToken(token) || !/^[0-9a-f]+$/.test(token.slice(2)))
      throw this.notAToken(token);
    const prefix = token.slice(0, 2);
    if (prefix === OPAQUE) return token;
    const block = this.decipher!.update(Buffer.from(token.slice(2), "hex"));
    if (prefix === LONG) {
      let value = 0n;
      for (const byte of block) value = (value << 8n) | BigInt(byte);
      return formatIpv6(value);
    }
    const length = block[0];
    if (
      prefix !== SHORT ||
      length === 0 ||
      length > MAX_SHORT ||
      block.subarray(1 + length).some((b: number) => b !== 0)
    )
      throw new RunError(
        `${this.where} holds a token (${token}) that does not decrypt with the IP key given; it was encrypted with another key`,
        { code: "ERR_WRONG_IP_KEY" },
      );
    return block.toString("latin1", 1, 1 + length);
  }

  private notAToken(column: string): RunError {
    return new RunError(
      `${this.where} is recorded as encrypted, but holds an address in clear or a damaged token (${isIpToken(column) ? column : "an address"}); a folder must not mix the two: run \`rekey\` on the work folder to encrypt what is left in clear`,
      { code: "ERR_IP_MODE_MIX" },
    );
  }
}

/** The standard text form of an IPv6 address (RFC 5952): lowercase, the longest run of zero groups as `::`. */
export function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(16 * i)) & 0xffffn));
  if (value >> 32n === 0xffffn) {
    const v4 = Number(value & 0xffffffffn);
    return `::ffff:${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
