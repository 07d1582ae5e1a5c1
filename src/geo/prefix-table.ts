import { maskIpv4, type ParsedCidr, type ParsedIp } from "./ip-address.js";

/**
 * Longest-prefix match over CIDR blocks: one hash map per prefix length, probed from the longest
 * length present down. Provider range lists hold tens of thousands of blocks that nest and
 * overlap, which rules out a plain sorted-interval search; at most 33 (IPv4) or a few dozen (IPv6)
 * probes per address is cheap since each distinct address is resolved once per run.
 *
 * Keys are what V8 hashes fastest: IPv4 networks as signed 32-bit integers (small integers, never
 * boxed), IPv6 networks as the hex digits their prefix covers. IPv6 networks keyed as bigints took
 * 7 µs a block to add (AWS lists 3,000) and as much a probe, since V8 hashes a bigint anew each time.
 */
export class PrefixTable<T> {
  private readonly v4 = new Map<number, Map<number, T>>();
  private readonly v6 = new Map<number, Map<string, T>>();
  private v4Lengths: number[] = [];
  private v6Lengths: number[] = [];
  size = 0;

  /** Adds a block; a block already present keeps its first value, so callers add preferred entries first. */
  add(cidr: ParsedCidr, value: T): void {
    if (cidr.version === 4) this.addIpv4(cidr.network as number, cidr.length, value);
    else this.addIpv6Hex((cidr.network as bigint).toString(16), cidr.length, value);
  }

  /** Adds an IPv4 block: its network address (host bits clear) as an unsigned 32-bit number. */
  addIpv4(network: number, length: number, value: T): void {
    let blocks = this.v4.get(length);
    if (blocks === undefined) {
      blocks = new Map();
      this.v4.set(length, blocks);
      this.v4Lengths = [...this.v4.keys()].sort((a, b) => b - a);
    }
    const key = network | 0;
    if (!blocks.has(key)) {
      blocks.set(key, value);
      this.size++;
    }
  }

  /** Adds an IPv6 block: its network address (host bits clear) in hex, leading zeros optional. */
  addIpv6Hex(network: string, length: number, value: T): void {
    let blocks = this.v6.get(length);
    if (blocks === undefined) {
      blocks = new Map();
      this.v6.set(length, blocks);
      this.v6Lengths = [...this.v6.keys()].sort((a, b) => b - a);
    }
    const key = network.padStart(32, "0").slice(0, (length + 3) >> 2);
    if (!blocks.has(key)) {
      blocks.set(key, value);
      this.size++;
    }
  }

  lookup(ip: ParsedIp): T | undefined {
    if (ip.version === 4) {
      for (const length of this.v4Lengths) {
        const found = this.v4.get(length)!.get(maskIpv4(ip.value, length) | 0);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    if (this.v6Lengths.length === 0) return undefined;
    const hex = ip.value.toString(16).padStart(32, "0");
    for (const length of this.v6Lengths) {
      const found = this.v6.get(length)!.get(hexPrefix(hex, length));
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** The hex digits a /length prefix covers, the bits past the length in its last digit cleared. */
function hexPrefix(hex: string, length: number): string {
  const digits = (length + 3) >> 2;
  const spare = digits * 4 - length;
  if (spare === 0) return hex.slice(0, digits);
  const last = Number.parseInt(hex[digits - 1], 16) & (0xf << spare) & 0xf;
  return hex.slice(0, digits - 1) + last.toString(16);
}
