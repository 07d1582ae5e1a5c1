import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { DandiApiClient } from "../src/dandi/api-client.ts";
import { type Catalog, loadCatalog } from "../src/dandi/catalog.ts";
import { fetchCatalog } from "../src/dandi/fetch-catalog.ts";
import { backoffMs, DEFAULT_RETRY, retryAfterMs } from "../src/dandi/http-retry.ts";
import { RunError } from "../src/errors.ts";
import { FIXTURES, runArgs } from "./helpers.ts";
import { startApiStandIn } from "./support/api-stand-in.ts";

const FIXTURE_CATALOG = loadCatalog(
  path.join(FIXTURES, "mapping", "mapped_to_dandisets_example_0", "catalog.json"),
);
const FAST = { baseDelayMs: 2, maxDelayMs: 20 };

/** The fixture's catalog plus a Dandiset with enough assets to need several pages. */
function catalogWithManyAssets(): Catalog {
  const assets = Array.from({ length: 7 }, (_, i) => ({
    asset_id: `a${i}`,
    path: `sub-${i}/sub-${i}.nwb`,
    blob: `0000000${i}-0000-4000-8000-000000000000`,
    zarr: null,
    size: i,
  }));
  return {
    dandisets: [
      ...FIXTURE_CATALOG.dandisets,
      { identifier: "000999", versions: [{ version: "draft", assets }] },
    ],
  };
}

