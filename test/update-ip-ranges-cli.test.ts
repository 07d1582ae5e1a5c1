import "./helpers.ts";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { RegionResolver } from "../src/geo/region-resolver.ts";
import { runCli, runCliAsync, tempFolder } from "./helpers.ts";

const AWS = JSON.stringify({
  syncToken: "4102444800",
  createDate: "2099-12-31-23-59-59",
  prefixes: [
    { ip_prefix: "3.80.0.0/12", region: "us-east-1", service: "AMAZON", network_border_group: "us-east-1" },
    { ip_prefix: "3.80.0.0/12", region: "us-east-1", service: "EC2", network_border_group: "us-east-1" },
    { ip_prefix: "18.220.0.0/16", region: "us-later-9", service: "EC2", network_border_group: "us-later-9" },
  ],
  ipv6_prefixes: [{ ipv6_prefix: "2600:1f18::/33", region: "us-east-1", service: "EC2" }],
});
const OLD_AWS = AWS.replace("2099-12-31-23-59-59", "2001-01-01-00-00-00");
const GCP = JSON.stringify({
  syncToken: "1",
  creationTime: "2099-01-01T00:00:00.123456",
  prefixes: [{ ipv4Prefix: "104.155.128.0/17", service: "Google Cloud", scope: "us-central1" }],
});
const GITHUB = JSON.stringify({ verifiable_password_authentication: false, hooks: ["140.82.112.0/20"] });

/** The providers' addresses, stood in for on 127.0.0.1: good files, wrong ones, and one that never answers. */
const ROUTES: Record<string, (response: http.ServerResponse) => void> = {
  "/aws": (response) => response.end(AWS),
  "/old-aws": (response) => response.end(OLD_AWS),
  "/gcp": (response) => response.end(GCP),
  "/github": (response) => response.end(GITHUB),
  "/not-json": (response) => response.end("<html>a captive portal</html>"),
  "/aws-as-gcp": (response) => response.end(AWS),
  "/no-date": (response) => response.end(GCP.replace('"creationTime"', '"created"')),
  "/missing": (response) => {
    response.statusCode = 404;
    response.end("not found");
  },
  // Headers, then nothing: the timeout must cover the body too.
  "/stall": (response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.write('{"syncToken": "1", ');
  },
};

