import * as fs from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { AbortedError, RunError } from "../errors.js";

/**
 * Raw logs kept compressed: archives often gzip old day files (`DD.log.gz`) and log objects. They
 * are told by their first two bytes, gzip's magic number, not by their name: a log line never
 * starts with byte 0x1f. The reducer reads plain files synchronously, a buffer at a time, so a
 * compressed input is first decompressed, as a stream, into a scratch file it then reads.
 */
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** Whether `file` starts with gzip's magic number. */
export function isGzipFile(file: string): boolean {
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, "r");
  try {
    return fs.readSync(fd, head, 0, 2, 0) === 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Decompresses `input` into `output` (created readable by its owner only: it holds raw lines,
 * addresses in clear), every gzip member of it in turn, as `gzip -d` does. `name` is what messages
 * call the input. Returns the size of the output.
 */
export async function gunzipFile(
  input: string,
  output: string,
  name: string,
  signal?: AbortSignal,
): Promise<number> {
  try {
    await pipeline(
      fs.createReadStream(input),
      createGunzip(),
      fs.createWriteStream(output, { mode: 0o600 }),
      {
        signal,
      },
    );
  } catch (error) {
    fs.rmSync(output, { force: true });
    if (signal?.aborted) throw new AbortedError(`interrupted while decompressing ${name}`, { cause: error });
    throw new RunError(
      `${name} starts like a gzip file but cannot be decompressed (${(error as Error).message}); ` +
        "replace it with a whole copy, or remove it",
      { code: "ERR_BAD_GZIP", cause: error },
    );
  }
  return fs.statSync(output).size;
}
