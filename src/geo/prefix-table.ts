import { ipv6Mask, maskIpv4, type ParsedCidr, type ParsedIp } from "./ip-address.js";

/**
 * Longest-prefix match over CIDR blocks: one hash map per prefix length, probed from the longest
 * length present down. Provider range lists hold tens of thousands of blocks that nest and
 * overlap, which rules out a plain sorted-interval search; at most 33 (IPv4) or a few dozen (IPv6)
 * probes per address is cheap since each distinct address is resolved once per run.
 */
export class PrefixTable<T> {
  private readonly v4 = new Map<number, Map<number, T>>();
  private readonly v6 = new Map<number, Map<bigint, T>>();
  private v4Lengths: number[] = [];
  private v6Lengths: number[] = [];
  size = 0;

  /** Adds a block; a block already present keeps its first value, so callers add preferred entries first. */
  add(cidr: ParsedCidr, value: T): void {
    if (cidr.version === 4) {
      let blocks = this.v4.get(cidr.length);
      if (blocks === undefined) {
        blocks = new Map();
        this.v4.set(cidr.length, blocks);
        this.v4Lengths = [...this.v4.keys()].sort((a, b) => b - a);
      }
      if (!blocks.has(cidr.network as number)) {
        blocks.set(cidr.network as number, value);
        this.size++;
      }
      return;
    }
    let blocks = this.v6.get(cidr.length);
    if (blocks === undefined) {
      blocks = new Map();
      this.v6.set(cidr.length, blocks);
      this.v6Lengths = [...this.v6.keys()].sort((a, b) => b - a);
    }
    if (!blocks.has(cidr.network as bigint)) {
      blocks.set(cidr.network as bigint, value);
      this.size++;
    }
  }

  lookup(ip: ParsedIp): T | undefined {
    if (ip.version === 4) {
      for (const length of this.v4Lengths) {
        const found = this.v4.get(length)!.get(maskIpv4(ip.value, length));
        if (found !== undefined) return found;
      }
      return undefined;
    }
    for (const length of this.v6Lengths) {
      const found = this.v6.get(length)!.get(ip.value & ipv6Mask(length));
      if (found !== undefined) return found;
    }
    return undefined;
  }
}
