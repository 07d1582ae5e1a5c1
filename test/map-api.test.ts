import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { loadCatalog, writeCatalog } from "../src/dandi/catalog.ts";
import { fetchCatalog } from "../src/dandi/fetch-catalog.ts";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import { tempFolder } from "./helpers.ts";
import { type ApiStandIn, startApiStandIn } from "./support/api-stand-in.ts";
import { generateArchiveCatalog, generateBinned } from "./support/archive.ts";
import { mapTree } from "./support/map-tree.ts";

const ARCHIVE = { dandisets: 20, assetsPerDandiset: 30, accessedObjects: 150, rowsPerObject: 6, seed: 11 };
const catalog = generateArchiveCatalog(ARCHIVE);
const binnedFolder = path.join(tempFolder("api-binned"), "binned");
const binned = generateBinned(binnedFolder, catalog, ARCHIVE);
const FAST = { baseDelayMs: 2, maxDelayMs: 20, attempts: 12 };

const servers: ApiStandIn[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function mapFrom(options: Parameters<typeof startApiStandIn>[0], label: string) {
  const server = await startApiStandIn(options);
  servers.push(server);
  const out = path.join(tempFolder(label), "mapped");
  const summary = await mapBinnedS3LogsToDandisets({
    binnedFolder,
    mappedFolder: out,
    api: { apiUrl: server.url, retry: FAST },
  });
  return { server, summary, tree: mapTree(out) };
}

describe("mapping with the catalog from the API", () => {
  test("with 25% of the API's answers failing, the output is identical to a healthy API's", async () => {
    const healthy = await mapFrom({ catalog, maxPageSize: 7 }, "api-healthy");
    const flaky = await mapFrom(
      { catalog, maxPageSize: 7, failureRate: 0.25, retryAfter: "0", seed: 3 },
      "api-flaky",
    );
    assert.ok(healthy.tree.size > 150);
    assert.deepEqual([...flaky.tree.keys()], [...healthy.tree.keys()]);
    for (const [file, content] of healthy.tree) assert.equal(flaky.tree.get(file), content, file);
    const failed = flaky.server.requests.filter((r) => r.answer !== 200).length;
    assert.ok(
      failed / flaky.server.requests.length > 0.15,
      `only ${failed} of ${flaky.server.requests.length} failed`,
    );
    assert.equal(flaky.summary.apiRetries, failed);
    // The same catalog from a file gives the same output too.
    const out = path.join(tempFolder("api-file"), "mapped");
    await mapBinnedS3LogsToDandisets({ binnedFolder, mappedFolder: out, catalog });
    assert.deepEqual(mapTree(out), healthy.tree);
  });

  test("embargoed Dandisets are skipped, counted, and get no folder", async () => {
    const { summary, tree } = await mapFrom({ catalog, embargoed: ["000002", "000005"] }, "api-embargo");
    assert.deepEqual(summary.dandisetsEmbargoed, ["000002", "000005"]);
    assert.ok(![...tree.keys()].some((file) => file.startsWith("000002/") || file.startsWith("000005/")));
    assert.ok([...tree.keys()].some((file) => file.startsWith("000003/")));
  });

  test("with a key that opens embargoed Dandisets, they are still not published unless asked; their traffic is not undetermined", async () => {
    const server = await startApiStandIn({ catalog, embargoed: ["000002"], token: "opens" });
    servers.push(server);
    const run = async (label: string, publishEmbargoed: boolean) => {
      const root = tempFolder(label);
      const summary = await mapBinnedS3LogsToDandisets({
        binnedFolder,
        mappedFolder: path.join(root, "mapped"),
        summariesFolder: path.join(root, "summaries"),
        api: { apiUrl: server.url, apiKey: "opens", retry: FAST },
        publishEmbargoed,
      });
      const totals = JSON.parse(fs.readFileSync(path.join(root, "summaries", "totals.json"), "utf8"));
      return { root, summary, totals, tree: mapTree(path.join(root, "mapped")) };
    };
    const hidden = await run("api-embargo-key", false);
    assert.deepEqual(hidden.summary.dandisetsEmbargoed, ["000002"]);
    assert.ok(![...hidden.tree.keys()].some((file) => file.startsWith("000002/")), "no mapped folder");
    assert.ok(!fs.existsSync(path.join(hidden.root, "summaries", "summaries", "000002")), "no summaries");
    assert.equal(hidden.totals["000002"], undefined);
    const shown = await run("api-embargo-published", true);
    assert.ok(shown.totals["000002"].total_number_of_requests > 0);
    assert.ok([...shown.tree.keys()].some((file) => file.startsWith("000002/")));
    // Hidden or shown, its objects are listed ones: the undetermined traffic is the same.
    assert.deepEqual(hidden.totals.undetermined, shown.totals.undetermined);
    const archive = (root: string) =>
      fs.readFileSync(path.join(root, "summaries", "archive_totals.json"), "utf8");
    assert.equal(archive(hidden.root), archive(shown.root));
  });

  test("the catalog snapshot records each Dandiset's name and embargo status", async () => {
    const named = {
      dandisets: catalog.dandisets.map((d) => ({ ...d, name: `The title of ${d.identifier}` })),
    };
    const server = await startApiStandIn({ catalog: named, embargoed: ["000002"], token: "opens" });
    servers.push(server);
    const fetched = await fetchCatalog({ apiUrl: server.url, apiKey: "opens", retry: FAST });
    const file = path.join(tempFolder("snapshot"), "catalog.json");
    writeCatalog(file, fetched.catalog);
    const again = loadCatalog(file);
    assert.equal(again.dandisets.find((d) => d.identifier === "000002")?.embargo_status, "EMBARGOED");
    assert.equal(again.dandisets.find((d) => d.identifier === "000003")?.embargo_status, "OPEN");
    assert.equal(again.dandisets[0].name, `The title of ${again.dandisets[0].identifier}`);
  });

  test("no IP address appears in any output byte", async () => {
    const { tree } = await mapFrom({ catalog }, "api-ips");
    assert.ok(binned.addresses.size > 500);
    const addresses = [...binned.addresses];
    for (const [file, content] of tree) {
      for (const address of addresses) assert.ok(!content.includes(address), `${address} in ${file}`);
    }
  });
});
