import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { loadCatalog } from "../src/dandi/catalog.ts";
import { acquireRunLock } from "../src/io/run-lock.ts";
import { FIXTURES, runCli, runCliAsync, tempFolder } from "./helpers.ts";
import { type ApiStandIn, startApiStandIn } from "./support/api-stand-in.ts";
import { mapTree } from "./support/map-tree.ts";

const EXAMPLE = path.join(FIXTURES, "mapping", "mapped_to_dandisets_example_0");
const BINNED = path.join(EXAMPLE, "binned_logs");
const CATALOG = path.join(EXAMPLE, "catalog.json");

const servers: ApiStandIn[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

describe("the map command", () => {
  test("the original's command maps the fixture and prints a summary", () => {
    const out = path.join(tempFolder("cli-map"), "mapped");
    const result = runCli("map-binned-s3-logs-to-dandisets", [
      "--binned_s3_logs_folder_path",
      BINNED,
      "--dandiset_logs_folder_path",
      out,
      "--catalog",
      CATALOG,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^map: 3 Dandisets mapped \(6 versions\) of 4 selected, 0 skipped as embargoed; 9 asset tables, .* sent in all; 6 rows of 4 objects, everything mapped anew \(first run\)/,
    );
    assert.ok(fs.existsSync(path.join(out, "000003", "draft", "version_summary_by_day.tsv")));
  });

  test("map exits with 75 while another map publishes into the same summaries folder, and leaves no lock after", () => {
    const summaries = tempFolder("cli-summaries");
    // The original's binned files with an HTTP status on each row, which the summaries need.
    const binned = path.join(tempFolder("cli-binned"), "binned");
    fs.cpSync(BINNED, binned, { recursive: true });
    for (const name of fs.readdirSync(binned, { recursive: true }).map(String)) {
      const file = path.join(binned, name);
      if (!name.endsWith(".tsv") || !fs.statSync(file).isFile()) continue;
      const [header, ...rows] = fs.readFileSync(file, "utf8").trimEnd().split("\n");
      fs.writeFileSync(file, `${[`${header}\tstatus`, ...rows.map((row) => `${row}\t200`)].join("\n")}\n`);
    }
    const args = (out: string) => [
      "map",
      "--binned_s3_logs_folder_path",
      binned,
      "--mapped_s3_logs_folder_path",
      out,
      "--catalog",
      CATALOG,
      "--summaries_folder_path",
      summaries,
      "--quiet",
    ];
    const release = acquireRunLock(path.join(summaries, ".summaries_lock"));
    try {
      const held = runCli("main", args(path.join(tempFolder("cli-map-a"), "mapped")));
      assert.equal(held.code, 75, held.stderr);
      assert.match(held.stderr, /is working in/);
    } finally {
      release();
    }
    const free = runCli("main", args(path.join(tempFolder("cli-map-b"), "mapped")));
    assert.equal(free.code, 0, free.stderr);
    assert.ok(fs.existsSync(path.join(summaries, "totals.json")));
    assert.deepEqual(
      fs.readdirSync(summaries).filter((name) => name.startsWith(".")),
      [],
      "the lock is gone once map is done",
    );
  });

  test("usage errors exit 2 with one line naming the flag", () => {
    const out = path.join(tempFolder("cli-usage"), "mapped");
    const base = ["map", "--binned_s3_logs_folder_path", BINNED];
    const cases: [string[], RegExp][] = [
      [[...base, "--catalog", CATALOG], /--mapped_s3_logs_folder_path is missing/],
      [
        [
          ...base,
          "--mapped_s3_logs_folder_path",
          out,
          "--dandiset_logs_folder_path",
          `${out}2`,
          "--catalog",
          CATALOG,
        ],
        /pass only one of them/,
      ],
      [
        [...base, "--mapped_s3_logs_folder_path", out, "--object_type", "blob"],
        /--object_type.*Allowed choices are blobs, zarr/,
      ],
      [
        [...base, "--mapped_s3_logs_folder_path", out, "--restrict_to_dandisets", "3", "--catalog", CATALOG],
        /--restrict_to_dandisets takes six-digit/,
      ],
      [
        [...base, "--mapped_s3_logs_folder_path", out, "--dandiset_limit", "0"],
        /--dandiset_limit.*expected a whole number/,
      ],
      [
        [...base, "--mapped_s3_logs_folder_path", out, "--catalog", path.join(out, "none.json")],
        /--catalog .*none\.json cannot be read/,
      ],
      [
        [
          ...base,
          "--mapped_s3_logs_folder_path",
          out,
          "--catalog",
          path.join(EXAMPLE, "binned_logs", "zarr", "cb65c877-882b-4554-8fa1-8f4e986e13a6.tsv"),
        ],
        /is not valid JSON/,
      ],
      [
        [
          "map",
          "--binned_s3_logs_folder_path",
          path.join(out, "nothing"),
          "--mapped_s3_logs_folder_path",
          out,
          "--catalog",
          CATALOG,
        ],
        /--binned_s3_logs_folder_path .* does not exist/,
      ],
      [
        [...base, "--mapped_s3_logs_folder_path", path.join(BINNED, "out"), "--catalog", CATALOG],
        /is inside --binned_s3_logs_folder_path/,
      ],
      [
        [
          ...base,
          "--mapped_s3_logs_folder_path",
          out,
          "--catalog",
          CATALOG,
          "--ip_ranges_folder",
          path.join(out, "none"),
        ],
        /--ip_ranges_folder .* is not a readable folder/,
      ],
      [
        [...base, "--mapped_s3_logs_folder_path", out, "--api_url", "api.dandiarchive.org"],
        /--api_url api\.dandiarchive\.org is not a URL/,
      ],
      [[...base, "--mapped_s3_logs_folder_path", out, "--no_such_flag"], /unknown option '--no_such_flag'/],
      [["catalog"], /required option '--output <file>'/],
    ];
    for (const [args, message] of cases) {
      const result = runCli("main", args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr.split("\n")[0], message, args.join(" "));
    }
  });

  test("a catalog written from the API maps exactly like the API itself", async () => {
    const server = await startApiStandIn({
      catalog: loadCatalog(CATALOG),
      embargoed: ["000013"],
      maxPageSize: 1,
    });
    servers.push(server);
    const root = tempFolder("cli-catalog");
    const snapshot = path.join(root, "snapshot.json");
    const written = await runCliAsync("main", [
      "catalog",
      "--output",
      snapshot,
      "--api_url",
      server.url,
      "--quiet",
    ]);
    assert.equal(written.code, 0, written.stderr);
    assert.match(
      written.stdout,
      /^catalog: 3 Dandisets, 5 versions, 9 assets written to .*; 1 skipped as embargoed/,
    );
    assert.match(written.stderr, /warning: Dandiset 000013 skipped: HTTP 401/);

    const fromApi = await runCliAsync(
      "main",
      [
        "map",
        "--binned_s3_logs_folder_path",
        BINNED,
        "--mapped_s3_logs_folder_path",
        path.join(root, "api"),
        "--quiet",
      ],
      { DANDI_API_URL: server.url },
    );
    assert.equal(fromApi.code, 0, fromApi.stderr);
    assert.match(fromApi.stdout, /2 Dandisets mapped .* 1 skipped as embargoed/);
    assert.match(fromApi.stdout, /\nembargoed: 000013\n/);
    const fromFile = runCli("main", [
      "map",
      "--binned_s3_logs_folder_path",
      BINNED,
      "--mapped_s3_logs_folder_path",
      path.join(root, "file"),
      "--catalog",
      snapshot,
    ]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.deepEqual(mapTree(path.join(root, "file")), mapTree(path.join(root, "api")));
  });
});
