/**
 * The kinds of asset DANDI's usage page groups bytes by (`by_asset_type_per_week.tsv`), told from
 * an asset path's suffixes as DANDI's own summaries tell them: every dot of the file name starts a
 * suffix, compared without case, and the first rule that matches wins. A Zarr is Microscopy when
 * `.zarr` is its only suffix (`x.ome.zarr` is Microscopy by `.ome`, `x.nwb.zarr` Neurophysiology).
 */
export const ASSET_TYPES = ["Neurophysiology", "Microscopy", "Video", "Miscellaneous"] as const;
export type AssetType = (typeof ASSET_TYPES)[number];

const NEUROPHYSIOLOGY = new Set([".nwb"]);
const MICROSCOPY = new Set([".nii", ".ome", ".tiff", ".tif", ".bvecs", ".bvals", ".trk"]);
const VIDEO = new Set([".mp4", ".mov", ".wmv", ".avi", ".mkv"]);

/** The type of the asset at `assetPath` (`sub-01/sub-01_ecephys.nwb` -> Neurophysiology). */
export function assetTypeOf(assetPath: string): AssetType {
  const suffixes = suffixesOf(assetPath);
  if (suffixes.some((suffix) => NEUROPHYSIOLOGY.has(suffix))) return "Neurophysiology";
  if (suffixes.some((suffix) => MICROSCOPY.has(suffix))) return "Microscopy";
  if (suffixes.length === 1 && suffixes[0] === ".zarr") return "Microscopy";
  if (suffixes.some((suffix) => VIDEO.has(suffix))) return "Video";
  return "Miscellaneous";
}

/**
 * The suffixes of a path's last part, lower-cased: `a.nii.gz` -> `.nii`, `.gz`. A leading dot
 * (`.zattrs`) starts no suffix, and a name ending in a dot has none, as Python's pathlib has it.
 */
function suffixesOf(assetPath: string): string[] {
  const name = assetPath.slice(assetPath.lastIndexOf("/") + 1).toLowerCase();
  if (name.endsWith(".")) return [];
  const parts = name.replace(/^\.+/, "").split(".");
  return parts.slice(1).map((part) => `.${part}`);
}
