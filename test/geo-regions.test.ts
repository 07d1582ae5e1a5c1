import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { UsageError } from "../src/errors.ts";
import { parseCidr, parseIp, parseIpv6 } from "../src/geo/ip-address.ts";
import { ProviderRanges } from "../src/geo/provider-ranges.ts";
import { RegionResolver } from "../src/geo/region-resolver.ts";
import { tempFolder } from "./helpers.ts";

/** A folder with one small file of each provider, shaped as they publish them. */
function writeRangesFolder(folder: string): string {
  fs.mkdirSync(folder, { recursive: true });
  const json = (name: string, value: unknown) =>
    fs.writeFileSync(path.join(folder, name), JSON.stringify(value));
  json("ip-ranges.json", {
    syncToken: "1",
    createDate: "2024-01-01-00-00-00",
    prefixes: [
      {
        ip_prefix: "18.220.0.0/16",
        region: "us-east-2",
        service: "AMAZON",
        network_border_group: "us-east-2",
      },
      { ip_prefix: "18.220.0.0/16", region: "us-east-2", service: "EC2", network_border_group: "us-east-2" },
      { ip_prefix: "3.80.0.0/12", region: "us-east-1", service: "EC2", network_border_group: "us-east-1" },
      { ip_prefix: "52.94.0.0/22", region: "GLOBAL", service: "AMAZON", network_border_group: "GLOBAL" },
    ],
    ipv6_prefixes: [{ ipv6_prefix: "2600:1f18::/33", region: "us-east-1", service: "EC2" }],
  });
  json("cloud.json", {
    syncToken: "1",
    creationTime: "2024-01-01T00:00:00",
    prefixes: [
      { ipv4Prefix: "104.155.128.0/17", service: "Google Cloud", scope: "us-central1" },
      { ipv6Prefix: "2600:1900:4000::/44", service: "Google Cloud", scope: "us-central1" },
    ],
  });
  json("ServiceTags_Public_20240101.json", {
    changeNumber: 1,
    cloud: "Public",
    values: [
      {
        name: "AzureCloud",
        id: "AzureCloud",
        properties: { region: "", addressPrefixes: ["20.42.0.0/16", "20.0.0.0/8"] },
      },
      {
        name: "AzureCloud.eastus",
        id: "AzureCloud.eastus",
        properties: { region: "eastus", addressPrefixes: ["20.42.0.0/16"] },
      },
    ],
  });
  json("meta.json", {
    verifiable_password_authentication: false,
    hooks: ["140.82.112.0/20"],
    actions: ["20.42.7.0/24"],
    domains: { website: ["*.github.com"] },
  });
  return folder;
}

describe("IP addresses", () => {
  test("IPv4, IPv6 and IPv4-mapped IPv6 parse; anything else does not", () => {
    assert.deepEqual(parseIp("18.220.4.80"), { version: 4, value: 0x12dc0450 });
    assert.deepEqual(parseIp("::ffff:18.220.4.80"), { version: 4, value: 0x12dc0450 });
    assert.equal(parseIpv6("2001:db8::1"), 0x20010db8000000000000000000000001n);
    assert.equal(parseIpv6("::"), 0n);
    assert.equal(parseIpv6("1:2:3:4:5:6:7:8"), 0x00010002000300040005000600070008n);
    for (const bad of [
      "",
      "-",
      "1.2.3",
      "256.1.1.1",
      "1.2.3.4.5",
      "1::2::3",
      "1:2:3:4:5:6:7",
      "12345::",
      "g::1",
      "1:2:3:4:5:6:7:8:9",
    ]) {
      assert.equal(parseIp(bad), null, bad);
    }
    assert.deepEqual(parseCidr("10.1.2.3/8"), { version: 4, network: 0x0a000000, length: 8 });
    assert.deepEqual(parseCidr("0.0.0.0/0"), { version: 4, network: 0, length: 0 });
    assert.equal(parseCidr("10.0.0.0/33"), null);
  });
});

