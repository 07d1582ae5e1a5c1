import * as fs from "node:fs";
import { checkPath } from "../check-options.js";
import { type LibraryErrorOptions, UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { isUuidAt } from "./object-key.js";

/**
 * What the map step needs to know of the archive: every Dandiset, its versions, and each version's
 * assets with the blob or Zarr behind them. The same shape is the offline snapshot file:
 * `{"dandisets":[{"identifier","versions":[{"version","assets":[{"asset_id","path","blob","zarr","size"}]}]}]}`.
 */
export interface CatalogAsset {
  asset_id: string;
  path: string;
  blob: string | null;
  zarr: string | null;
  size: number;
}

export interface CatalogVersion {
  version: string;
  assets: CatalogAsset[];
}

export interface CatalogDandiset {
  identifier: string;
  /** The Dandiset's title (its draft's name), shown beside its identifier; absent in older snapshots. */
  name?: string;
  /**
   * `OPEN`, `EMBARGOED` or `UNEMBARGOING`, as the API says; absent in older snapshots, which held
   * only what the API showed without a key (open Dandisets). A Dandiset that is not open is never
   * published unless asked for: its assets' names would show.
   */
  embargo_status?: string;
  versions: CatalogVersion[];
}

export const EMBARGO_STATUSES = ["OPEN", "EMBARGOED", "UNEMBARGOING"] as const;

/** Whether a Dandiset of the catalog is open to all (as any Dandiset of a snapshot without the status is). */
export function isOpen(dandiset: CatalogDandiset): boolean {
  return (dandiset.embargo_status ?? "OPEN") === "OPEN";
}

export interface Catalog {
  dandisets: CatalogDandiset[];
}

export type ObjectType = "blobs" | "zarr";

/** The binned object behind an asset: a Zarr when `zarr` is set, else its blob. */
export function objectOf(asset: CatalogAsset): { type: ObjectType; id: string } {
  return asset.zarr !== null ? { type: "zarr", id: asset.zarr } : { type: "blobs", id: asset.blob! };
}

/** DANDI identifiers are six digits; they become folder names, so nothing else is accepted. */
export const DANDISET_IDENTIFIER = /^\d{6}$/;
/** `draft` or `0.210812.1448`; also a folder name, so no separators and no leading dot. */
const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;

/** A catalog (a snapshot file or one in memory) that is not the shape of DESIGN.md's snapshot. */
export class CatalogError extends UsageError {
  override name = "CatalogError";
  constructor(message: string, options: LibraryErrorOptions = {}) {
    super(message, { code: "ERR_INVALID_CATALOG", ...options });
  }
}

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && value.length === 36 && isUuidAt(Buffer.from(value, "latin1"), 0);
}

/**
 * Checks one asset as the API or a snapshot gives it and keeps the five fields used. `where` names
 * the file or URL and the position, so the message says exactly what to fix.
 */
export function toCatalogAsset(value: unknown, where: string): CatalogAsset {
  if (typeof value !== "object" || value === null)
    throw new CatalogError(`${where}: an asset must be an object`);
  const asset = value as Record<string, unknown>;
  const blob = asset.blob ?? null;
  const zarr = asset.zarr ?? null;
  if (
    typeof asset.path !== "string" ||
    asset.path === "" ||
    asset.path.includes("\0") ||
    asset.path.endsWith("/")
  ) {
    throw new CatalogError(`${where}.path must be the asset's path, such as "sub-01/sub-01_ecephys.nwb"`);
  }
  if (blob !== null && !isUuid(blob))
    throw new CatalogError(`${where}.blob must be a lowercase UUID or null, not ${JSON.stringify(blob)}`);
  if (zarr !== null && !isUuid(zarr))
    throw new CatalogError(`${where}.zarr must be a lowercase UUID or null, not ${JSON.stringify(zarr)}`);
  if (blob === null && zarr === null)
    throw new CatalogError(`${where} (${asset.path}) has neither a blob nor a zarr id`);
  const size = asset.size ?? 0;
  if (typeof size !== "number" || !Number.isFinite(size) || size < 0) {
    throw new CatalogError(`${where}.size must be a number of bytes, not ${JSON.stringify(asset.size)}`);
  }
  const assetId = asset.asset_id ?? "";
  if (typeof assetId !== "string") throw new CatalogError(`${where}.asset_id must be a string`);
  return {
    asset_id: assetId,
    path: asset.path,
    blob: blob as string | null,
    zarr: zarr as string | null,
    size,
  };
}

