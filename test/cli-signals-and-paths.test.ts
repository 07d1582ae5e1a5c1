import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { describe, test } from "node:test";
import { ROOT, runCli, startCli, tempFolder, waitUntil } from "./helpers.ts";
import { writeMappedFolder } from "./report-helpers/mapped-folder.ts";
import { generateReducedDays } from "./support/reduced-days.ts";

const CATALOG = path.join(ROOT, "samples", "catalog.json");

/** Collects a child's output as it comes. */
function collect(child: ReturnType<typeof startCli>): { stderr: () => string } {
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdout.resume();
  return { stderr: () => stderr };
}

/** Every file below `folder` whose name marks it temporary or a lock. */
function leftovers(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true })
    .map(String)
    .filter((name) => /(^|\/)\..*(\.tmp-|_lock|\.lock)|\.bin_undo_log/.test(name));
}

describe("signals", () => {
  test("SIGHUP stops bin like SIGTERM: exit 130, the batch undone, no lock or temporary file left", async () => {
    const root = tempFolder("sighup");
    const reduced = path.join(root, "reduced");
    generateReducedDays(reduced, { seed: 8, days: 6, rowsPerDay: 13_000, blobCount: 500, zarrCount: 40 });
    const binned = path.join(root, "binned");
    const child = startCli("main", [
      "bin",
      "--reduced_s3_logs_folder_path",
      reduced,
      "--binned_s3_logs_folder_path",
      binned,
      "--maximum_buffer_size_in_mb",
      "1",
      "--quiet",
    ]);
    const output = collect(child);
    await waitUntil(child, () => fs.existsSync(path.join(binned, ".bin_undo_log")), "a batch started");
    child.kill("SIGHUP");
    const [code] = await once(child, "exit");
    assert.equal(code, 130, output.stderr());
    assert.match(output.stderr(), /SIGHUP: stopping/);
    assert.deepEqual(leftovers(binned), []);
  });

  test("SIGINT while the report is drawn exits 130 and says so", async () => {
    const root = tempFolder("report-sigint");
    const mapped = path.join(root, "mapped");
    writeMappedFolder(mapped, { dandisets: 60, seed: 3 });
    const output = path.join(root, "report");
    const child = startCli("main", [
      "report",
      "--mapped_s3_logs_folder_path",
      mapped,
      "--output_folder",
      output,
      "--quiet",
    ]);
    const said = collect(child);
    // Aimed by progress: once the staging folder holds the first Dandiset pages.
    const pages = () =>
      fs
        .readdirSync(root)
        .filter((name) => name.startsWith("."))
        .some((name) => {
          const folder = path.join(root, name, "dandisets");
          return fs.existsSync(folder) && fs.readdirSync(folder).length >= 2;
        });
    await waitUntil(child, pages, "the first pages were drawn");
    child.kill("SIGINT");
    const [code] = await once(child, "exit");
    assert.equal(code, 130, said.stderr());
    assert.match(said.stderr(), /SIGINT: stopping/);
  });

  test("generate stops on SIGTERM with exit 130, leaving only whole day files", async () => {
    const root = tempFolder("generate-sigterm");
    const raw = path.join(root, "raw");
    const child = startCli("main", [
      "generate",
      "--output_folder",
      raw,
      "--days",
      "3",
      "--bytes_per_day",
      "400000000",
    ]);
    const said = collect(child);
    const writing = () =>
      fs.existsSync(raw) &&
      fs.readdirSync(raw, { recursive: true }).some((name) => String(name).includes(".tmp-"));
    await waitUntil(child, writing, "the first day file is being written");
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    assert.equal(code, 130, said.stderr());
    assert.deepEqual(
      fs
        .readdirSync(raw, { recursive: true })
        .filter((name) => String(name).endsWith(".log") || String(name).includes(".tmp-")),
      [],
    );
  });
});

