import type { Random } from "./random.js";

/** The objects a generated bucket holds: DANDI blobs (one file each) and Zarrs (many chunk files each). */
export interface AssetPool {
  blobs: { id: string; size: number }[];
  zarrs: { id: string; chunkSize: number }[];
}

export function makeAssetPool(random: Random, blobCount: number, zarrCount: number): AssetPool {
  const blobs = [];
  for (let i = 0; i < blobCount; i++) {
    // Sizes spread over orders of magnitude, from small JSON sidecars to 50 GB NWB files.
    blobs.push({ id: random.uuid(), size: Math.round(10 ** (3 + random.next() * 7.7)) });
  }
  const zarrs = [];
  for (let i = 0; i < zarrCount; i++)
    zarrs.push({ id: random.uuid(), chunkSize: random.int(20_000, 4_000_000) });
  return { blobs, zarrs };
}

/** Address prefixes of the kinds of networks a public scientific bucket hears from. */
const IPV4_PREFIXES: readonly (readonly [string, number])[] = [
  ["3.80", 6], // AWS us-east-1
  ["18.220", 4], // AWS us-east-2
  ["52.94", 2], // AWS us-west-2
  ["35.188", 3], // Google Cloud
  ["104.155", 2], // Google Cloud us-central1
  ["34.121", 2], // Google Cloud
  ["20.42", 2], // Azure
  ["40.76", 1], // Azure
  ["140.82", 2], // GitHub
  ["128.112", 3], // universities and research networks
  ["171.64", 3],
  ["132.239", 3],
  ["155.198", 2],
  ["130.225", 2],
  ["129.97", 2],
  ["133.11", 2],
  ["202.120", 2],
  ["143.107", 1],
  ["73.15", 4], // home connections
  ["24.5", 2],
  ["89.187", 2],
  ["81.2", 2],
  ["192.0.2", 1], // documentation range: located nowhere
];

const IPV6_PREFIXES = ["2600:1f18:", "2a01:4f8:", "2001:4860:", "2607:f8b0:", "2001:db8:"];

export function makeIpPool(random: Random, count: number): string[] {
  const ips: string[] = [];
  for (let i = 0; i < count; i++) {
    if (random.chance(0.04)) {
      const prefix = random.pick(IPV6_PREFIXES);
      const groups = [];
      for (let g = 0; g < 6; g++) groups.push(random.int(0, 0xffff).toString(16));
      ips.push(`${prefix}${groups.join(":")}`);
      continue;
    }
    const prefix = random.weighted(IPV4_PREFIXES);
    const parts = prefix.split(".").length;
    const rest = [];
    for (let p = parts; p < 4; p++) rest.push(random.int(p === 3 ? 1 : 0, p === 3 ? 254 : 255));
    ips.push(`${prefix}.${rest.join(".")}`);
  }
  return ips;
}

export const USER_AGENTS: readonly (readonly [string, number])[] = [
  ["git-annex/10.20230626-g801c4b7", 6],
  ["git-annex/8.20211028-g1c76278", 3],
  ["dandi/0.61.2 requests/2.31.0 CPython/3.11.5", 6],
  ["python-requests/2.31.0", 4],
  ["Botocore/1.34.11 ucred/3.11.7 md/pyimpl#CPython", 3],
  ["aws-cli/2.15.10 Python/3.11.6 Linux/6.2.0-1018-aws exe/x86_64.ubuntu.22 prompt/off command/s3.cp", 3],
  ["fsspec/2024.2.0 s3fs/2024.2.0 aiobotocore/2.11.2 botocore/1.34.34 Python/3.12.1", 4],
  [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    8,
  ],
  [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    6,
  ],
  [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    4,
  ],
  ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:123.0) Gecko/20100101 Firefox/123.0", 3],
  ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 1],
  ["curl/8.5.0", 2],
  ["Wget/1.21.4", 1],
  ["-", 3],
];

export const REFERERS: readonly (readonly [string, number])[] = [
  ["-", 60],
  ["https://neuroglancer-demo.appspot.com/", 12],
  ["https://dandiarchive.org/", 6],
  ["https://gui.dandiarchive.org/", 4],
  ["https://nwbexplorer.opensourcebrain.org/", 2],
  ["https://www.google.com/", 1],
];

export const CIPHERS = [
  "ECDHE-RSA-AES128-GCM-SHA256",
  "TLS_AES_128_GCM_SHA256",
  "ECDHE-RSA-AES256-GCM-SHA384",
];
