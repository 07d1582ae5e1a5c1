import { CloudAsnTable } from "./asn-table.js";
import { CityDatabase } from "./city-database.js";
import { loadDefaultRanges } from "./default-ranges.js";
import { parseIp } from "./ip-address.js";
import { ProviderRanges } from "./provider-ranges.js";
import { specialAddresses } from "./special-addresses.js";

/** Addresses nothing knows, and text that is no address. */
export const UNKNOWN_REGION = "unknown";
/** Addresses that are not globally routable (private, loopback, documentation, …), as DANDI names them. */
export const BOGON_REGION = "bogon";

export interface RegionResolverOptions {
  /**
   * A folder of the providers' range files (see `ProviderRanges`), read instead of the package's
   * snapshot and the copies `update-ip-ranges` keeps.
   */
  ipRangesFolder?: string;
}

/**
 * Turns IP addresses into coarse regions, offline, in this order: addresses that are not globally
 * routable (private, documentation, …) are `bogon`; the providers' range files name a cloud and its
 * region (`AWS/us-east-1`); the ASN table names a cloud without region; the DB-IP city database
 * gives `CC/State`; anything else is `unknown`. Each distinct address is resolved once per resolver.
 * The cache holds addresses in memory only and is never written anywhere.
 */
export class RegionResolver {
  private readonly cache = new Map<string, string>();
  private asn: CloudAsnTable | null = null;
  private readonly city = new CityDatabase();

  /**
   * `ranges`: the providers' blocks to use; left out, the package's snapshot or the newer copies
   * `update-ip-ranges` keeps, read at the first lookup that needs them; null, none.
   */
  constructor(private ranges?: ProviderRanges | null) {}

  static create(options: RegionResolverOptions = {}): RegionResolver {
    return new RegionResolver(
      options.ipRangesFolder === undefined ? undefined : ProviderRanges.load(options.ipRangesFolder),
    );
  }

  regionOf(address: string): string {
    let region = this.cache.get(address);
    if (region === undefined) {
      region = this.resolve(address);
      this.cache.set(address, region);
    }
    return region;
  }

  /** The distinct addresses resolved so far (in memory only, like the cache). */
  addresses(): IterableIterator<string> {
    return this.cache.keys();
  }

  /** Distinct addresses resolved so far. */
  get distinctAddresses(): number {
    return this.cache.size;
  }

  /** The lookup behind the cache, once per distinct address (a test counts its calls). */
  protected resolve(address: string): string {
    const ip = parseIp(address);
    if (ip === null) return UNKNOWN_REGION;
    if (specialAddresses.lookup(ip) !== undefined) return BOGON_REGION;
    // Read on first need: a run that resolves nothing (nothing new to map) never pays for it.
    if (this.ranges === undefined) this.ranges = loadDefaultRanges();
    const fromRanges = this.ranges?.regionOf(ip);
    if (fromRanges != null) return fromRanges;
    this.asn ??= CloudAsnTable.load();
    const cloud = this.asn.lookup(ip);
    if (cloud !== null) return cloud;
    return this.city.regionOf(ip) ?? UNKNOWN_REGION;
  }
}