const servers: { close(): Promise<void> }[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function standIn(
  options: Omit<Parameters<typeof startApiStandIn>[0], "catalog"> & { catalog?: Catalog },
) {
  const server = await startApiStandIn({ catalog: catalogWithManyAssets(), ...options });
  servers.push(server);
  return server;
}

describe("the DANDI API client", () => {
  test("follows next links over pages, including asset pages whose count is null", async () => {
    const server = await standIn({ maxPageSize: 2 });
    const client = new DandiApiClient({ apiUrl: server.url, retry: FAST });
    const identifiers = await client.listDandisetIdentifiers();
    assert.deepEqual(identifiers, ["000003", "000013", "000026", "000108", "000999"]);
    const assets = await client.listAssets("000999", "draft");
    assert.deepEqual(
      assets.map((a) => a.path),
      Array.from({ length: 7 }, (_, i) => `sub-${i}/sub-${i}.nwb`),
    );
    const assetPages = server.requests.filter((r) =>
      r.path.startsWith("/api/dandisets/000999/versions/draft/assets/"),
    );
    assert.equal(assetPages.length, 4);
    assert.match(assetPages[0].path, /page_size=1000/);
    assert.deepEqual(await client.listVersions("000003"), ["0.210812.1448", "0.230629.1955", "draft"]);
  });

  test("a later asset page really carries count: null", async () => {
    const server = await standIn({ maxPageSize: 3 });
    const first = (await (
      await fetch(`${server.url}/dandisets/000999/versions/draft/assets/?page_size=3`)
    ).json()) as {
      count: number;
      next: string;
    };
    assert.equal(first.count, 7);
    const second = (await (await fetch(first.next)).json()) as { count: null };
    assert.equal(second.count, null);
  });

  test("retries 429, 500, 503 and dropped connections, honouring Retry-After", async () => {
    const server = await standIn({
      scripted: [{ status: 503 }, { status: 429, retryAfter: "1" }, { status: 500 }, { reset: true }],
    });
    const retries: string[] = [];
    const client = new DandiApiClient({
      apiUrl: server.url,
      retry: FAST,
      onRetry: (event) => retries.push(`${event.reason} ${event.delayMs}`),
    });
    const started = Date.now();
    const identifiers = await client.listDandisetIdentifiers();
    const elapsed = Date.now() - started;
    assert.equal(identifiers.length, 5);
    assert.equal(client.retries, 4);
    assert.equal(retries[1], "HTTP 429 1000");
    assert.match(retries[3], /^network error/);
    assert.ok(elapsed >= 1000, `Retry-After: 1 was not waited for (${elapsed} ms)`);
  });

  test("gives up after its attempts, naming the URL", async () => {
    const server = await standIn({ failureRate: 1 });
    const client = new DandiApiClient({ apiUrl: server.url, retry: { ...FAST, attempts: 3 } });
    await assert.rejects(client.listDandisetIdentifiers(), (error: Error) => {
      assert.ok(error instanceof RunError);
      assert.match(error.message, /\/api\/dandisets\/\?page_size=1000: HTTP \d+, still after 3 attempts/);
      return true;
    });
    assert.equal(server.requests.length, 3);
  });

  test("times out a request that never answers, and retries it", async () => {
    let calls = 0;
    const http = await import("node:http");
    const server = http.createServer((_request, response) => {
      calls++;
      if (calls === 1) return; // never answers
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ count: 0, next: null, previous: null, results: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push({
      close: () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
    const port = (server.address() as { port: number }).port;
    const client = new DandiApiClient({
      apiUrl: `http://127.0.0.1:${port}/api`,
      timeoutMs: 200,
      retry: FAST,
    });
    assert.deepEqual(await client.listDandisetIdentifiers(), []);
    assert.equal(client.retries, 1);
  });

  test("sends DANDI_API_KEY as Authorization: token …", async () => {
    const server = await standIn({ embargoed: ["000013"], token: "s3cret" });
    process.env.DANDI_API_KEY = "s3cret";
    try {
      const fetched = await fetchCatalog({ apiUrl: server.url, retry: FAST });
      assert.deepEqual(fetched.embargoed, []);
      assert.ok(fetched.catalog.dandisets.some((d) => d.identifier === "000013"));
      assert.ok(server.requests.every((r) => r.authorization === "token s3cret"));
    } finally {
      delete process.env.DANDI_API_KEY;
    }
  });

  test("the Retry-After header and the backoff", () => {
    assert.equal(retryAfterMs("3"), 3000);
    assert.ok((retryAfterMs(new Date(Date.now() + 5000).toUTCString()) ?? 0) > 3000);
    assert.equal(retryAfterMs("soon"), null);
    assert.equal(retryAfterMs(null), null);
    for (let retry = 1; retry <= 10; retry++) {
      const delay = backoffMs(retry, DEFAULT_RETRY);
      const ceiling = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (retry - 1));
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `retry ${retry}: ${delay}`);
    }
  });
});

describe("reading the catalog from the API", () => {
  test("skips and counts embargoed Dandisets (401), keeps the rest", async () => {
    const server = await standIn({ embargoed: ["000013"], maxPageSize: 2 });
    const warnings: string[] = [];
    const fetched = await fetchCatalog({
      apiUrl: server.url,
      retry: FAST,
      onWarning: (m) => warnings.push(m),
    });
    assert.deepEqual(fetched.embargoed, ["000013"]);
    assert.deepEqual(
      fetched.catalog.dandisets.map((d) => d.identifier),
      ["000003", "000026", "000108", "000999"],
    );
    assert.match(warnings[0], /000013 skipped: HTTP 401/);
    assert.ok(server.requests.some((r) => r.answer === 401));
    // Each Dandiset as the API lists it, with its embargo status.
    const expected = catalogWithManyAssets()
      .dandisets.filter((d) => d.identifier !== "000013")
      .sort((a, b) => (a.identifier < b.identifier ? -1 : 1))
      .map(({ identifier, ...rest }) => ({ identifier, embargo_status: "OPEN", ...rest }));
    assert.deepEqual(fetched.catalog.dandisets, expected);
  });

  test("with a quarter of the answers failing, the catalog is the same as from a healthy API", async () => {
    const healthy = await standIn({});
    const flaky = await standIn({ failureRate: 0.25, retryAfter: "0", seed: 42, maxPageSize: 2 });
    const a = await fetchCatalog({ apiUrl: healthy.url, retry: FAST });
    const b = await fetchCatalog({ apiUrl: flaky.url, retry: { ...FAST, attempts: 12 } });
    assert.deepEqual(b.catalog, a.catalog);
    assert.ok(b.retries > 0);
    const failed = flaky.requests.filter((r) => r.answer !== 200);
    assert.ok(new Set(failed.map((r) => r.answer)).size === 3, "500, 503 and 429 were all injected");
  });

  test("restrict, exclude and limit are applied before any per-Dandiset request", async () => {
    const server = await standIn({});
    const fetched = await fetchCatalog({
      apiUrl: server.url,
      retry: FAST,
      restrictTo: ["000003", "000013", "000108"],
      excluded: ["000013"],
      limit: 1,
    });
    assert.deepEqual(
      fetched.catalog.dandisets.map((d) => d.identifier),
      ["000003"],
    );
    assert.ok(!server.requests.some((r) => r.path.includes("/000108/")));
  });

  test("the catalog command's snapshot loads back to the same catalog", async () => {
    const { writeCatalog } = await import("../src/dandi/catalog.ts");
    const { tempFolder } = await import("./helpers.ts");
    const file = path.join(tempFolder("catalog"), "catalog.json");
    writeCatalog(file, catalogWithManyAssets());
    assert.deepEqual(loadCatalog(file), catalogWithManyAssets());
    assert.ok(fs.readFileSync(file, "utf8").endsWith("\n"));
  });
});

/** A local API whose `/dandisets/` pages are made by `page`, counting the requests it answers. */
async function pagingServer(
  page: (n: number, nextUrl: string) => Record<string, unknown> | null,
): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  const http = await import("node:http");
  let calls = 0;
  const server = http.createServer((request, response) => {
    calls++;
    const n = Number(new URL(request.url ?? "/", "http://x").searchParams.get("page") ?? 1);
    const body = page(
      n,
      `http://127.0.0.1:${(server.address() as { port: number }).port}/api/dandisets/?page=${n + 1}`,
    );
    // null: accept the request and never answer it.
    if (body === null) return;
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/api`,
    calls: () => calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const ids = (...numbers: number[]) => numbers.map((n) => ({ identifier: String(n).padStart(6, "0") }));

describe("paging that never ends", () => {
  test("a server whose next links go on past its count is stopped with a coded error", async () => {
    const server = await pagingServer((n, next) => ({
      count: 4,
      next,
      previous: null,
      results: ids(2 * n - 1, 2 * n),
    }));
    try {
      const client = new DandiApiClient({ apiUrl: server.url, retry: FAST });
      await assert.rejects(client.listDandisetIdentifiers(), {
        code: "ERR_API_ENDLESS_PAGES",
        message: /the API gave 8 results, where its first page said there were 4/,
      });
      // Two pages hold the four results it announced; a page more is allowed for a count that grew.
      assert.equal(server.calls(), 4);
    } finally {
      await server.close();
    }
  });

  test("next links that keep changing, with no count, are stopped once a page repeats an earlier one", async () => {
    const server = await pagingServer((_n, next) => ({
      count: null,
      next,
      previous: null,
      results: ids(1, 2),
    }));
    try {
      const client = new DandiApiClient({ apiUrl: server.url, retry: FAST });
      await assert.rejects(client.listDandisetIdentifiers(), {
        code: "ERR_API_ENDLESS_PAGES",
        message: /page=2 repeats the results of an earlier page/,
      });
      assert.equal(server.calls(), 2);
    } finally {
      await server.close();
    }
  });

  test("a page that never comes is retried, then fails naming its URL, after three timeouts", async () => {
    const server = await pagingServer(() => null);
    try {
      const client = new DandiApiClient({ apiUrl: server.url, retry: FAST, timeoutMs: 200 });
      const started = Date.now();
      await assert.rejects(client.listDandisetIdentifiers(), {
        code: "ERR_NETWORK_TIMEOUT",
        message: new RegExp(
          `^${server.url}/dandisets/\\?page_size=1000: no answer within 0.2 s, still after 3 attempts`,
        ),
      });
      assert.equal(server.calls(), 3);
      assert.ok(Date.now() - started < 5000);
    } finally {
      await server.close();
    }
  });
});

describe("--network_timeout_seconds", () => {
  test("catalog and run end, one line naming the page, when the API never answers", async () => {
    const { runCliAsync, tempFolder } = await import("./helpers.ts");
    const server = await pagingServer(() => null);
    try {
      const root = tempFolder("api-timeout");
      fs.mkdirSync(path.join(root, "raw"));
      const [catalog, run] = await Promise.all([
        runCliAsync("main", [
          "catalog",
          "--output",
          path.join(root, "catalog.json"),
          "--api_url",
          server.url,
          "--network_timeout_seconds",
          "0.3",
          "--quiet",
        ]),
        runCliAsync("main", [
          ...runArgs(path.join(root, "raw"), path.join(root, "work")),
          "--api_url",
          server.url,
          "--network_timeout_seconds",
          "0.3",
          "--no-ip_key_warning",
          "--quiet",
        ]),
      ]);
      for (const result of [catalog, run]) {
        assert.equal(result.code, 1, result.stderr);
        const lines = result.stderr.trim().split("\n");
        assert.equal(lines.length, 1, result.stderr);
        assert.match(
          lines[0],
          new RegExp(`^error: ${server.url}/dandisets/\\?page_size=1000: no answer within 0.3 s`),
        );
      }
      assert.ok(!fs.existsSync(path.join(root, "work", ".run.lock")));
    } finally {
      await server.close();
    }
  });
});
