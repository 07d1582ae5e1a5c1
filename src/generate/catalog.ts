import { checkOptionsObject, checkWholeNumber, invalidOption } from "../check-options.js";
import type { AssetPool } from "./pools.js";
import { Random } from "./random.js";

/** The offline catalog snapshot of DESIGN.md, as `dandi-s3-log-parser catalog` writes it. */
export interface GeneratedCatalog {
  dandisets: {
    identifier: string;
    versions: {
      version: string;
      assets: { asset_id: string; path: string; blob: string | null; zarr: string | null; size: number }[];
    }[];
  }[];
}

const SUBJECT_KINDS = ["ecephys", "ophys", "behavior+ecephys", "icephys", "behavior"];

/**
 * A catalog that places every object of a generated asset pool in a Dandiset, so generated logs
 * map to something: Dandisets with a draft and some published versions, assets named the BIDS/NWB
 * way, Zarrs as OME-Zarr images. Published versions hold a subset of the draft's assets.
 */
export function generateCatalog(
  pool: AssetPool,
  options: { seed?: number; dandisets?: number } = {},
): GeneratedCatalog {
  const isObjectList = (value: unknown) => Array.isArray(value);
  if (typeof pool !== "object" || pool === null || !isObjectList(pool.blobs) || !isObjectList(pool.zarrs))
    throw invalidOption("pool", "must be an asset pool such as generateRawLogs returns (its assets)");
  checkOptionsObject(options, "generateCatalog");
  checkWholeNumber(options.seed, "seed", 0);
  checkWholeNumber(options.dandisets, "dandisets", 1);
  const random = new Random((options.seed ?? 1) ^ 0xca7a);
  const count = options.dandisets ?? 8;
  const groups: { blobs: AssetPool["blobs"]; zarrs: AssetPool["zarrs"] }[] = Array.from(
    { length: count },
    () => ({ blobs: [], zarrs: [] }),
  );
  // Uneven sizes, as in the archive: a few large Dandisets and a long tail.
  const weights = groups.map((_, i) => 1 / (i + 1));
  const pick = () => random.weighted(weights.map((weight, i) => [i, weight] as const));
  for (const blob of pool.blobs) groups[pick()].blobs.push(blob);
  for (const zarr of pool.zarrs) groups[pick()].zarrs.push(zarr);

  const dandisets = groups.map((group, i) => {
    const identifier = String(i + 1).padStart(6, "0");
    const assets = [
      ...group.blobs.map((blob, n) => {
        const subject = `sub-${String(1 + (n % 12)).padStart(2, "0")}`;
        const kind = random.pick(SUBJECT_KINDS);
        const path = random.chance(0.15)
          ? `${subject}/${subject}_ses-${n + 1}_${kind}.json`
          : `${subject}/${subject}_ses-${String(20200101 + n)}_${kind}.nwb`;
        return { asset_id: random.uuid(), path, blob: blob.id, zarr: null, size: blob.size };
      }),
      ...group.zarrs.map((zarr, n) => ({
        asset_id: random.uuid(),
        path: `sub-${String(n + 1).padStart(2, "0")}/micr/sub-${String(n + 1).padStart(2, "0")}_sample-${n + 1}_SPIM.ome.zarr`,
        blob: null,
        zarr: zarr.id,
        size: zarr.chunkSize * 1000,
      })),
    ].sort((a, b) => (a.path < b.path ? -1 : 1));
    const versions = [];
    const published = random.int(0, 2);
    for (let v = 0; v < published; v++) {
      const subset = assets.filter(() => random.chance(0.8));
      // Published versions are named 0.YYMMDD.HHMM, in order of publication.
      const two = (n: number) => String(n).padStart(2, "0");
      const version = `0.${21 + v}${two(random.int(1, 12))}${two(random.int(1, 28))}.${two(random.int(0, 23))}${two(random.int(0, 59))}`;
      versions.push({ version, assets: subset });
    }
    versions.push({ version: "draft", assets });
    return { identifier, versions };
  });
  return { dandisets };
}
