import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";
import type { LoggerInterface } from "vega";
import { assetTypeChart, barChart, timeChart } from "../src/report/chart-specs.ts";
import { ShapeCompiler } from "../src/report/compile-shapes.ts";
import { loadRenderer } from "../src/report/load-vega.ts";
import { type ChartSpec, renderSvg } from "../src/report/render-svg.ts";
import { installTextWidth } from "../src/report/text-width.ts";
import { bucketByTime } from "../src/report/time-buckets.ts";
import { tempFolder } from "./helpers.ts";
import { chartSpecsOf, QUIET_LOGGER } from "./report-helpers/chart-timing.ts";
import { writeMappedFolder } from "./report-helpers/mapped-folder.ts";
import { writeTodaysSummaries } from "./report-helpers/summaries-folder.ts";

/** The charts of generated Dandisets (days, weeks and months of bars), and the odd ones a page can hold. */
function manyCharts(): ChartSpec[] {
  const specs: ChartSpec[] = [];
  const typeShares: [string, number][][] = [
    [
      ["Neurophysiology", 60],
      ["Microscopy", 25],
      ["Video", 5],
      ["Miscellaneous", 10],
    ],
    [
      ["Neurophysiology", 90],
      ["Miscellaneous", 10],
    ],
  ];
  for (const [i, seed] of [3, 11].entries()) {
    const root = tempFolder("compile-shapes");
    const folder = path.join(root, "mapped");
    writeMappedFolder(folder, { dandisets: 14, seed, bigDandisetAssets: 120 });
    writeTodaysSummaries(folder, path.join(root, "summaries"), { typeShares: typeShares[i] });
    specs.push(...chartSpecsOf(folder, path.join(root, "summaries")));
  }
  const week = (iso: string, bytes: number[]) => {
    const start = Date.parse(`${iso}T00:00:00Z`);
    return { start, end: start + 7 * 86_400_000, bytes };
  };
  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
  specs.push(
    barChart("Bytes sent by version", []),
    barChart("Bytes sent by version", [{ label: "draft", bytes: 0 }]),
    barChart("Bytes sent by region", [{ label: "unknown", bytes: 1 }]),
    barChart("Bytes sent by Dandiset", [
      { label: "000001", bytes: 5e15 },
      { label: "000002", bytes: 5e15 },
    ]),
    timeChart("one day", bucketByTime([{ key: "2024-02-29", bytes: 7, requests: 1 }])),
    timeChart("no bytes", {
      granularity: "day",
      buckets: [{ start: day("2024-01-01"), end: day("2024-01-02"), bytes: 0, requests: 0 }],
    }),
    assetTypeChart("one week, one type", {
      granularity: "week",
      types: ["Video"],
      buckets: [week("2024-01-01", [5e9])],
    }),
    assetTypeChart("no bytes, a type of another version", {
      granularity: "week",
      types: ["Neurophysiology", "Holography"],
      buckets: [week("2024-01-01", [0, 0]), week("2024-01-08", [0, 0])],
    }),
  );
  return specs;
}

describe("compiling each shape of chart once", () => {
  const specs = manyCharts();

  test("gives, chart by chart, the Vega specification and dataflow of the chart compiled and parsed itself", async () => {
    const { vegaLite } = await loadRenderer();
    let compiles = 0;
    const shapes = new ShapeCompiler((spec, options) => {
      compiles++;
      return vegaLite.compile(spec, options);
    });
    for (const [i, spec] of specs.entries()) {
      const fresh = JSON.stringify(vegaLite.compile(spec, { logger: QUIET_LOGGER }).spec);
      assert.equal(JSON.stringify(shapes.vegaSpecOf(spec, QUIET_LOGGER)), fresh, `chart ${i}: ${spec.title}`);
    }
    // Vega's parse of them too: the same dataflow but for the names Vega numbers across the process.
    const { vega } = await loadRenderer();
    let parses = 0;
    const parsing = new ShapeCompiler(
      (spec, options) => vegaLite.compile(spec, options),
      (vegaSpec) => {
        parses++;
        return vega.parse(vegaSpec);
      },
    );
    const unnumbered = (dataflow: object) => JSON.stringify(dataflow).replace(/_:vega:_\d+/g, "_:vega:_");
    for (const [i, spec] of specs.entries()) {
      const fresh = unnumbered(vega.parse(vegaLite.compile(spec, { logger: QUIET_LOGGER }).spec));
      assert.equal(unnumbered(parsing.dataflowOf(spec, QUIET_LOGGER)), fresh, `chart ${i}: ${spec.title}`);
    }
    // Else every chart might have been compiled on its own, and the comparison would prove nothing.
    assert.ok(
      specs.length > 80 && compiles < specs.length / 4,
      `${compiles} compiles for ${specs.length} charts`,
    );
    assert.ok(parses < specs.length / 4, `${parses} parses for ${specs.length} charts`);
  });

  test("draws the same SVG as a chart compiled and drawn on its own", async () => {
    const { vega, vegaLite } = await loadRenderer();
    installTextWidth(vega);
    for (const [i, spec] of specs.entries()) {
      vega.resetSVGDefIds();
      const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
      const fresh = await view.toSVG();
      view.finalize();
      vega.resetSVGDefIds();
      const warnings: string[] = [];
      assert.equal(await renderSvg(spec, warnings), fresh, `chart ${i}: ${spec.title}`);
      assert.deepEqual(warnings, []);
    }
  });

  test("a shape whose stand-ins do not come out as they went in is not used", () => {
    const widthOf = (spec: unknown) => (spec as { width: number }).width;
    const spec = barChart("Bytes sent by region", [{ label: "DE", bytes: 10 }]);
    // Compilers that compute with the width, or write the title into a longer text: the stand-ins would lie.
    const computing = new ShapeCompiler((chart) => ({ spec: { width: widthOf(chart) * 2 } as never }));
    assert.deepEqual(computing.vegaSpecOf(spec, QUIET_LOGGER), { width: widthOf(spec) * 2 });
    const embedding = new ShapeCompiler((chart) => ({
      spec: { width: widthOf(chart), title: `Chart: ${String(chart.title)}` } as never,
    }));
    assert.deepEqual(embedding.vegaSpecOf(spec, QUIET_LOGGER), {
      width: widthOf(spec),
      title: "Chart: Bytes sent by region",
    });
  });

  test("a shape the compiler warns about is compiled chart by chart, so that each warning names its chart", () => {
    const heard: string[] = [];
    const logger = {
      ...QUIET_LOGGER,
      warn: (message: string) => heard.push(message),
    } as unknown as LoggerInterface;
    const warning = new ShapeCompiler((spec, options) => {
      options.logger.warn(`odd chart ${String(spec.title)}`);
      return { spec: { title: spec.title } as never };
    });
    for (const title of ["one", "two"]) warning.vegaSpecOf(barChart(title, []), logger);
    assert.deepEqual(heard, ["odd chart one", "odd chart two"]);
  });
});
