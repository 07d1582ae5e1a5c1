import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { binAllReducedS3LogsByObjectKey } from "../src/bin/bin-all.ts";
import type { Catalog } from "../src/dandi/catalog.ts";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import { readTree, tempFolder } from "./helpers.ts";
import { generateReducedDays } from "./support/reduced-days.ts";

/** Three reduced days, the first two binned (and mapped, with `map`), the third not yet present. */
async function binnedTwoDays(label: string, map: boolean) {
  const root = tempFolder(label);
  const all = path.join(root, "all");
  const days = generateReducedDays(all, { days: 3, rowsPerDay: 300, blobCount: 20, zarrCount: 3 });
  const reduced = path.join(root, "reduced");
  const binned = path.join(root, "binned");
  const mapped = path.join(root, "mapped");
  const add = (day: string) => {
    fs.mkdirSync(path.dirname(path.join(reduced, day)), { recursive: true });
    fs.copyFileSync(path.join(all, day), path.join(reduced, day));
  };
  add(days[0]);
  add(days[1]);
  await binAllReducedS3LogsByObjectKey({ reducedFolder: reduced, binnedFolder: binned });
  const keys = new Set<string>();
  for (const line of fs.readFileSync(path.join(all, days[2]), "latin1").split("\n").slice(1))
    if (line !== "") keys.add(line.split("\t")[2]);
  const catalog: Catalog = {
    dandisets: [
      {
        identifier: "000001",
        versions: [
          {
            version: "draft",
            assets: [...keys].map((key, i) => {
              const id = key.slice(key.lastIndexOf("/") + 1);
              const zarr = key.startsWith("zarr/");
              return {
                asset_id: `a${i}`,
                path: `f${i}.nwb`,
                blob: zarr ? null : id,
                zarr: zarr ? id : null,
                size: 9,
              };
            }),
          },
        ],
      },
    ],
  };
  if (map) await mapBinnedS3LogsToDandisets({ binnedFolder: binned, mappedFolder: mapped, catalog });
  // An object the third day adds rows to, and whose file the first two days made.
  const touched = [...keys].find((key) => fs.existsSync(path.join(binned, `${key}.tsv`))) as string;
  return { root, reduced, binned, mapped, catalog, touched, addThirdDay: () => add(days[2]) };
}

/** Replaces `file` by a symbolic link to a copy of it outside every folder of the run. */
function replaceByLink(file: string, root: string): string {
  const outside = path.join(root, `outside-${path.basename(file)}`);
  fs.copyFileSync(file, outside);
  fs.rmSync(file);
  fs.symlinkSync(outside, file);
  return outside;
}

describe("no path in the binned or mapped folder is followed through a symbolic link", () => {
  test("bin refuses a binned object file that is a link, naming it, and writes nothing outside", async () => {
    const s = await binnedTwoDays("link-bin", false);
    const link = path.join(s.binned, `${s.touched}.tsv`);
    const outside = replaceByLink(link, s.root);
    const before = fs.readFileSync(outside, "latin1");
    const tree = readTree(s.binned);
    s.addThirdDay();
    await assert.rejects(
      binAllReducedS3LogsByObjectKey({ reducedFolder: s.reduced, binnedFolder: s.binned }),
      (error: Error) => error.message.includes(`${link} is a symbolic link`),
    );
    assert.equal(fs.readFileSync(outside, "latin1"), before, "nothing was appended outside");
    assert.deepEqual(readTree(s.binned), tree, "the batch was undone");
  });

  test("bin refuses an object folder that is a link", async () => {
    const s = await binnedTwoDays("link-bin-folder", false);
    const folder = path.dirname(path.join(s.binned, `${s.touched}.tsv`));
    const outside = path.join(s.root, "outside-folder");
    fs.renameSync(folder, outside);
    fs.symlinkSync(outside, folder);
    const before = readTree(outside);
    s.addThirdDay();
    await assert.rejects(
      binAllReducedS3LogsByObjectKey({ reducedFolder: s.reduced, binnedFolder: s.binned }),
      /is a symbolic link/,
    );
    assert.deepEqual(readTree(outside), before);
  });

  test("map refuses a mapped table that is a link, naming it, and writes nothing outside", async () => {
    const s = await binnedTwoDays("link-map", true);
    const id = s.touched.slice(s.touched.lastIndexOf("/") + 1);
    const kind = s.touched.startsWith("zarr/") ? "zarr" : "blobs";
    const link = path.join(s.mapped, ".map_state", "objects", kind, id.slice(0, 2), `${id}.tsv`);
    const outside = replaceByLink(link, s.root);
    const before = fs.readFileSync(outside, "latin1");
    s.addThirdDay();
    await binAllReducedS3LogsByObjectKey({ reducedFolder: s.reduced, binnedFolder: s.binned });
    await assert.rejects(
      mapBinnedS3LogsToDandisets({ binnedFolder: s.binned, mappedFolder: s.mapped, catalog: s.catalog }),
      (error: Error) => error.message.includes(`${link} is a symbolic link`),
    );
    assert.equal(fs.readFileSync(outside, "latin1"), before);
  });

  test("map refuses a binned object file that is a link rather than leaving its object out", async () => {
    const s = await binnedTwoDays("link-map-binned", false);
    const link = path.join(s.binned, `${s.touched}.tsv`);
    replaceByLink(link, s.root);
    await assert.rejects(
      mapBinnedS3LogsToDandisets({ binnedFolder: s.binned, mappedFolder: s.mapped, catalog: s.catalog }),
      (error: Error) => error.message.includes(`${link} is a symbolic link`),
    );
  });

  test("map refuses a published table that is a link", async () => {
    const s = await binnedTwoDays("link-map-published", true);
    const link = path.join(s.mapped, "000001", "dandiset_summary_by_day.tsv");
    const outside = replaceByLink(link, s.root);
    const before = fs.readFileSync(outside, "latin1");
    s.addThirdDay();
    await binAllReducedS3LogsByObjectKey({ reducedFolder: s.reduced, binnedFolder: s.binned });
    await assert.rejects(
      mapBinnedS3LogsToDandisets({ binnedFolder: s.binned, mappedFolder: s.mapped, catalog: s.catalog }),
      /is a symbolic link/,
    );
    assert.equal(fs.readFileSync(outside, "latin1"), before);
  });
});