export function checkDandisetIdentifier(value: unknown, where: string): string {
  if (typeof value !== "string" || !DANDISET_IDENTIFIER.test(value)) {
    throw new CatalogError(
      `${where}.identifier must be six digits such as "000003", not ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function checkVersionName(value: unknown, where: string): string {
  if (typeof value !== "string" || !VERSION_NAME.test(value) || /\.(tsv|json)$/.test(value)) {
    throw new CatalogError(
      `${where}.version must be "draft" or a version such as "0.210812.1448", not ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Checks a parsed snapshot; `source` (a file name) starts every message. */
export function toCatalog(value: unknown, source: string): Catalog {
  if (typeof value !== "object" || value === null || !Array.isArray((value as Catalog).dandisets)) {
    throw new CatalogError(`${source}: expected an object {"dandisets": [...]}, as writeCatalog writes it`);
  }
  const seen = new Set<string>();
  const dandisets = (value as { dandisets: unknown[] }).dandisets.map((item, d) => {
    const where = `${source}: dandisets[${d}]`;
    if (typeof item !== "object" || item === null) throw new CatalogError(`${where} must be an object`);
    const raw = item as Record<string, unknown>;
    const identifier = checkDandisetIdentifier(raw.identifier, where);
    if (seen.has(identifier)) throw new CatalogError(`${where}: Dandiset ${identifier} is listed twice`);
    seen.add(identifier);
    if (!Array.isArray(raw.versions)) throw new CatalogError(`${where}.versions must be a list`);
    const extra = checkDandisetFields(raw, where);
    const versionNames = new Set<string>();
    const versions = raw.versions.map((rawVersion: unknown, v: number) => {
      const whereVersion = `${where}.versions[${v}]`;
      if (typeof rawVersion !== "object" || rawVersion === null)
        throw new CatalogError(`${whereVersion} must be an object`);
      const version = rawVersion as Record<string, unknown>;
      const name = checkVersionName(version.version, whereVersion);
      if (versionNames.has(name)) throw new CatalogError(`${whereVersion}: version ${name} is listed twice`);
      versionNames.add(name);
      if (!Array.isArray(version.assets)) throw new CatalogError(`${whereVersion}.assets must be a list`);
      const assets = version.assets.map((asset: unknown, a: number) =>
        toCatalogAsset(asset, `${whereVersion}.assets[${a}]`),
      );
      return { version: name, assets };
    });
    return { identifier, ...extra, versions };
  });
  return { dandisets };
}

/** A Dandiset's name and embargo status, when given, checked. */
function checkDandisetFields(
  raw: Record<string, unknown>,
  where: string,
): Pick<CatalogDandiset, "name" | "embargo_status"> {
  const fields: Pick<CatalogDandiset, "name" | "embargo_status"> = {};
  if (raw.name !== undefined && raw.name !== null) {
    if (typeof raw.name !== "string") throw new CatalogError(`${where}.name must be a string`);
    fields.name = raw.name;
  }
  if (raw.embargo_status !== undefined) {
    if (!EMBARGO_STATUSES.includes(raw.embargo_status as never))
      throw new CatalogError(
        `${where}.embargo_status must be one of ${EMBARGO_STATUSES.join(", ")}, not ${JSON.stringify(raw.embargo_status)}`,
      );
    fields.embargo_status = raw.embargo_status as string;
  }
  return fields;
}

export function loadCatalog(file: string): Catalog {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new CatalogError(
      `\`catalog\` ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass a catalog snapshot, as writeCatalog writes it`,
      { code: "ERR_CATALOG_NOT_READABLE", optionNames: ["catalog"] },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CatalogError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return toCatalog(value, file);
}

/**
 * Writes a snapshot atomically, one asset per line: small diffs between snapshots, and a file a
 * person can still read.
 */
export function writeCatalog(file: string, catalog: Catalog): void {
  checkPath(file, "file", true);
  toCatalog(catalog, "catalog");
  const parts: string[] = ['{"dandisets": ['];
  catalog.dandisets.forEach((dandiset, d) => {
    const head: Record<string, string> = { identifier: dandiset.identifier };
    if (dandiset.name !== undefined) head.name = dandiset.name;
    if (dandiset.embargo_status !== undefined) head.embargo_status = dandiset.embargo_status;
    parts.push(`${d === 0 ? "" : ","}\n  ${JSON.stringify(head).slice(0, -1)}, "versions": [`);
    dandiset.versions.forEach((version, v) => {
      parts.push(`${v === 0 ? "" : ","}\n    {"version": ${JSON.stringify(version.version)}, "assets": [`);
      version.assets.forEach((asset, a) => {
        const fields = {
          asset_id: asset.asset_id,
          path: asset.path,
          blob: asset.blob,
          zarr: asset.zarr,
          size: asset.size,
        };
        parts.push(`${a === 0 ? "" : ","}\n      ${JSON.stringify(fields)}`);
      });
      parts.push(version.assets.length > 0 ? "\n    ]}" : "]}");
    });
    parts.push(dandiset.versions.length > 0 ? "\n  ]}" : "]}");
  });
  parts.push(catalog.dandisets.length > 0 ? "\n]}\n" : "]}\n");
  writeFileAtomic(file, parts.join(""));
}