describe("paths", () => {
  test("an output path that is an existing file is a usage error (exit 2)", () => {
    const root = tempFolder("output-file");
    const file = path.join(root, "a-file");
    fs.writeFileSync(file, "");
    const reduced = path.join(root, "reduced");
    generateReducedDays(reduced, { days: 1, rowsPerDay: 10 });
    for (const args of [
      ["bin", "--reduced_s3_logs_folder_path", reduced, "--binned_s3_logs_folder_path", file],
      ["reduce", "--raw_s3_logs_folder_path", reduced, "--reduced_s3_logs_folder_path", file],
      ["run", "--raw_s3_logs_folder_path", reduced, "--work_folder", file, "--catalog", CATALOG],
    ]) {
      const result = runCli("main", [...args, "--quiet"]);
      assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
      assert.match(result.stderr, /is a file, not a folder/);
    }
  });

  test("an output folder reached through a link into the input folder is refused", () => {
    const root = tempFolder("output-link");
    const reduced = path.join(root, "reduced");
    generateReducedDays(reduced, { days: 1, rowsPerDay: 10 });
    fs.symlinkSync(reduced, path.join(root, "link"));
    const binned = path.join(root, "link", "binned");
    const result = runCli("main", [
      "bin",
      "--reduced_s3_logs_folder_path",
      reduced,
      "--binned_s3_logs_folder_path",
      binned,
      "--quiet",
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /is inside --reduced_s3_logs_folder_path/);
    assert.ok(!fs.existsSync(path.join(reduced, "binned")));
  });

  test("catalog --output <folder> is refused before anything is downloaded, leaving nothing", async () => {
    const root = tempFolder("catalog-folder");
    let requests = 0;
    const server = http.createServer((_request, response) => {
      requests++;
      response.end('{"count": 0, "next": null, "results": []}');
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
      const child = startCli("main", ["catalog", "--output", root, "--api_url", api, "--quiet"]);
      const said = collect(child);
      const [code] = await once(child, "exit");
      assert.equal(code, 2, said.stderr());
      assert.match(said.stderr(), /is a folder; give the path of the snapshot file/);
      assert.equal(requests, 0);
      assert.deepEqual(fs.readdirSync(root), []);
    } finally {
      server.close();
    }
  });

  test('--operation_type "" is a usage error', () => {
    const root = tempFolder("operation");
    const result = runCli("main", [
      "reduce",
      "--raw_s3_logs_folder_path",
      root,
      "--reduced_s3_logs_folder_path",
      path.join(root, "..", `${path.basename(root)}-out`),
      "--operation_type",
      "",
      "--quiet",
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--operation_type must be an S3 operation/);
  });

  test("a read-only file system is reported as such, not as ENOENT", (t) => {
    const root = tempFolder("read-only");
    const mount = path.join(root, "ro");
    fs.mkdirSync(mount);
    if (spawnSync("mount", ["-t", "tmpfs", "-o", "ro", "tmpfs", mount]).status !== 0) {
      t.skip("cannot mount a read-only file system here (needs root)");
      return;
    }
    try {
      const reduced = path.join(root, "reduced");
      generateReducedDays(reduced, { days: 1, rowsPerDay: 10 });
      const result = runCli("main", [
        "bin",
        "--reduced_s3_logs_folder_path",
        reduced,
        "--binned_s3_logs_folder_path",
        path.join(mount, "binned"),
        "--quiet",
      ]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`${mount} is on a read-only file system \\(EROFS\\)`));
      assert.doesNotMatch(result.stderr, /ENOENT/);
    } finally {
      spawnSync("umount", [mount]);
    }
  });
});

describe("progress", () => {
  test("a plain progress line comes while the API keeps the run waiting", async () => {
    const root = tempFolder("progress-wait");
    let answered = false;
    const server = http.createServer((_request, response) => {
      // The first answer comes late, as from a server asking to be left alone for minutes.
      setTimeout(() => {
        answered = true;
        response.end('{"count": 0, "next": null, "results": []}');
      }, 3500);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
      const child = startCli(
        "main",
        ["catalog", "--output", path.join(root, "catalog.json"), "--api_url", api],
        {
          DANDI_S3_LOG_PARSER_PROGRESS_SECONDS: "1",
        },
      );
      const said = collect(child);
      await once(child, "exit");
      const lines = said
        .stderr()
        .split("\n")
        .filter((line) => line.startsWith("catalog (Dandisets): "));
      assert.ok(answered);
      assert.ok(lines.length >= 2, said.stderr());
    } finally {
      server.close();
    }
  });
});
