import assert from "node:assert/strict";
import { test } from "node:test";
import { ObjectSizes } from "../src/bin/object-sizes.ts";
import { Random } from "../src/generate/random.ts";
import { tempFolder } from "./helpers.ts";

function randomPath(random: Random): string {
  const hex = (n: number) => Array.from({ length: n }, () => random.int(0, 15).toString(16)).join("");
  const uuid = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  return random.chance(0.2)
    ? `zarr/${uuid}.tsv`
    : `blobs/${uuid.slice(0, 3)}/${uuid.slice(3, 6)}/${uuid}.tsv`;
}

test("the size index returns the last size of every object over batches that add and update objects", () => {
  const folder = tempFolder("sizes");
  const random = new Random(9);
  const expected = new Map<string, number>();
  const paths: string[] = [];
  for (let batch = 1; batch <= 6; batch++) {
    const sizes = ObjectSizes.open(folder, batch - 1);
    for (const [file, size] of expected)
      assert.equal(sizes.recorded(file), size, `${file} before batch ${batch}`);
    for (let i = 0; i < 200; i++) {
      const file = paths.length > 0 && random.chance(0.5) ? random.pick(paths) : randomPath(random);
      if (!expected.has(file)) paths.push(file);
      const size = random.int(40, 1_000_000);
      sizes.wrote(file, size);
      expected.set(file, size);
    }
    sizes.prepareCommit(batch);
    sizes.finishCommit();
  }
  const sizes = ObjectSizes.open(folder, 6);
  for (const [file, size] of expected) assert.equal(sizes.recorded(file), size);
  assert.equal(sizes.recorded(randomPath(random)), -1);
  // An index of another batch than the journal's last is not used.
  assert.equal(ObjectSizes.open(folder, 7).recorded(paths[0]), -1);
});