let server: http.Server;
let base = "";
const stalled: http.ServerResponse[] = [];
before(async () => {
  server = http.createServer((request, response) => {
    const route = ROUTES[request.url ?? ""];
    if (request.url === "/stall") stalled.push(response);
    if (route === undefined) {
      response.statusCode = 404;
      response.end();
    } else route(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const response of stalled) response.destroy();
  await new Promise((resolve) => server.close(resolve));
});

function update(home: string, urls: { aws?: string; gcp?: string; github?: string }, extra: string[] = []) {
  return runCliAsync(
    "main",
    [
      "update-ip-ranges",
      "--aws_url",
      `${base}${urls.aws ?? "/aws"}`,
      "--gcp_url",
      `${base}${urls.gcp ?? "/gcp"}`,
      "--github_url",
      `${base}${urls.github ?? "/github"}`,
      ...extra,
    ],
    { DANDI_S3_LOG_PARSER_HOME: home },
  );
}

/** What the resolver of a run with this settings folder names an address. */
function regionWith(home: string, address: string): string {
  const saved = process.env.DANDI_S3_LOG_PARSER_HOME;
  process.env.DANDI_S3_LOG_PARSER_HOME = home;
  try {
    return new RegionResolver().regionOf(address);
  } finally {
    process.env.DANDI_S3_LOG_PARSER_HOME = saved;
  }
}

describe("the update-ip-ranges command", () => {
  test("writes each provider's file as downloaded, with where and when, and map then uses the newer ones", async () => {
    const home = tempFolder("update-home");
    const result = await update(home, {});
    assert.equal(result.code, 0, result.stderr);
    const folder = path.join(home, "ip-ranges");
    assert.match(result.stdout, new RegExp(`^update-ip-ranges: 3 files written to ${folder}\n`));
    assert.match(result.stdout, /AWS {5}ip-ranges\.json of 2099-12-31 23:59:59 UTC: 3 blocks, /);
    assert.match(result.stdout, /GCP {5}cloud\.json of 2099-01-01 00:00:00 UTC: 1 block, /);
    assert.match(result.stdout, /GitHub {2}meta\.json taken \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: 1 block, /);
    assert.equal(fs.readFileSync(path.join(folder, "ip-ranges.json"), "utf8"), AWS);
    assert.equal(fs.readFileSync(path.join(folder, "cloud.json"), "utf8"), GCP);
    assert.equal(fs.readFileSync(path.join(folder, "meta.json"), "utf8"), GITHUB);
    const sources = JSON.parse(fs.readFileSync(path.join(folder, "sources.json"), "utf8"));
    assert.deepEqual(Object.keys(sources).sort(), ["AWS", "GCP", "GitHub"]);
    assert.equal(sources.AWS.url, `${base}/aws`);
    assert.equal(sources.AWS.file, "ip-ranges.json");
    assert.ok(Math.abs(Date.parse(sources.GitHub.retrieved) - Date.now()) < 60_000);
    // Nothing but the files and their note: no temporary file left behind.
    assert.deepEqual(fs.readdirSync(folder).sort(), [
      "cloud.json",
      "ip-ranges.json",
      "meta.json",
      "sources.json",
    ]);
    assert.equal(regionWith(home, "18.220.4.80"), "AWS/us-later-9");
    assert.equal(regionWith(home, "104.155.168.90"), "GCP/us-central1");
  });

  test("a copy older than the package's snapshot is written, and said to stay unused", async () => {
    const home = tempFolder("update-old");
    const result = await update(home, { aws: "/old-aws" });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /ip-ranges\.json of 2001-01-01 00:00:00 UTC: 3 blocks, [^;]*; the package's own, of 2026-08-22 15:17:05 UTC, is as new or newer and stays in use/,
    );
    assert.equal(regionWith(home, "18.220.4.80"), "AWS/us-east-2");
  });

  test("an answer that is not the provider's file is refused, and the others are still written", async () => {
    const home = tempFolder("update-bad");
    const first = await update(home, {});
    assert.equal(first.code, 0, first.stderr);
    const before = fs.readFileSync(path.join(home, "ip-ranges", "cloud.json"), "utf8");
    for (const [route, reason] of [
      ["/not-json", /the answer is not JSON .*, so not GCP cloud\.json; nothing written for GCP/],
      ["/aws-as-gcp", /the answer is AWS's file, not GCP cloud\.json/],
      ["/no-date", /the answer has no creationTime, which GCP cloud\.json always has/],
      ["/missing", /answered HTTP 404; check the address, or try again later/],
    ] as const) {
      const result = await update(home, { gcp: route });
      assert.equal(result.code, 1, `${route}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^error: GCP: ${base}${route} `), route);
      assert.match(result.stderr, reason, route);
      assert.match(result.stdout, /^update-ip-ranges: 2 files written to /, route);
      assert.match(result.stdout, /GCP {5}not updated \(see below\)/, route);
      // The copy from before is left as it was.
      assert.equal(fs.readFileSync(path.join(home, "ip-ranges", "cloud.json"), "utf8"), before, route);
    }
  });

  test("a download that does not finish in time fails with exit code 1", async () => {
    const home = tempFolder("update-timeout");
    const started = Date.now();
    const result = await update(home, { github: "/stall" }, ["--timeout_seconds", "1"]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^error: GitHub: http:\/\/127\.0\.0\.1:\d+\/stall no whole answer within 1 s; try again later/,
    );
    assert.ok(Date.now() - started < 20_000);
    assert.ok(!fs.existsSync(path.join(home, "ip-ranges", "meta.json")));
    assert.ok(fs.existsSync(path.join(home, "ip-ranges", "ip-ranges.json")));
  });

  test("addresses that are not http(s) URLs, and bad numbers, are usage errors", () => {
    const home = tempFolder("update-usage");
    const bad = runCli("main", ["update-ip-ranges", "--aws_url", "ftp://example.org/x"], {
      DANDI_S3_LOG_PARSER_HOME: home,
    });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^error: --aws_url must be an http or https URL, not "ftp:\/\/example\.org\/x"/);
    const zero = runCli("main", ["update-ip-ranges", "--timeout_seconds", "0"], {
      DANDI_S3_LOG_PARSER_HOME: home,
    });
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /--timeout_seconds/);
    assert.ok(!fs.existsSync(path.join(home, "ip-ranges")));
    const help = runCli("main", ["update-ip-ranges", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--aws_url <url>/);
  });
});
