import * as path from "node:path";
import { generateRawLogs } from "../src/generate/raw-logs.ts";
import { cutIntoLogObjects, type GeneratedObject } from "../test/support/log-objects.ts";
import { S3StandIn } from "../test/support/s3-stand-in.ts";
import { alternate, cli, ratio, type Timing, tempFolder, timeCommand } from "./common.ts";

/**
 * Reduce reading a bucket, from a local S3 stand-in that waits 20 ms before each object's body, as
 * a distant S3 does before its first byte: 31 days of small log objects (about 1,500 of 4 KB).
 * 1. Downloads: 4 at once (what one worker had before) against 32 (the default now), in turns.
 * 2. The daily listing: after 30 days, a run with day 31's objects lists the keys of its journal's
 *    window (two days before the newest object) rather than every key of the bucket.
 */
const DAYS = 31;
const DELAY_MS = 20;
const RUNS = 3;

export async function run(): Promise<void> {
  const days = tempFolder("bucket-days");
  // Days ending yesterday: a daily run lists from its window only while the bucket got objects in the
  // day before it (by the clock); older days would be listed whole.
  const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const startDate = new Date(today - DAYS * 86_400_000).toISOString().slice(0, 10);
  generateRawLogs(days, {
    seed: 31,
    days: DAYS,
    startDate,
    bytesPerDay: 120_000,
    blobCount: 100,
  });
  const objects = cutIntoLogObjects(days, "simple", "logs/", 4, 20);
  const server = new S3StandIn(1000);
  const env = await server.startForClients(days);
  const reduce = (bucket: string, reduced: string, downloads?: number): Promise<Timing> =>
    timeCommand(
      process.execPath,
      [
        cli("main"),
        "reduce",
        "--raw_s3_logs_folder_path",
        `s3://${bucket}/logs/`,
        "--reduced_s3_logs_folder_path",
        reduced,
        "--quiet",
      ],
      {
        env: {
          ...env,
          DANDI_S3_LOG_PARSER_HOME: tempFolder("bucket-home"),
          ...(downloads === undefined ? {} : { DANDI_S3_LOG_PARSER_S3_DOWNLOADS: String(downloads) }),
        },
      },
    );
  try {
    for (const object of objects) server.put("all", object.key, object.body);
    server.faults = { getDelayMs: DELAY_MS };
    const bytes = objects.reduce((sum, o) => sum + o.body.length, 0);
    const [four, default32] = await alternate(
      RUNS,
      () => reduce("all", path.join(tempFolder("bucket-4"), "reduced"), 4),
      () => reduce("all", path.join(tempFolder("bucket-32"), "reduced")),
    );
    console.log(
      `${objects.length.toLocaleString("en-US")} log objects, ${(bytes / 1e6).toFixed(1)} MB, ${DELAY_MS} ms before each body; best of ${RUNS}, in turns`,
    );
    console.log(`${"reduce, 4 downloads at once".padEnd(44)} ${four.seconds.toFixed(2).padStart(6)} s`);
    console.log(
      `${"reduce, 32 at once (the default)".padEnd(44)} ${default32.seconds.toFixed(2).padStart(6)} s: ${ratio(four.seconds / default32.seconds)} faster`,
    );

    server.faults = {};
    const lastDay = today - 86_400_000;
    const history = objects.filter((o: GeneratedObject) => o.delivered < lastDay);
    for (const object of history) server.put("daily", object.key, object.body);
    const reduced = path.join(tempFolder("bucket-daily"), "reduced");
    await reduce("daily", reduced);
    for (const object of objects.slice(history.length)) server.put("daily", object.key, object.body);
    const listedBefore = server.keysListed;
    const daily = await reduce("daily", reduced);
    const listed = server.keysListed - listedBefore;
    console.log(
      `daily run after ${DAYS - 1} days: ${listed.toLocaleString("en-US")} keys listed of ${objects.length.toLocaleString("en-US")} in the bucket ` +
        `(${ratio(objects.length / listed)} fewer; each listing request brings 1,000), in ${daily.seconds.toFixed(2)} s`,
    );
  } finally {
    await server.stop();
  }
}
