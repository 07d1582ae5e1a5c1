/**
 * DANDI object keys. A blob key is `blobs/<first 3 of uuid>/<next 3 of uuid>/<uuid>`; a Zarr key is
 * `zarr/<uuid>/<path inside the Zarr>`, which reduces to `zarr/<uuid>`. Nothing else is an asset key,
 * and since keys later become file paths, this check is what keeps the file system safe.
 */

const SLASH = 0x2f;
const DOT = 0x2e;
const DASH = 0x2d;
const BLOB_PREFIX = Buffer.from("blobs/");
const ZARR_PREFIX = Buffer.from("zarr/");
const UUID_LENGTH = 36;
export const BLOB_KEY_LENGTH = BLOB_PREFIX.length + 8 + UUID_LENGTH;
export const ZARR_KEY_LENGTH = ZARR_PREFIX.length + UUID_LENGTH;

/** 1 for every byte that is not a lowercase hex digit. */
const NOT_HEX = new Uint8Array(256).fill(1);
for (const c of "0123456789abcdef") NOT_HEX[c.charCodeAt(0)] = 0;

/** Whether `buf` holds a lowercase `8-4-4-4-12` UUID at `start`. Branch-free over the hex digits: it runs once per kept line. */
export function isUuidAt(buf: Uint8Array, start: number): boolean {
  if (
    buf[start + 8] !== DASH ||
    buf[start + 13] !== DASH ||
    buf[start + 18] !== DASH ||
    buf[start + 23] !== DASH
  )
    return false;
  let bad = 0;
  for (let i = start; i < start + 8; i++) bad |= NOT_HEX[buf[i]];
  for (let i = start + 9; i < start + 13; i++) bad |= NOT_HEX[buf[i]];
  for (let i = start + 14; i < start + 18; i++) bad |= NOT_HEX[buf[i]];
  for (let i = start + 19; i < start + 23; i++) bad |= NOT_HEX[buf[i]];
  for (let i = start + 24; i < start + UUID_LENGTH; i++) bad |= NOT_HEX[buf[i]];
  return bad === 0;
}

function hasPrefix(buf: Uint8Array, start: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

/**
 * Where the reduced asset key of `buf[start, end)` ends, or -1 when the key is not a DANDI asset key.
 * The reduced key always starts at `start`: a blob key is kept whole, a Zarr key is cut after its uuid.
 */
export function assetKeyEnd(buf: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length === BLOB_KEY_LENGTH && hasPrefix(buf, start, BLOB_PREFIX)) {
    const uuid = start + 14;
    const ok =
      buf[start + 9] === SLASH &&
      buf[start + 13] === SLASH &&
      buf[start + 6] === buf[uuid] &&
      buf[start + 7] === buf[uuid + 1] &&
      buf[start + 8] === buf[uuid + 2] &&
      buf[start + 10] === buf[uuid + 3] &&
      buf[start + 11] === buf[uuid + 4] &&
      buf[start + 12] === buf[uuid + 5] &&
      isUuidAt(buf, uuid);
    return ok ? end : -1;
  }
  if (length >= ZARR_KEY_LENGTH && hasPrefix(buf, start, ZARR_PREFIX)) {
    const keyEnd = start + ZARR_KEY_LENGTH;
    if (!isUuidAt(buf, start + ZARR_PREFIX.length)) return -1;
    if (keyEnd === end) return keyEnd;
    if (buf[keyEnd] !== SLASH) return -1;
    for (let i = keyEnd + 1; i < end - 1; i++) if (buf[i] === DOT && buf[i + 1] === DOT) return -1;
    return keyEnd;
  }
  return -1;
}

const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/** The reduced asset key of `key`, or null when it is not a DANDI asset key. */
export function toAssetKey(key: string): string | null {
  if (!PRINTABLE_ASCII.test(key)) return null;
  const buf = Buffer.from(key, "latin1");
  const end = assetKeyEnd(buf, 0, buf.length);
  return end === -1 ? null : key.slice(0, end);
}

/** The binned file's path, relative to the binned folder, for a reduced asset key. */
export function binnedRelativePath(assetKey: string): string {
  return `${assetKey}.tsv`;
}
