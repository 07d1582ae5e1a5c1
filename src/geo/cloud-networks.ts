/**
 * Autonomous systems of the clouds and CI services that download from the archive, by the short
 * name used as their region. Only networks that run customers' machines are listed (not CDNs or
 * corporate networks), so that a cloud name means "a job running in that cloud". None of the names
 * is two capital letters, so they never read as a country code.
 */
export const CLOUD_NETWORKS: Readonly<Record<string, readonly number[]>> = {
  AWS: [16509, 14618, 8987, 7224, 38895, 214101],
  GCP: [15169, 396982, 19527, 36384, 36492, 43515, 139070, 139190],
  Azure: [8075, 8068, 8069, 8070, 12076, 3598, 35106],
  GitHub: [36459],
  Oracle: [31898],
  IBM: [36351],
  Alibaba: [45102, 37963, 134963],
  Tencent: [132203, 45090, 133478],
  DigitalOcean: [14061, 393406, 46652],
  Hetzner: [24940, 213230],
  OVH: [16276],
  Linode: [63949],
  Cloudflare: [13335, 209242],
};

export const CLOUD_NAMES: readonly string[] = Object.keys(CLOUD_NETWORKS);

/** ASN -> index into CLOUD_NAMES. */
export const CLOUD_INDEX_OF_ASN: ReadonlyMap<number, number> = new Map(
  CLOUD_NAMES.flatMap((name, index) => CLOUD_NETWORKS[name].map((asn) => [asn, index] as const)),
);
