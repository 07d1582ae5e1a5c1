import { createHash } from "node:crypto";
import * as path from "node:path";
import { type Catalog, type CatalogDandiset, isOpen, type ObjectType, objectOf } from "../dandi/catalog.js";
import { selectDandisets } from "../dandi/selection.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import { versionTableNames } from "./asset-file-names.js";
import { type ObjectKey, objectKeyOf } from "./binned-objects.js";
import type { MapOptions } from "./map-options.js";

/**
 * The plan of a map run: every Dandiset the mapped folder will hold, as its versions and assets,
 * each asset with the table name it gets and the binned object behind it.
 */

/** One asset of one version, as a table name and the object behind it. */
export interface AssetEntry {
  version: string;
  path: string;
  fileName: string;
  object: ObjectKey;
}

/** A Dandiset as the mapped folder holds it: its assets, from this run's catalog or a stored one. */
export interface DandisetPlan {
  identifier: string;
  fingerprint: string;
  /** Versions in catalog order, with every asset (accessed or not) of the mapped object types. */
  versions: { version: string; entries: AssetEntry[] }[];
  entriesOf: Map<ObjectKey, AssetEntry[]>;
  /** Its title, when the catalog gives one. */
  name: string | null;
  /** Open to all (not embargoed): only open Dandisets are published, unless asked otherwise. */
  open: boolean;
}

export function freshPlans(catalog: Catalog, options: MapOptions): Map<string, DandisetPlan> {
  const selected = new Set(
    selectDandisets(
      catalog.dandisets.map((d) => d.identifier),
      options,
    ),
  );
  const plans = new Map<string, DandisetPlan>();
  for (const dandiset of catalog.dandisets) {
    if (selected.has(dandiset.identifier) && !plans.has(dandiset.identifier))
      plans.set(dandiset.identifier, planDandiset(dandiset, options.objectType));
  }
  return plans;
}

/** Whether this run's selection covers `identifier`, so that its absence from the catalog means it is gone. */
export function isSelectedBy(identifier: string, options: MapOptions): boolean {
  if (options.limit !== undefined) return false;
  if ((options.excluded ?? []).includes(identifier)) return false;
  const restrict = options.restrictTo ?? [];
  return restrict.length === 0 || restrict.includes(identifier);
}

export function planDandiset(dandiset: CatalogDandiset, objectType?: ObjectType): DandisetPlan {
  const versions: DandisetPlan["versions"] = [];
  for (const version of dandiset.versions) {
    // The same asset listed twice is one asset; two assets under one path are two tables.
    const seen = new Set<string>();
    const assets: { path: string; object: ObjectKey; type: ObjectType }[] = [];
    for (const asset of version.assets) {
      const { type, id } = objectOf(asset);
      const object = objectKeyOf(type, id);
      const key = `${asset.path}\n${object}`;
      if (seen.has(key)) continue;
      seen.add(key);
      assets.push({ path: asset.path, object, type });
    }
    // Names are handed out over every asset of the version, whatever the object type mapped.
    const fileNames = versionTableNames(assets);
    const entries: AssetEntry[] = [];
    assets.forEach((asset, i) => {
      if (objectType !== undefined && asset.type !== objectType) return;
      entries.push({
        version: version.version,
        path: asset.path,
        fileName: fileNames[i],
        object: asset.object,
      });
    });
    versions.push({ version: version.version, entries });
  }
  return planOf(dandiset.identifier, versions, dandiset.name ?? null, isOpen(dandiset));
}

export function planOf(
  identifier: string,
  versions: DandisetPlan["versions"],
  name: string | null = null,
  open = true,
): DandisetPlan {
  const entriesOf = entriesOfVersions(versions);
  // The name too: it is written in the Dandiset's totals, which a run from scratch would write anew.
  const fingerprint = createHash("sha256")
    .update(JSON.stringify({ name, versions }))
    .digest("hex")
    .slice(0, 32);
  return { identifier, fingerprint, versions, entriesOf, name, open };
}

/** Each object's entries, in the order of the versions and their assets. */
export function entriesOfVersions(versions: DandisetPlan["versions"]): Map<ObjectKey, AssetEntry[]> {
  const entriesOf = new Map<ObjectKey, AssetEntry[]>();
  for (const { entries } of versions) {
    for (const entry of entries) {
      const list = entriesOf.get(entry.object);
      if (list === undefined) entriesOf.set(entry.object, [entry]);
      else list.push(entry);
    }
  }
  return entriesOf;
}

export const byIdentifier = (a: { identifier: string }, b: { identifier: string }) =>
  a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0;

export function readStoredPlan(stateFolder: string, identifier: string): DandisetPlan | null {
  const text = readTextIfExists(path.join(stateFolder, "catalog", `${identifier}.json`));
  if (text === null) return null;
  const stored = JSON.parse(text) as StoredPlan;
  return planOf(identifier, stored.versions, stored.name, stored.open);
}

/** A Dandiset's plan as kept for runs over part of the catalog. */
interface StoredPlan {
  name: string | null;
  open: boolean;
  versions: DandisetPlan["versions"];
}

export function storedPlanText(plan: DandisetPlan): string {
  const stored: StoredPlan = { name: plan.name, open: plan.open, versions: plan.versions };
  return `${JSON.stringify(stored)}\n`;
}

/**
 * The path an object is listed under in a Dandiset's asset summary: its path in the draft, else in
 * the newest published version (`0.YYMMDD.HHMM` names sort by date), the first in path order if
 * the object appears twice there.
 */
export function displayPathOf(entries: AssetEntry[]): string {
  const rank = (version: string) => (version === "draft" ? "\uffff" : version);
  let best = entries[0];
  for (const entry of entries.slice(1)) {
    const a = rank(entry.version);
    const b = rank(best.version);
    if (a > b || (a === b && entry.path < best.path)) best = entry;
  }
  return best.path;
}

/** An asset path as a TSV cell: DANDI paths hold no tabs or line ends, but one would break the table. */
export function cellOf(assetPath: string): string {
  return assetPath.replace(/[\t\r\n]/g, " ");
}
