import type { S3Client } from "@aws-sdk/client-s3";
import { RunError } from "../errors.js";
import { cleanEtag } from "./inventory-format.js";
import type { ListedEntry } from "./listed-entries.js";
import { type S3ReadContext, s3Failure } from "./s3-errors.js";
import type { BucketLister } from "./window-listing.js";

/** A bucket's client, as s3-source.ts opens it. */
export interface BucketClient {
  client: S3Client;
  sdk: typeof import("@aws-sdk/client-s3");
  bucket: string;
}

/**
 * The listings of a bucket (ListObjectsV2), a page at a time. A server whose pages never end (a
 * continuation token seen before, or a page of keys all listed already) is stopped, not followed
 * forever.
 */
export class BucketListing implements BucketLister {
  constructor(
    private readonly bucket: BucketClient,
    private readonly context: (what: string) => S3ReadContext,
    private readonly signal?: AbortSignal,
  ) {}

  /** Every key below `prefix`, after `startAfter` when given. */
  async keys(prefix: string, startAfter?: string): Promise<ListedEntry[]> {
    const entries: ListedEntry[] = [];
    const seenKeys = new Set<string>();
    const seenTokens = new Set<string>();
    const where = `s3://${this.bucket.bucket}/${prefix}`;
    let token: string | undefined;
    do {
      const page = await this.page(
        { Prefix: prefix, StartAfter: startAfter, ContinuationToken: token },
        where,
      );
      let added = 0;
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        if (!seenKeys.has(item.Key)) added++;
        seenKeys.add(item.Key);
        entries.push({ key: item.Key, size: item.Size ?? 0, etag: cleanEtag(item.ETag) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (token !== undefined && (seenTokens.has(token) || added === 0))
        throw endless(where, "a page of keys already listed, or a continuation token seen before");
      if (token !== undefined) seenTokens.add(token);
    } while (token !== undefined);
    return entries;
  }

  /** Below `prefix`, listed by `delimiter`: its common prefixes, and whether it holds keys too (see BucketLister). */
  async folders(prefix: string, delimiter: string): Promise<{ folders: string[]; holdsKeys: boolean }> {
    const folders: string[] = [];
    let holdsKeys = false;
    const seenTokens = new Set<string>();
    const where = `s3://${this.bucket.bucket}/${prefix}`;
    let token: string | undefined;
    do {
      const page = await this.page({ Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }, where);
      for (const folder of page.CommonPrefixes ?? [])
        if (folder.Prefix !== undefined) folders.push(folder.Prefix);
      holdsKeys ||= (page.Contents ?? []).length > 0;
      // Listed by folder, keys are all a caller asks about once it sees some: the listing stops there.
      token = page.IsTruncated && !(holdsKeys && delimiter === "/") ? page.NextContinuationToken : undefined;
      if (token !== undefined && seenTokens.has(token))
        throw endless(`${where} by "${delimiter}"`, "a continuation token seen before");
      if (token !== undefined) seenTokens.add(token);
    } while (token !== undefined);
    return { folders, holdsKeys };
  }

  private async page(
    query: { Prefix: string; StartAfter?: string; Delimiter?: string; ContinuationToken?: string },
    where: string,
  ): Promise<import("@aws-sdk/client-s3").ListObjectsV2CommandOutput> {
    try {
      return await this.bucket.client.send(
        new this.bucket.sdk.ListObjectsV2Command({ Bucket: this.bucket.bucket, ...query }),
        { abortSignal: this.signal },
      );
    } catch (error) {
      throw s3Failure(error, this.context(where));
    }
  }
}

function endless(listing: string, why: string): RunError {
  return new RunError(`the listing of ${listing} repeats itself (${why}); stopped: check the S3 endpoint`, {
    code: "ERR_S3_ENDLESS_LISTING",
  });
}
