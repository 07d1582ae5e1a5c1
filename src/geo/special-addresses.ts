import { parseCidr } from "./ip-address.js";
import { PrefixTable } from "./prefix-table.js";

/**
 * Blocks that locate nowhere: private, loopback, link-local, shared (CGNAT), documentation,
 * benchmarking, multicast and reserved space (IANA special-purpose registries). Requests from them
 * reach the bucket through proxies or tests, so any place named for them would be invented.
 */
const SPECIAL_BLOCKS = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "::/127",
  "64:ff9b::/96",
  "64:ff9b:1::/48",
  "100::/64",
  "2001:db8::/32",
  "3fff::/20",
  "fc00::/7",
  "fe80::/10",
  "ff00::/8",
];

export const specialAddresses = new PrefixTable<true>();
for (const block of SPECIAL_BLOCKS) specialAddresses.add(parseCidr(block)!, true);
