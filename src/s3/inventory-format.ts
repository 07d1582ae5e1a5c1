import { UsageError } from "../errors.js";
import type { ListedEntry } from "./listed-entries.js";

/**
 * S3 Inventory reports in CSV: the manifest that names the data files and their columns, and the
 * rows of those files, each field checked so that a malformed report is one line and exit code 2.
 */

/** What a manifest says: the bucket and keys of its data files, and where the needed columns are. */
export interface Manifest {
  bucket: string;
  files: string[];
  keyAt: number;
  sizeAt: number;
  etagAt: number;
}

export function badInventory(problem: string, cause?: unknown): UsageError {
  return new UsageError(`${problem}; check \`inventory\``, {
    code: "ERR_BAD_INVENTORY",
    optionNames: ["inventory"],
    cause,
  });
}

/** An S3 Inventory manifest in CSV format, every field it needs checked. */
export function parseManifest(location: string, text: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badInventory(`inventory manifest ${location} is not JSON (${(error as Error).message})`, error);
  }
  const what = `inventory manifest ${location}`;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw badInventory(`${what} is not an S3 Inventory manifest (a JSON object)`);
  const { destinationBucket, fileFormat, fileSchema, files } = parsed as Record<string, unknown>;
  if (fileFormat !== "CSV")
    throw badInventory(`${what} has fileFormat ${JSON.stringify(fileFormat)}; only CSV inventories are read`);
  if (typeof destinationBucket !== "string" || destinationBucket.replace(/^arn:aws:s3:::/, "") === "")
    throw badInventory(`${what} names no destinationBucket`);
  if (typeof fileSchema !== "string") throw badInventory(`${what} has no fileSchema (its columns)`);
  if (!Array.isArray(files)) throw badInventory(`${what} has no list of files`);
  const keys = files.map((file, i) => {
    const key = (file as { key?: unknown } | null)?.key;
    if (typeof key !== "string" || key === "") throw badInventory(`${what} files[${i}] has no key`);
    return key;
  });
  const columns = fileSchema.split(",").map((name) => name.trim());
  const [keyAt, sizeAt, etagAt] = ["Key", "Size", "ETag"].map((name) => columns.indexOf(name));
  if (keyAt === -1 || sizeAt === -1) throw badInventory(`${what} lists no Key and Size columns`);
  return { bucket: destinationBucket.replace(/^arn:aws:s3:::/, ""), files: keys, keyAt, sizeAt, etagAt };
}

/** One row of an inventory data file; `where` names its file and line for the messages. */
export function inventoryEntry(fields: string[], manifest: Manifest, where: string): ListedEntry {
  const rawKey = fields[manifest.keyAt];
  const rawSize = fields[manifest.sizeAt];
  if (rawKey === undefined || rawKey === "") throw badInventory(`${where} has no Key`);
  if (rawSize === undefined || !/^\d+$/.test(rawSize) || !Number.isSafeInteger(Number(rawSize)))
    throw badInventory(`${where} has no Size in bytes (${JSON.stringify(rawSize ?? null)})`);
  let key: string;
  try {
    key = decodeURIComponent(rawKey.replaceAll("+", " "));
  } catch (error) {
    throw badInventory(`${where}: its Key ${JSON.stringify(rawKey)} is not URL-encoded`, error);
  }
  const etag = manifest.etagAt === -1 ? undefined : fields[manifest.etagAt];
  return { key, size: Number(rawSize), etag: cleanEtag(etag) };
}

export function cleanEtag(etag: string | undefined): string {
  return etag ? etag.replaceAll('"', "") : "-";
}

/** One line of an inventory CSV: fields in double quotes, `""` for a quote inside. */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = "";
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else value += line[i++];
      }
      fields.push(value);
      i++;
    } else {
      const comma = line.indexOf(",", i);
      const end = comma === -1 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}
