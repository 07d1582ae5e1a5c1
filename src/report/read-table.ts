import { RunError } from "../errors.js";
import { readTextIfExists } from "../io/read-if-exists.js";

/** The `date` column of the by-day tables. */
const DATE_KEY = /^\d{4}-\d{2}-\d{2}$/;

/** One row of a two-column table: a date, region or asset path, and a number of bytes or requests. */
export interface TableRow {
  key: string;
  value: number;
}

/**
 * Reads a `key\tvalue` table written by the map step, checking its header, or returns null when the file
 * is absent (older mapped folders lack the request tables). Keys keep any tab they contain: the number is
 * whatever follows the last tab. With `keysAreDates`, every key must be a `YYYY-MM-DD` date.
 */
export function readTable(
  file: string,
  keyColumn: string,
  valueColumn: string,
  keysAreDates = false,
): TableRow[] | null {
  const text = readTextIfExists(file);
  if (text === null) return null;
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) return [];
  const header = lines[0].replace(/\r$/, "");
  if (header !== `${keyColumn}\t${valueColumn}`) {
    throw new RunError(
      `${file}: line 1 is "${header}", expected "${keyColumn}\\t${valueColumn}"; ` +
        "pass a folder written by the map step",
    );
  }
  const rows: TableRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (line === "") continue;
    const tab = line.lastIndexOf("\t");
    const value = tab === -1 ? Number.NaN : Number(line.slice(tab + 1));
    if (!Number.isFinite(value) || value < 0) {
      throw new RunError(
        `${file}: line ${i + 1} ("${line.slice(0, 80)}") does not end in a tab and a number; ` +
          "the table is damaged, run the map step again",
      );
    }
    const key = line.slice(0, tab);
    if (keysAreDates && !DATE_KEY.test(key)) {
      throw new RunError(
        `${file}: line ${i + 1} has ${keyColumn} "${key.slice(0, 80)}", which is not of the form YYYY-MM-DD; ` +
          "the table is damaged, run the map step again",
      );
    }
    rows.push({ key, value });
  }
  return rows;
}

/** A JSON object from `file`, or null when the file is absent. */
export function readJsonObject(file: string): Record<string, unknown> | null {
  const text = readTextIfExists(file);
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RunError(`${file} is not valid JSON; run the map step again`, { cause: error });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new RunError(`${file} does not hold a JSON object; run the map step again`);
  }
  return parsed as Record<string, unknown>;
}

/** A non-negative number field of a totals.json, or null when missing or not a number. */
export function numberField(object: Record<string, unknown> | null, name: string): number | null {
  const value = object?.[name];
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}

export function stringField(object: Record<string, unknown> | null, name: string): string | null {
  const value = object?.[name];
  return typeof value === "string" && value !== "" ? value : null;
}
