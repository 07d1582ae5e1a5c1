import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AddressColumns, HASH_START, hashStep } from "../src/map/address-columns.ts";

function idOf(columns: AddressColumns, text: string): number {
  const buf = Buffer.from(`x\t${text}\ty`, "latin1");
  let hash = HASH_START;
  for (let i = 2; i < 2 + text.length; i++) hash = hashStep(hash, buf[i]);
  return columns.idOf(buf, 2, 2 + text.length, hash);
}

describe("address columns", () => {
  test("a column's region is resolved once, when first asked for, and its requester at once", () => {
    const asked: string[] = [];
    const columns = new AddressColumns((column) => {
      asked.push(column);
      return column.startsWith("3.") ? "AWS/us-east-2" : "DE";
    });
    const ids = ["1.2.3.4", "3.4.5.6", "1.2.3.4", "5.6.7.8"].map((text) => idOf(columns, text));
    assert.deepEqual(ids, [0, 1, 0, 2]);
    assert.equal(columns.count, 3);
    // Reading rows only for their requester (the views before a daily run's rows) resolves nothing.
    assert.deepEqual(
      ids.map((id) => columns.requester(id)),
      [0, 1, 0, 2],
    );
    assert.deepEqual(asked, []);
    assert.equal(columns.isCloud(1), true);
    assert.equal(columns.region(1), "AWS/us-east-2");
    assert.equal(columns.region(0), "DE");
    assert.equal(columns.isCloud(0), false);
    assert.deepEqual(asked, ["3.4.5.6", "1.2.3.4"]);
  });

  test("a resolver that refuses a column fails each time it is asked, and leaves the others intact", () => {
    const columns = new AddressColumns((column) => {
      if (column === "bad") throw new Error("cannot read bad");
      return "US/Texas";
    });
    const bad = idOf(columns, "bad");
    const good = idOf(columns, "9.9.9.9");
    assert.throws(() => columns.region(bad), /cannot read bad/);
    assert.throws(() => columns.isCloud(bad), /cannot read bad/);
    assert.equal(columns.region(good), "US/Texas");
  });

  test("thousands of columns keep their ids and regions as the tables grow", () => {
    const columns = new AddressColumns((column) => `R${column.split(".")[3]}`);
    const texts = Array.from({ length: 5000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const ids = texts.map((text) => idOf(columns, text));
    assert.deepEqual(
      texts.map((text) => idOf(columns, text)),
      ids,
    );
    for (const i of [0, 255, 256, 4999]) assert.equal(columns.region(ids[i]), `R${i & 255}`);
  });
});
