import { checkFunction, checkOptionsObject } from "../check-options.js";
import { RunError } from "../errors.js";
import {
  ApiStatusError,
  checkApiClientOptions,
  DandiApiClient,
  type DandiApiClientOptions,
} from "./api-client.js";
import type { Catalog, CatalogDandiset } from "./catalog.js";
import { CatalogError, checkDandisetIdentifier, checkVersionName, EMBARGO_STATUSES } from "./catalog.js";
import { forEachLimited } from "./limiter.js";
import { checkSelection, type DandisetSelection, selectDandisets } from "./selection.js";

export interface FetchCatalogOptions extends DandiApiClientOptions, DandisetSelection {
  onProgress?: (progress: { dandisetsDone: number; dandisetsTotal: number }) => void;
  /** Called once per Dandiset skipped, with why. */
  onWarning?: (message: string) => void;
}

export interface FetchedCatalog {
  catalog: Catalog;
  /** Answered 401 or 403: embargoed, or not visible with the key given. */
  embargoed: string[];
  /** Listed, then answered 404 (removed while the catalog was read). */
  missing: string[];
  requests: number;
  retries: number;
}

/**
 * Reads the catalog from the API: the Dandiset list, then for each selected Dandiset its versions
 * and their assets. Dandisets run side by side, as do the versions of one Dandiset, all through the
 * client's limit on requests in flight. The result is in identifier order whatever the order of the
 * answers, so the same archive always gives the same catalog.
 */
export async function fetchCatalog(options: FetchCatalogOptions = {}): Promise<FetchedCatalog> {
  checkOptionsObject(options, "fetchCatalog");
  checkSelection(options);
  checkApiClientOptions(options);
  checkFunction(options.onProgress, "onProgress");
  checkFunction(options.onWarning, "onWarning");
  const client = new DandiApiClient(options);
  const listed = new Map((await client.listDandisets()).map((dandiset) => [dandiset.identifier, dandiset]));
  const identifiers = selectDandisets(
    [...listed.keys()].filter((identifier) => /^\d{6}$/.test(identifier)),
    options,
  );
  const found = new Map<string, CatalogDandiset>();
  const embargoed: string[] = [];
  const missing: string[] = [];
  let done = 0;
  options.onProgress?.({ dandisetsDone: 0, dandisetsTotal: identifiers.length });
  await forEachLimited(identifiers, client.concurrency, async (identifier) => {
    try {
      const versionNames = await client.listVersions(identifier);
      const versions = await Promise.all(
        versionNames.map(async (version) => {
          try {
            checkVersionName(version, `${client.apiUrl}/dandisets/${identifier}/versions/`);
          } catch (error) {
            if (error instanceof CatalogError) throw new RunError(error.message, { cause: error });
            throw error;
          }
          return { version, assets: await client.listAssets(identifier, version) };
        }),
      );
      const { name, embargo_status } = listed.get(identifier)!;
      const known = EMBARGO_STATUSES.includes(embargo_status as never) ? { embargo_status } : {};
      found.set(checkDandisetIdentifier(identifier, "the API's Dandiset list"), {
        identifier,
        ...(name === undefined ? {} : { name }),
        ...known,
        versions,
      });
    } catch (error) {
      if (!(error instanceof ApiStatusError) || !(error.isEmbargoed || error.status === 404)) throw error;
      if (error.isEmbargoed) {
        embargoed.push(identifier);
        options.onWarning?.(
          `Dandiset ${identifier} skipped: HTTP ${error.status} (embargoed; set DANDI_API_KEY to a key with access to map it)`,
        );
      } else {
        missing.push(identifier);
        options.onWarning?.(
          `Dandiset ${identifier} skipped: HTTP 404 (removed from the archive while the catalog was read)`,
        );
      }
    }
    done++;
    options.onProgress?.({ dandisetsDone: done, dandisetsTotal: identifiers.length });
  });
  return {
    catalog: { dandisets: identifiers.filter((id) => found.has(id)).map((id) => found.get(id)!) },
    embargoed: embargoed.sort(),
    missing: missing.sort(),
    requests: client.requests,
    retries: client.retries,
  };
}