describe("regions", () => {
  test("addresses that are not globally routable are bogon; text that is no address is unknown", () => {
    const resolver = new RegionResolver();
    for (const address of [
      "192.0.2.0",
      "10.1.2.3",
      "127.0.0.1",
      "172.16.5.4",
      "192.168.1.1",
      "100.64.0.1",
      "169.254.1.1",
      "198.51.100.7",
      "203.0.113.9",
      "224.0.0.1",
      "255.255.255.255",
      "0.0.0.0",
      "::1",
      "::",
      "fe80::1",
      "fd00::1",
      "2001:db8::1",
      "ff02::1",
    ]) {
      assert.equal(resolver.regionOf(address), "bogon", address);
    }
    for (const address of ["-", "", "not-an-ip", "256.1.1.1"]) {
      assert.equal(resolver.regionOf(address), "unknown", address);
    }
  });

  test("by default, the bundled snapshot of the providers' files names clouds with their regions", () => {
    const resolver = new RegionResolver();
    assert.equal(resolver.regionOf("3.80.1.1"), "AWS/us-east-1");
    assert.equal(resolver.regionOf("18.220.4.80"), "AWS/us-east-2");
    assert.equal(resolver.regionOf("2600:1f18::1"), "AWS/us-east-1");
    assert.equal(resolver.regionOf("::ffff:18.220.4.80"), "AWS/us-east-2");
    assert.equal(resolver.regionOf("104.155.168.90"), "GCP/us-central1");
    assert.equal(resolver.regionOf("2600:1900:4001::1"), "GCP/us-central1");
    assert.equal(resolver.regionOf("140.82.112.3"), "GitHub");
    // Clouds without a published list still come from the ASN table, places from DB-IP.
    assert.equal(resolver.regionOf("2a01:4f8::1"), "Hetzner");
    assert.equal(resolver.regionOf("128.112.1.1"), "US/New Jersey");
  });

  test("without range files, the ASN table names clouds and DB-IP names the rest CC/State", () => {
    const resolver = new RegionResolver(null);
    assert.equal(resolver.regionOf("18.220.4.80"), "AWS");
    assert.equal(resolver.regionOf("104.155.168.90"), "GCP");
    assert.equal(resolver.regionOf("20.42.1.1"), "Azure");
    assert.equal(resolver.regionOf("140.82.112.3"), "GitHub");
    assert.equal(resolver.regionOf("2600:1f18::1"), "AWS");
    assert.equal(resolver.regionOf("::ffff:18.220.4.80"), "AWS");
    assert.equal(resolver.regionOf("128.112.1.1"), "US/New Jersey");
    assert.equal(resolver.regionOf("2001:630:12::1"), "GB/England");
    assert.equal(resolver.regionOf("2a01:4f8::1"), "Hetzner");
    assert.equal(resolver.regionOf("171.64.1.1"), "US/California");
    for (const region of ["AWS", "GCP", "Azure", "GitHub"]) assert.doesNotMatch(region, /^[A-Z]{2}$/);
  });

  test("each distinct address is resolved once", () => {
    /** Counts the lookups behind the cache, by address. */
    class CountingResolver extends RegionResolver {
      readonly lookups = new Map<string, number>();
      protected override resolve(address: string): string {
        this.lookups.set(address, (this.lookups.get(address) ?? 0) + 1);
        return super.resolve(address);
      }
    }
    const resolver = new CountingResolver(null);
    const addresses = ["128.112.1.1", "192.0.2.1", "128.112.1.1", "2600:1f18::1", "128.112.1.1", "192.0.2.1"];
    const regions = addresses.map((address) => resolver.regionOf(address));
    assert.deepEqual(Object.fromEntries(resolver.lookups), {
      "128.112.1.1": 1,
      "192.0.2.1": 1,
      "2600:1f18::1": 1,
    });
    assert.equal(resolver.distinctAddresses, 3);
    // The cache answers what a lookup would.
    const fresh = new RegionResolver(null);
    assert.deepEqual(
      regions,
      addresses.map((address) => fresh.regionOf(address)),
    );
    assert.equal(regions[0], "US/New Jersey");
  });

  test("the providers' range files refine clouds to their regions", () => {
    const folder = writeRangesFolder(path.join(tempFolder("ranges"), "ranges"));
    const resolver = RegionResolver.create({ ipRangesFolder: folder });
    assert.equal(resolver.regionOf("18.220.4.80"), "AWS/us-east-2");
    assert.equal(resolver.regionOf("3.80.1.1"), "AWS/us-east-1");
    assert.equal(resolver.regionOf("52.94.1.1"), "AWS");
    assert.equal(resolver.regionOf("2600:1f18::1"), "AWS/us-east-1");
    assert.equal(resolver.regionOf("104.155.168.90"), "GCP/us-central1");
    assert.equal(resolver.regionOf("2600:1900:4001::1"), "GCP/us-central1");
    // A regional Azure tag wins over the region-less AzureCloud one, and GitHub over both.
    assert.equal(resolver.regionOf("20.42.1.1"), "Azure/eastus");
    assert.equal(resolver.regionOf("20.1.1.1"), "Azure");
    assert.equal(resolver.regionOf("20.42.7.9"), "GitHub");
    assert.equal(resolver.regionOf("140.82.112.3"), "GitHub");
    // Outside every listed block: the offline databases take over (the bundled snapshot is not read).
    assert.equal(resolver.regionOf("18.221.0.1"), "AWS");
    assert.equal(resolver.regionOf("34.102.1.1"), "GCP");
    assert.equal(resolver.regionOf("128.112.1.1"), "US/New Jersey");
    assert.equal(resolver.regionOf("192.0.2.0"), "bogon");
  });

  test("a ranges folder with a file of unknown shape, or none at all, is a usage error", () => {
    const folder = tempFolder("ranges-bad");
    assert.throws(
      () => ProviderRanges.load(folder),
      (e: Error) => e instanceof UsageError && /holds no range file/.test(e.message),
    );
    fs.writeFileSync(path.join(folder, "other.json"), '{"hello": 1}');
    assert.throws(
      () => ProviderRanges.load(folder),
      (e: Error) => e instanceof UsageError && /other\.json is not AWS/.test(e.message),
    );
    fs.writeFileSync(path.join(folder, "other.json"), "{");
    assert.throws(
      () => ProviderRanges.load(folder),
      (e: Error) => e instanceof UsageError && /other\.json is not valid JSON/.test(e.message),
    );
    assert.throws(
      () => ProviderRanges.load(path.join(folder, "missing")),
      (e: UsageError) =>
        e.code === "ERR_INVALID_IP_RANGES_FOLDER" &&
        /`ipRangesFolder` .*missing is not a readable folder/.test(e.message),
    );
  });
});
