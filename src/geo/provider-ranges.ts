import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../errors.js";
import { type ParsedIp, parseCidr } from "./ip-address.js";
import { PrefixTable } from "./prefix-table.js";
import { RangeBlocks, readRangeCache, writeRangeCache } from "./range-cache.js";
import { SOURCES_FILE } from "./range-files.js";

/**
 * The cloud providers' own lists of their address blocks: AWS `ip-ranges.json`, GCP `cloud.json`,
 * GitHub `meta` and Azure service tags (`ServiceTags_Public_*.json`). Files are recognised by their
 * content, not their names, since each provider names its downloads differently. These lists name
 * the region of a block, which the ASN table cannot.
 */
export type Provider = "GitHub" | "AWS" | "GCP" | "Azure";

/**
 * GitHub comes first: its Actions runners live in Azure blocks that Azure also lists, and "GitHub"
 * says more (a CI job) than the Azure region would.
 */
const PRECEDENCE: readonly Provider[] = ["GitHub", "AWS", "GCP", "Azure"];

/** How a file that cannot be read is reported: a usage error for a folder the user gave, else the caller's. */
export type RangeFileProblem = (message: string, cause?: unknown) => Error;

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
    const problem: RangeFileProblem = (message, cause) =>
      new UsageError(`\`${option}\`: ${message}`, {
        code: "ERR_INVALID_IP_RANGES_FOLDER",
        optionNames: [option],
        cause,
      });
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
      // The note `update-ip-ranges` keeps beside its files, so that its folder can be given too.
      .filter((name) => name !== SOURCES_FILE)
      .sort();
    const ranges = ProviderRanges.fromFiles(
      names.map((name) => path.join(folder, name)),
      problem,
    );
    if (ranges.files.size === 0) {
      throw new UsageError(
        `\`${option}\` ${folder} holds no range file; put AWS ip-ranges.json, GCP cloud.json, GitHub meta or Azure ServiceTags_Public_*.json in it`,
        { code: "ERR_INVALID_IP_RANGES_FOLDER", optionNames: [option] },
      );
    }
    return ranges;
  }

  /** Reads the given provider files, in this order (a block listed twice keeps its first region). */
  static fromFiles(files: readonly string[], problem: RangeFileProblem): ProviderRanges {
    const ranges = new ProviderRanges();
    for (const file of files) ranges.addFile(file, problem);
    return ranges;
  }

  private addFile(file: string, problem: RangeFileProblem): void {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (error) {
      throw problem(`cannot read ${file} (${(error as Error).message})`, error);
    }
    const parsed = readRangeCache(bytes) ?? writeRangeCache(bytes, blocksOfFile(bytes, file, problem));
    let table = this.tables.get(parsed.provider);
    if (table === undefined) {
      table = new PrefixTable<string>();
      this.tables.set(parsed.provider, table);
    }
    parsed.addTo(table);
    this.files.set(parsed.provider, [...(this.files.get(parsed.provider) ?? []), file]);
  }
}

/** Parses one provider file into its blocks, in the order the table takes them. */
export function blocksOfFile(bytes: Buffer, file: string, problem: RangeFileProblem): RangeBlocks {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw problem(`${file} is not valid JSON (${(error as Error).message}); download it again`, error);
  }
  const provider = providerOf(data);
  if (provider === null) {
    throw problem(
      `${file} is not AWS ip-ranges.json, GCP cloud.json, GitHub meta or Azure service tags; remove it from the folder`,
    );
  }
  return blocksOf(provider, data as Record<string, unknown>);
}

/** The blocks of a provider's parsed file, each block once (its first listing), in file order. */
export function blocksOf(provider: Provider, record: Record<string, unknown>): RangeBlocks {
  const blocks = new RangeBlocks(provider);
  const add = (cidr: unknown, region: string) => {
    if (typeof cidr !== "string") return;
    const parsed = parseCidr(cidr.trim());
    if (parsed !== null) blocks.add(parsed, region);
  };
  if (provider === "AWS") {
    for (const entry of arrayOf(record.prefixes)) add(entry.ip_prefix, named("AWS", entry.region));
    for (const entry of arrayOf(record.ipv6_prefixes)) add(entry.ipv6_prefix, named("AWS", entry.region));
  } else if (provider === "GCP") {
    for (const entry of arrayOf(record.prefixes)) {
      add(entry.ipv4Prefix ?? entry.ipv6Prefix, named("GCP", entry.scope));
    }
  } else if (provider === "Azure") {
    // Regional tags first: the same block also appears under region-less tags such as AzureCloud.
    const values = arrayOf(record.values).map((value) => (value.properties ?? {}) as Record<string, unknown>);
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
  return blocks;
}

/** Which provider's file this parsed JSON is, by its shape; null when none. */
export function providerOf(data: unknown): Provider | null {
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
