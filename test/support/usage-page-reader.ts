import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { TOTALS_KEYS } from "../../src/formats/summaries-folder.ts";

/**
 * DANDI's usage page (dandi/usage-page, src/utils.ts and src/plots.ts) as a reader of a summaries
 * folder: a table's text split on line ends, blank lines dropped, the header skipped, each line split
 * on tabs, the first cell a name and every other cell read with `parseInt(cell || "0")`; fewer than
 * two non-blank lines is "not enough data". The totals are JSON, the coordinates YAML. Whatever
 * this reader finds wrong, the page would show as NaN, a false 0 or an error.
 */
export function readTableAsPage(text: string): { key: string; values: number[] }[] {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  if (lines.length < 2) throw new Error("TSV file does not contain enough data.");
  return lines.slice(1).map((line) => {
    const cells = line.split("\t");
    return { key: cells[0], values: cells.slice(1).map((cell) => Number.parseInt(cell || "0", 10)) };
  });
}

/** Everything the page would misread in `folder` (a summaries folder), one line each; empty when all reads. */
export function pageProblems(folder: string): string[] {
  const problems: string[] = [];
  const summaries = path.join(folder, "summaries");
  for (const id of fs.readdirSync(summaries)) {
    for (const name of fs.readdirSync(path.join(summaries, id))) {
      const text = fs.readFileSync(path.join(summaries, id, name), "utf8");
      const where = `summaries/${id}/${name}`;
      if (name === "requester_count.tsv") {
        if (!/^\d+$/.test(text)) problems.push(`${where}: ${JSON.stringify(text)} is not one whole number`);
        continue;
      }
      let rows: { key: string; values: number[] }[];
      try {
        rows = readTableAsPage(text);
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`);
        continue;
      }
      const width = text.slice(0, text.indexOf("\n")).split("\t").length - 1;
      for (const row of rows) {
        if (row.values.length !== width)
          problems.push(`${where}: ${row.key} has ${row.values.length} numbers`);
        if (row.values.some((value) => !Number.isSafeInteger(value) || value < 0))
          problems.push(`${where}: ${row.key} reads as ${row.values.join(", ")}`);
      }
      if (/^by_(day|asset|region)\.tsv$/.test(name) && width !== 4)
        problems.push(`${where}: ${width} columns of numbers`);
    }
  }
  const totals = JSON.parse(fs.readFileSync(path.join(folder, "totals.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const entries = Object.entries(totals);
  entries.push(["archive", JSON.parse(fs.readFileSync(path.join(folder, "archive_totals.json"), "utf8"))]);
  for (const [id, entry] of entries) {
    const keys = Object.keys(entry as object);
    if (keys.join() !== TOTALS_KEYS.join()) problems.push(`totals of ${id}: keys ${keys.join(", ")}`);
    for (const [key, value] of Object.entries(entry as object))
      if (!Number.isSafeInteger(value) || (value as number) < 0)
        problems.push(`totals of ${id}: ${key} is ${value}`);
  }
  const coordinates = parseYaml(
    fs.readFileSync(path.join(folder, "region_codes_to_coordinates.yaml"), "utf8"),
  ) as Record<string, { latitude: unknown; longitude: unknown }>;
  for (const [region, at] of Object.entries(coordinates)) {
    const ok =
      (at.latitude === null && at.longitude === null) ||
      (typeof at.latitude === "number" && typeof at.longitude === "number");
    if (!ok) problems.push(`region_codes_to_coordinates.yaml: ${region} is at ${JSON.stringify(at)}`);
  }
  return problems;
}
