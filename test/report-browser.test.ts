import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { buildReport } from "../src/report/build-report.ts";
import { tempFolder } from "./helpers.ts";
import { writeMappedFolder } from "./report-helpers/mapped-folder.ts";
import { writeTodaysSummaries } from "./report-helpers/summaries-folder.ts";

/** A Dandiset's name is its owners' text: the page must show it as written, markup and all. */
const NAME = "Spikes & <script>alert(1)</script> in <b>V1</b>";

/** Debian's Chromium (`apt-get install -y chromium`); playwright's own browser downloads are not used. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Kept after the run (and replaced by the next one) so people and CI can look at the pages. */
const SCREENSHOTS =
  process.env.REPORT_SCREENSHOTS_FOLDER ?? path.join(os.tmpdir(), "dandi-s3-log-parser-report-screenshots");

interface PageProblems {
  consoleErrors: string[];
  failedRequests: string[];
  otherRequests: string[];
}

/** Opens a page from disk and records what should never happen: errors, failed or outside requests. */
async function openPage(browser: Browser, file: string): Promise<{ page: Page; problems: PageProblems }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems: PageProblems = { consoleErrors: [], failedRequests: [], otherRequests: [] };
  page.on("console", (message) => {
    if (message.type() === "error") problems.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => problems.consoleErrors.push(error.message));
  page.on("requestfailed", (request) => problems.failedRequests.push(request.url()));
  page.on("request", (request) => {
    if (!request.url().startsWith("file://")) problems.otherRequests.push(request.url());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, problems };
}

async function countMarks(page: Page) {
  return {
    charts: await page.locator("figure.chart svg").count(),
    bars: await page.locator("svg .mark-rect path").count(),
    lines: await page.locator("svg .mark-line path").count(),
    width: await page
      .locator("figure.chart svg")
      .first()
      .evaluate((svg) => svg.getBoundingClientRect().width),
  };
}

/** The world map drew its countries: every outline has an area, and those with traffic are coloured. */
async function assertWorldMapDrawn(page: Page): Promise<void> {
  const map = page.locator("svg.world-map");
  assert.equal(await map.count(), 1);
  const drawn = await map.evaluate((svg) => {
    const paths = [...svg.querySelectorAll("path")];
    const sized = paths.filter((p) => {
      const box = p.getBoundingClientRect();
      return box.width > 0 && box.height > 0;
    });
    const coloured = paths.filter((p) => p.hasAttribute("data-country"));
    return {
      paths: paths.length,
      sized: sized.length,
      coloured: coloured.length,
      width: svg.getBoundingClientRect().width,
      fills: new Set(coloured.map((p) => p.getAttribute("fill"))).size,
    };
  });
  assert.ok(drawn.paths > 150 && drawn.sized === drawn.paths, JSON.stringify(drawn));
  assert.ok(drawn.coloured > 0 && drawn.fills > 0, JSON.stringify(drawn));
  assert.ok(drawn.width > 300, JSON.stringify(drawn));
}

/** The chart of bytes by asset type drew bars in the legend's colours, and the legend's swatches show. */
async function assertAssetTypesDrawn(page: Page): Promise<void> {
  const figure = page.locator("#asset-types + figure.chart");
  const drawn = await figure.evaluate((element) => {
    const bars = [...element.querySelectorAll("svg .mark-rect path")].filter((p) => {
      const box = p.getBoundingClientRect();
      return box.width > 0 && box.height > 0;
    });
    const swatches = [...element.querySelectorAll("figcaption .swatch")];
    return {
      bars: bars.length,
      barColours: [...new Set(bars.map((p) => p.getAttribute("fill")))].sort(),
      swatches: swatches.filter((s) => s.getBoundingClientRect().width > 0).length,
      swatchColours: [
        ...new Set(swatches.map((s) => s.ownerDocument.defaultView!.getComputedStyle(s).backgroundColor)),
      ].sort(),
      keys: [...element.querySelectorAll("figcaption .key")].map((k) => k.textContent),
    };
  });
  assert.ok(drawn.bars > 0, JSON.stringify(drawn));
  assert.deepEqual(drawn.keys, ["Neurophysiology", "Microscopy", "Miscellaneous"], JSON.stringify(drawn));
  assert.equal(drawn.swatches, 3, JSON.stringify(drawn));
  // The legend's colours are the bars': hex in the SVG, rgb() once computed.
  const rgb = (hex: string | null) =>
    `rgb(${[1, 3, 5].map((i) => Number.parseInt(hex!.slice(i, i + 2), 16)).join(", ")})`;
  assert.deepEqual(drawn.barColours.map(rgb).sort(), drawn.swatchColours, JSON.stringify(drawn));
}

/**
 * CI (CI=true, whose .ci/run installs Chromium) must run this test; on a developer's machine without
 * Chromium it is skipped with the command that installs it, so `npm test` works on a fresh machine.
 */
const skip =
  !fs.existsSync(CHROMIUM) && !process.env.CI
    ? `${CHROMIUM} is missing; install it with: apt-get install -y chromium`
    : false;

describe("the report in a browser", { skip }, () => {
  let browser: Browser;
  let report: string;

  before(async () => {
    assert.ok(
      fs.existsSync(CHROMIUM),
      `${CHROMIUM} is missing; install it with: apt-get install -y chromium`,
    );
    const root = tempFolder("report-browser");
    const mapped = path.join(root, "mapped");
    writeMappedFolder(mapped, { dandisets: 8, seed: 3, bigDandisetAssets: 120, names: { "000001": NAME } });
    writeTodaysSummaries(mapped, path.join(root, "summaries"));
    report = path.join(tempFolder("report-browser-out"), "report");
    await buildReport({
      mappedFolder: mapped,
      outputFolder: report,
      summariesFolder: path.join(root, "summaries"),
    });
    fs.rmSync(SCREENSHOTS, { recursive: true, force: true });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  after(async () => {
    await browser?.close();
  });

  test("index.html opens from disk with its charts drawn", async (t) => {
    const { page, problems } = await openPage(browser, path.join(report, "index.html"));
    const marks = await countMarks(page);
    assert.equal(marks.charts, 5);
    await assertWorldMapDrawn(page);
    await assertAssetTypesDrawn(page);
    assert.equal(await page.locator("table th .name").first().textContent(), NAME);
    assert.ok(marks.bars > 0 && marks.lines > 0, JSON.stringify(marks));
    assert.ok(marks.width > 300, `the first chart is ${marks.width} px wide`);
    assert.equal(await page.locator("h1").textContent(), "DANDI Archive usage");
    const screenshot = path.join(SCREENSHOTS, "index.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    t.diagnostic(`screenshot: ${screenshot}`);

    // The ranking links to the Dandiset pages, which open from disk too.
    await page.locator("table a", { hasText: "000001" }).click();
    await page.waitForURL(/dandisets\/000001\.html$/);
    assert.equal(await page.locator("h1").textContent(), `Dandiset 000001 ${NAME}`);
    assert.equal(await page.locator("h1 .subtitle").textContent(), NAME);
    assert.equal(await page.locator("script, h1 b").count(), 0);
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [], otherRequests: [] });
    await page.close();
  });

  test("a Dandiset page opens from disk with its charts drawn", async (t) => {
    const { page, problems } = await openPage(browser, path.join(report, "dandisets", "000001.html"));
    const marks = await countMarks(page);
    assert.ok(marks.charts >= 3, JSON.stringify(marks));
    assert.ok(marks.bars > 0 && marks.lines > 0, JSON.stringify(marks));
    assert.ok(marks.width > 300, `the first chart is ${marks.width} px wide`);
    assert.equal(await page.locator("table").count(), 3);
    await assertWorldMapDrawn(page);
    await assertAssetTypesDrawn(page);
    const screenshot = path.join(SCREENSHOTS, "dandiset-000001.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    t.diagnostic(`screenshot: ${screenshot}`);
    await page.emulateMedia({ colorScheme: "dark" });
    const darkScreenshot = path.join(SCREENSHOTS, "dandiset-000001-dark.png");
    await page.screenshot({ path: darkScreenshot, fullPage: true });
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [], otherRequests: [] });
    await page.close();
  });
});
