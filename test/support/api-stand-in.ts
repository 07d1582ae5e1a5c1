import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Catalog, CatalogDandiset } from "../../src/dandi/catalog.ts";
import { Random } from "../../src/generate/random.ts";

/**
 * A local stand-in for the read-only part of the DANDI API, for tests and benchmarks: it serves a
 * catalog with the archive's pagination (`{count, next, previous, results}`, `count: null` on asset
 * pages after the first), answers 401 for embargoed Dandisets, and can fail a share of its answers
 * the way a loaded server does (500, 503, 429 with `Retry-After`, dropped connections).
 */
export interface ApiStandInOptions {
  catalog: Catalog;
  /** Listed by `/dandisets/`, but their versions and assets answer 401 (403 with a wrong token). */
  embargoed?: readonly string[];
  /** The token (`Authorization: token …`) that opens embargoed Dandisets. */
  token?: string;
  /** The largest page served, whatever `page_size` asks (the archive's is 1000). */
  maxPageSize?: number;
  /** Share of answers, drawn at random, that fail with 500, 503 or 429. */
  failureRate?: number;
  /** `Retry-After` sent with random 503 and 429 answers. */
  retryAfter?: string;
  /** Failures for the first requests, in order, before any random ones. */
  scripted?: readonly ScriptedFailure[];
  seed?: number;
}

export type ScriptedFailure = { status: number; retryAfter?: string } | { reset: true };

export interface ApiStandIn {
  /** The API root, such as `http://127.0.0.1:43210/api`. */
  url: string;
  /** Every request, in arrival order. */
  requests: { path: string; authorization: string | null; answer: number | "reset" }[];
  close(): Promise<void>;
}

const RANDOM_FAILURES: readonly number[] = [500, 503, 429];

export async function startApiStandIn(options: ApiStandInOptions): Promise<ApiStandIn> {
  const byId = new Map<string, CatalogDandiset>(options.catalog.dandisets.map((d) => [d.identifier, d]));
  const identifiers = [...byId.keys()].sort();
  const embargoed = new Set(options.embargoed ?? []);
  const maxPageSize = options.maxPageSize ?? 1000;
  const random = new Random(options.seed ?? 1);
  const scripted = [...(options.scripted ?? [])];
  const requests: ApiStandIn["requests"] = [];
  let base = "";

  const page = (url: URL, items: readonly unknown[], countOnLaterPages: boolean) => {
    const size = Math.max(1, Math.min(maxPageSize, Number(url.searchParams.get("page_size") ?? 100) || 100));
    const number = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
    const linkTo = (n: number) => {
      const link = new URL(url.pathname, base);
      link.searchParams.set("page", String(n));
      link.searchParams.set("page_size", String(size));
      return link.toString();
    };
    const start = (number - 1) * size;
    return {
      count: number === 1 || countOnLaterPages ? items.length : null,
      next: start + size < items.length ? linkTo(number + 1) : null,
      previous: number > 1 ? linkTo(number - 1) : null,
      results: items.slice(start, start + size),
    };
  };

  const answer = (url: URL, authorization: string | null): { status: number; body?: unknown } => {
    const parts = url.pathname
      .replace(/^\/api\//, "")
      .split("/")
      .filter(Boolean);
    if (parts[0] !== "dandisets") return { status: 404 };
    if (parts.length === 1) {
      const listed = identifiers.map((identifier) => ({
        identifier,
        embargo_status: embargoed.has(identifier) ? "EMBARGOED" : "OPEN",
        draft_version: { version: "draft", name: byId.get(identifier)!.name },
      }));
      return { status: 200, body: page(url, listed, true) };
    }
    const dandiset = byId.get(parts[1]);
    if (dandiset === undefined) return { status: 404 };
    if (embargoed.has(dandiset.identifier) && authorization !== `token ${options.token}`) {
      return { status: authorization === null ? 401 : 403 };
    }
    if (parts[2] !== "versions") return { status: 404 };
    if (parts.length === 3) {
      const versions = dandiset.versions.map((v) => ({
        version: v.version,
        name: `Dandiset ${dandiset.identifier}`,
        asset_count: v.assets.length,
        size: v.assets.reduce((sum, a) => sum + a.size, 0),
        status: "Valid",
      }));
      return { status: 200, body: page(url, versions, true) };
    }
    const version = dandiset.versions.find((v) => v.version === decodeURIComponent(parts[3]));
    if (version === undefined || parts[4] !== "assets" || parts.length !== 5) return { status: 404 };
    const assets = version.assets.map((a) => ({
      asset_id: a.asset_id,
      blob: a.blob,
      zarr: a.zarr,
      path: a.path,
      size: a.size,
      created: "2021-08-12T14:48:00.000000Z",
      modified: "2021-08-12T14:48:00.000000Z",
    }));
    return { status: 200, body: page(url, assets, false) };
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", base);
    const authorization = request.headers.authorization ?? null;
    const failure =
      scripted.shift() ??
      (random.chance(options.failureRate ?? 0)
        ? { status: random.pick(RANDOM_FAILURES), retryAfter: options.retryAfter }
        : null);
    if (failure !== null && "reset" in failure) {
      requests.push({ path: url.pathname + url.search, authorization, answer: "reset" });
      request.socket.destroy();
      return;
    }
    const { status, body }: { status: number; body?: unknown } = failure ?? answer(url, authorization);
    requests.push({ path: url.pathname + url.search, authorization, answer: status });
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (failure?.retryAfter !== undefined && failure.status !== 500)
      headers["Retry-After"] = failure.retryAfter;
    response.writeHead(status, headers);
    response.end(JSON.stringify(body ?? { detail: `HTTP ${status}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/api`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
