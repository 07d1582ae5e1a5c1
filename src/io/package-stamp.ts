import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "node:zlib";

/** Bytes of each end of a file that its stamp checks. */
const SAMPLE_BYTES = 64 * 1024;

/**
 * A name for what a cache keeps of a file of an installed package: the package's version, the
 * file's size and a checksum of its first and last 64 KB, letters, digits, dots and dashes only.
 * It changes with the file's content and stays the same when the same version is installed again
 * (`npm ci` gives every file a new time, which named these caches before and so emptied them on each
 * fresh install). npm never changes a published version's files, so the whole file is not hashed:
 * hashing the 32 MB ASN table would cost every map run about 0.05 s, more than reading its cache.
 * Null when the file or its package cannot be read.
 */
export function packageFileStamp(file: string): string | null {
  try {
    const version = packageVersionOf(file);
    const fd = fs.openSync(file, "r");
    try {
      const size = fs.fstatSync(fd).size;
      const head = Buffer.allocUnsafe(Math.min(SAMPLE_BYTES, size));
      fs.readSync(fd, head, 0, head.length, 0);
      const tail = Buffer.allocUnsafe(Math.min(SAMPLE_BYTES, size));
      fs.readSync(fd, tail, 0, tail.length, size - tail.length);
      const check = crc32(tail, crc32(head)).toString(36);
      return `${version.replace(/[^0-9A-Za-z.-]/g, "")}-${size.toString(36)}-${check}`;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** The version in the `package.json` of the package that holds `file` (the nearest one above it with a name). */
export function packageVersionOf(file: string): string {
  for (let folder = path.dirname(path.resolve(file)); ; folder = path.dirname(folder)) {
    const manifest = path.join(folder, "package.json");
    if (fs.existsSync(manifest)) {
      const json = JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown; version?: unknown };
      if (typeof json.name === "string" && typeof json.version === "string") return json.version;
    }
    if (path.dirname(folder) === folder) throw new Error(`no package.json with a version above ${file}`);
  }
}
