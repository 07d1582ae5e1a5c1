/**
 * Copies `src[start, end)` to `dst` at `at`, four bytes at a time through DataViews; returns the
 * end in `dst`. For the 3 to 90 bytes of a row's fields this measured 4 to 5 times faster than a
 * byte loop over Buffers, and faster than `Buffer.copy`, whose fixed cost dominates at this size.
 */
export function copyBytes(src: DataView, start: number, end: number, dst: DataView, at: number): number {
  let i = start;
  for (; i + 4 <= end; i += 4, at += 4) dst.setUint32(at, src.getUint32(i, true), true);
  for (; i < end; i++, at++) dst.setUint8(at, src.getUint8(i));
  return at;
}

export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
