import * as fs from "node:fs";
import * as path from "node:path";
import type { ObjectType } from "../dandi/catalog.js";
import { isUuid } from "../dandi/catalog.js";

/** `blobs:<uuid>` or `zarr:<uuid>`: one binned object. */
export type ObjectKey = string;

export function objectKeyOf(type: ObjectType, id: string): ObjectKey {
  return `${type}:${id}`;
}

/** Where the bin step puts an object's file, relative to the binned folder. */
export function binnedPathOf(key: ObjectKey): string {
  const [type, id] = key.split(":");
  return type === "blobs" ? `blobs/${id.slice(0, 3)}/${id.slice(3, 6)}/${id}.tsv` : `zarr/${id}.tsv`;
}

/**
 * The objects that have a binned file: `blobs/aaa/bbb/<uuid>.tsv` and `zarr/<uuid>.tsv`. One
 * listing up front instead of a `stat` per catalog asset: the catalog lists far more assets than
 * were ever downloaded. Files of any other shape are not objects and are left out.
 */
export function listBinnedObjects(binnedFolder: string): Set<ObjectKey> {
  const objects = new Set<ObjectKey>();
  const blobs = path.join(binnedFolder, "blobs");
  if (fs.existsSync(blobs)) {
    for (const entry of fs.readdirSync(blobs, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".tsv")) continue;
      const id = entry.name.slice(0, -4);
      if (!isUuid(id)) continue;
      const relative = path
        .relative(binnedFolder, path.join(entry.parentPath, entry.name))
        .split(path.sep)
        .join("/");
      if (relative === binnedPathOf(objectKeyOf("blobs", id))) objects.add(objectKeyOf("blobs", id));
    }
  }
  const zarr = path.join(binnedFolder, "zarr");
  if (fs.existsSync(zarr)) {
    for (const entry of fs.readdirSync(zarr, { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".tsv")) continue;
      const id = entry.name.slice(0, -4);
      if (isUuid(id)) objects.add(objectKeyOf("zarr", id));
    }
  }
  return objects;
}
