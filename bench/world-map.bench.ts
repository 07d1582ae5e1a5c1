import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { drawBarChart } from "../src/report/draw-charts.ts";
import { renderWorldMap } from "../src/report/world-map.ts";

/**
 * What the world map adds to a report page, against one bar chart: the country outlines are drawn once
 * (by Vega) and kept in the settings folder's cache, and each page only colours them.
 */
export async function run(): Promise<void> {
  // An empty settings folder, so the outlines are drawn rather than read from an earlier run's cache.
  process.env.DANDI_S3_LOG_PARSER_HOME = fs.mkdtempSync(path.join(os.tmpdir(), "bench-world-map-"));
  const regions = [
    "US/California",
    "DE",
    "GB/England",
    "JP/Tokyo",
    "BR/Sao Paulo",
    "AWS/us-east-1",
    "unknown",
  ];
  const rows = regions.map((key, i) => ({ key, bytes: 10 ** (6 + i), requests: 1 }));
  const bars = rows.map((row) => ({ label: row.key, bytes: row.bytes }));
  const time = async (times: number, draw: () => Promise<unknown>) => {
    const started = performance.now();
    for (let i = 0; i < times; i++) await draw();
    return (performance.now() - started) / times;
  };
  drawBarChart("Bytes sent by region", bars); // warm, as after a report's first page
  const perChart = await time(200, async () => drawBarChart("Bytes sent by region", bars));
  const shapes = await time(1, () => renderWorldMap(rows, "map"));
  const perMap = await time(200, () => renderWorldMap(rows, "map"));
  console.log(`one bar chart:                    ${perChart.toFixed(2)} ms`);
  console.log(`country outlines, drawn once:     ${shapes.toFixed(0)} ms (then read from the cache)`);
  console.log(
    `one world map on a page:          ${perMap.toFixed(2)} ms (${(perMap / perChart).toFixed(2)}x a bar chart)`,
  );
}
