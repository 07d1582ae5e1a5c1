/**
 * IP addresses as numbers, for range and prefix lookups: IPv4 as an unsigned 32-bit integer in a
 * `number`, IPv6 as a 128-bit `bigint`. An IPv4 address written in IPv6 form (`::ffff:1.2.3.4`) is
 * turned back into IPv4, so both spellings land in the same place.
 */
export type ParsedIp = { version: 4; value: number } | { version: 6; value: bigint };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const IPV4_MAPPED_PREFIX = 0xffffn << 32n;

export function parseIpv4(text: string): number | null {
  const match = IPV4.exec(text);
  if (match === null) return null;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Parses the text form of RFC 4291 section 2.2: `::` once at most, an IPv4 tail allowed. */
export function parseIpv6(text: string): bigint | null {
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (part: string): number[] | null => {
    if (part === "") return [];
    const pieces = part.split(":");
    const groups: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        groups.push(Math.floor(v4 / 65536), v4 % 65536);
      } else if (HEX_GROUP.test(piece)) {
        groups.push(Number.parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  let value = 0n;
  for (const group of [...head, ...new Array<number>(missing).fill(0), ...tail]) {
    value = (value << 16n) | BigInt(group);
  }
  return value;
}

export function parseIp(text: string): ParsedIp | null {
  if (text.includes(":")) {
    const value = parseIpv6(text);
    if (value === null) return null;
    if (value >> 32n === 0xffffn) return { version: 4, value: Number(value - IPV4_MAPPED_PREFIX) };
    return { version: 6, value };
  }
  const value = parseIpv4(text);
  return value === null ? null : { version: 4, value };
}

export interface ParsedCidr {
  version: 4 | 6;
  /** The network address, host bits cleared. */
  network: number | bigint;
  length: number;
}

/** Parses `a.b.c.d/n` or `x:y::/n`; a bare address counts as a single-address prefix. */
export function parseCidr(text: string): ParsedCidr | null {
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const lengthText = slash === -1 ? null : text.slice(slash + 1);
  if (lengthText !== null && !/^\d{1,3}$/.test(lengthText)) return null;
  if (address.includes(":")) {
    const value = parseIpv6(address);
    const length = lengthText === null ? 128 : Number(lengthText);
    if (value === null || length > 128) return null;
    return { version: 6, network: value & ipv6Mask(length), length };
  }
  const value = parseIpv4(address);
  const length = lengthText === null ? 32 : Number(lengthText);
  if (value === null || length > 32) return null;
  return { version: 4, network: maskIpv4(value, length), length };
}

export function maskIpv4(value: number, length: number): number {
  // Shifting by 32 is a no-op in JavaScript, so /0 needs its own case.
  return length === 0 ? 0 : (value & (0xffffffff << (32 - length))) >>> 0;
}

const IPV6_MASKS: bigint[] = [];
for (let length = 0; length <= 128; length++) {
  IPV6_MASKS.push(((1n << BigInt(length)) - 1n) << BigInt(128 - length));
}

export function ipv6Mask(length: number): bigint {
  return IPV6_MASKS[length];
}
