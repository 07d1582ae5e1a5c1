import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { BinnedHeaderError } from "../src/map/binned-rows.ts";
import { mapBinnedS3LogsToDandisets } from "../src/map/map-binned.ts";
import { mapBinnedTable } from "../src/map/map-binned-table.ts";
import { tempFolder } from "./helpers.ts";

const HEADER = "timestamp\tbytes_sent\tip_address\n";
const regionOf = (address: string) => `R${address}`;

describe("one binned object to its mapped table", () => {
  test("rows are sorted by time; rows of the same second keep their binned order", () => {
    const input = Buffer.from(
      `${HEADER}2023-01-02T00:00:00\t1\ta\n2023-01-01T00:00:00\t2\tb\n2023-01-02T00:00:00\t3\tc\n2023-01-01T00:00:00\t4\td\n`,
    );
    const mapped = mapBinnedTable(input, regionOf);
    assert.equal(
      mapped.table.toString(),
      "\ttimestamp\tbytes_sent\tregion\n" +
        "0\t2023-01-01T00:00:00\t2\tRb\n1\t2023-01-01T00:00:00\t4\tRd\n" +
        "2\t2023-01-02T00:00:00\t1\tRa\n3\t2023-01-02T00:00:00\t3\tRc\n",
    );
    assert.deepEqual(Object.fromEntries(mapped.byDay.bytes), { "2023-01-01": 6n, "2023-01-02": 4n });
    assert.deepEqual(Object.fromEntries(mapped.byDay.requests), { "2023-01-01": 2, "2023-01-02": 2 });
    assert.equal(mapped.rows, 4);
    assert.equal(mapped.bytes, 10);
  });

  test("CRLF line ends, a last line without a newline, blank lines and malformed rows", () => {
    const input = Buffer.from(
      `timestamp\tbytes_sent\tip_address\r\n2023-01-01T00:00:00\t5\tx\r\n\n2023-01-01 00:00:00\t5\tx\nshort\n` +
        `2023-01-01T00:00:01\t-\tx\n2023-01-01T00:00:02\t7\ty`,
    );
    const bad: [number, string][] = [];
    const mapped = mapBinnedTable(input, regionOf, (line, reason) => bad.push([line, reason]));
    assert.equal(
      mapped.table.toString(),
      "\ttimestamp\tbytes_sent\tregion\n0\t2023-01-01T00:00:00\t5\tRx\n1\t2023-01-01T00:00:02\t7\tRy\n",
    );
    assert.deepEqual(
      bad.map(([line]) => line),
      [4, 5, 6],
    );
  });

  test("an empty file has no rows; a wrong header is refused", () => {
    assert.equal(mapBinnedTable(Buffer.alloc(0), regionOf).rows, 0);
    assert.equal(mapBinnedTable(Buffer.from(HEADER), regionOf).rows, 0);
    assert.throws(
      () => mapBinnedTable(Buffer.from("timestamp\tip_address\tbytes_sent\n"), regionOf),
      BinnedHeaderError,
    );
  });

  test("a binned file with a wrong header is reported and left out; malformed rows go to the error log", async () => {
    const root = tempFolder("binned-bad");
    const good = "aaaaaaaa-0000-4000-8000-000000000001";
    const bad = "bbbbbbbb-0000-4000-8000-000000000002";
    const write = (id: string, text: string) => {
      const file = path.join(root, "binned", "blobs", id.slice(0, 3), id.slice(3, 6), `${id}.tsv`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    };
    write(good, `${HEADER}2023-01-01T00:00:00\t5\t192.0.2.1\nnot a row\n`);
    write(bad, "something else\n");
    const asset = (p: string, blob: string) => ({ asset_id: p, path: p, blob, zarr: null, size: 1 });
    const summary = await mapBinnedS3LogsToDandisets({
      binnedFolder: path.join(root, "binned"),
      mappedFolder: path.join(root, "mapped"),
      catalog: {
        dandisets: [
          {
            identifier: "000001",
            versions: [{ version: "draft", assets: [asset("a.nwb", good), asset("b.nwb", bad)] }],
          },
        ],
      },
    });
    assert.equal(summary.failures.length, 1);
    assert.match(summary.failures[0].file, /^blobs\/bbb\/bbb\/bbbbbbbb-/);
    assert.equal(summary.malformedRows, 1);
    assert.ok(summary.errorLogPath !== null);
    const logged = JSON.parse(fs.readFileSync(summary.errorLogPath, "utf8").trim());
    assert.equal(logged.line, 3);
    assert.ok(fs.existsSync(path.join(root, "mapped", "000001", "draft", "a_nwb.tsv")));
    assert.ok(!fs.existsSync(path.join(root, "mapped", "000001", "draft", "b_nwb.tsv")));
  });
});
