import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../errors.js";
import { type ParsedIp, parseCidr } from "./ip-address.js";
import { PrefixTable } from "./prefix-table.js";

/**
 * The cloud providers' own lists of their address blocks, from a folder the user fills:
 * AWS `ip-ranges.json`, GCP `cloud.json`, GitHub `meta` and Azure service tags
 * (`ServiceTags_Public_*.json`). Files are recognised by their content, not their names, since
 * each provider names its downloads differently. These lists name the region of a block, which the
 * ASN table cannot.
 */
export type Provider = "GitHub" | "AWS" | "GCP" | "Azure";

/**
 * GitHub comes first: its Actions runners live in Azure blocks that Azure also lists, and "GitHub"
 * says more (a CI job) than the Azure region would.
 */
const PRECEDENCE: readonly Provider[] = ["GitHub", "AWS", "GCP", "Azure"];

export class ProviderRanges {
  private readonly tables = new Map<Provider, PrefixTable<string>>();
  /** The files read, by provider, for messages. */
  readonly files = new Map<Provider, string[]>();

  regionOf(ip: ParsedIp): string | null {
    for (const provider of PRECEDENCE) {
      const found = this.tables.get(provider)?.lookup(ip);
      if (found !== undefined) return found;
    }
    return null;
  }

  get blockCount(): number {
    let count = 0;
    for (const table of this.tables.values()) count += table.size;
    return count;
  }

  /** Reads every provider file in `folder`; a JSON file of no known shape is a usage error. */
  static load(folder: string, option = "ipRangesFolder"): ProviderRanges {
    const ranges = new ProviderRanges();
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      throw new UsageError(
        `\`${option}\` ${folder} is not a readable folder; pass the folder holding the providers' range files`,
        { code: "ERR_INVALID_IP_RANGES_FOLDER", optionNames: [option] },
      );
    }
    const names = entries
      .filter((entry) => entry.isFile() && (entry.name.endsWith(".json") || entry.name === "meta"))
      .map((entry) => entry.name)
      .sort();
    for (const name of names) ranges.addFile(path.join(folder, name), option);
    if (ranges.files.size === 0) {
      throw new UsageError(
        `\`${option}\` ${folder} holds no range file; put AWS ip-ranges.json, GCP cloud.json, GitHub meta or Azure ServiceTags_Public_*.json in it`,
        { code: "ERR_INVALID_IP_RANGES_FOLDER", optionNames: [option] },
      );
    }
    return ranges;
  }

  private addFile(file: string, option: string): void {
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
      throw new UsageError(
        `\`${option}\`: ${file} is not valid JSON (${(error as Error).message}); download it again`,
        { code: "ERR_INVALID_IP_RANGES_FOLDER", optionNames: [option] },
      );
    }
    const provider = providerOf(data);
    if (provider === null) {
      throw new UsageError(
        `\`${option}\`: ${file} is not AWS ip-ranges.json, GCP cloud.json, GitHub meta or Azure service tags; remove it from the folder`,
        { code: "ERR_INVALID_IP_RANGES_FOLDER", optionNames: [option] },
      );
    }
    let table = this.tables.get(provider);
    if (table === undefined) {
      table = new PrefixTable<string>();
      this.tables.set(provider, table);
    }
    const add = (cidr: unknown, region: string) => {
      if (typeof cidr !== "string") return;
      const parsed = parseCidr(cidr.trim());
      if (parsed !== null) table.add(parsed, region);
    };
    const record = data as Record<string, unknown>;
    if (provider === "AWS") {
      for (const entry of arrayOf(record.prefixes)) add(entry.ip_prefix, named("AWS", entry.region));
      for (const entry of arrayOf(record.ipv6_prefixes)) add(entry.ipv6_prefix, named("AWS", entry.region));
    } else if (provider === "GCP") {
      for (const entry of arrayOf(record.prefixes)) {
        add(entry.ipv4Prefix ?? entry.ipv6Prefix, named("GCP", entry.scope));
      }
    } else if (provider === "Azure") {
      // Regional tags first: the same block also appears under region-less tags such as AzureCloud.
      const values = arrayOf(record.values).map(
        (value) => (value.properties ?? {}) as Record<string, unknown>,
      );
      for (const regional of [true, false]) {
        for (const properties of values) {
          const region = typeof properties.region === "string" ? properties.region : "";
          if ((region !== "") !== regional) continue;
          for (const cidr of Array.isArray(properties.addressPrefixes) ? properties.addressPrefixes : []) {
            add(cidr, named("Azure", region));
          }
        }
      }
    } else {
      for (const value of Object.values(record)) {
        if (Array.isArray(value)) for (const cidr of value) add(cidr, "GitHub");
      }
    }
    this.files.set(provider, [...(this.files.get(provider) ?? []), file]);
  }
}

function providerOf(data: unknown): Provider | null {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  const record = data as Record<string, unknown>;
  if (Array.isArray(record.prefixes)) {
    const first = arrayOf(record.prefixes)[0] ?? {};
    if ("ip_prefix" in first || Array.isArray(record.ipv6_prefixes)) return "AWS";
    if ("ipv4Prefix" in first || "ipv6Prefix" in first || "scope" in first) return "GCP";
    return null;
  }
  if (Array.isArray(record.values) && "changeNumber" in record) return "Azure";
  if (Array.isArray(record.hooks) || Array.isArray(record.actions) || Array.isArray(record.git))
    return "GitHub";
  return null;
}

function arrayOf(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is Record<string, unknown> => typeof item === "object" && item !== null);
}

/** `AWS/us-east-2`; just `AWS` for blocks without a region (AWS `GLOBAL`, GCP `global`). */
function named(provider: Provider, region: unknown): string {
  const cleaned = typeof region === "string" ? region.replace(/[^A-Za-z0-9_.-]+/g, "") : "";
  return cleaned === "" || cleaned.toLowerCase() === "global" ? provider : `${provider}/${cleaned}`;
}
