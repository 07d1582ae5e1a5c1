/** Reading a built report back, as a test would: figures, charts, and anything that looks like an IP address. */
import * as fs from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import * as path from "node:path";

/** The exact number behind a headline figure (`<dt>label</dt><dd><data value="…">`), or null when not shown. */
export function statValue(html: string, label: string): number | null {
  const match = new RegExp(`<dt>${label}</dt><dd[^>]*><data value="([0-9.e+]+)">`).exec(html);
  return match === null ? null : Number(match[1]);
}

/** The exact numbers of a table row whose header cell holds `key` (link text or plain text). */
export function rowValues(html: string, key: string): number[] {
  for (const row of html.split("<tr>")) {
    const header = /^<th scope="row"[^>]*>(?:<a [^>]*>)?([^<]*)/.exec(row);
    const firstCell = /^<td[^>]*>[^<]*<\/td><th scope="row"[^>]*>(?:<a [^>]*>)?([^<]*)/.exec(row);
    if (header?.[1] === key || firstCell?.[1] === key) {
      return [...row.matchAll(/<data value="([0-9.e+]+)">/g)].map((m) => Number(m[1]));
    }
  }
  return [];
}

/** The inline SVG charts of a page. */
export function svgCharts(html: string): string[] {
  return [...html.matchAll(/<svg [\s\S]*?<\/svg>/g)]
    .map((m) => m[0])
    .filter((svg) => !svg.includes('class="world-map"'));
}

/** The world maps of a page: the countries coloured, by code. */
export function worldMapCountries(html: string): string[][] {
  return [...html.matchAll(/<svg class="world-map"[\s\S]*?<\/svg>/g)].map((m) =>
    [...m[0].matchAll(/data-country="([A-Z]{2})"/g)].map((c) => c[1]),
  );
}

/** Every IPv4 or IPv6 address written anywhere in `text`. */
export function findIpAddresses(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])/g))
    if (isIPv4(m[0])) found.push(m[0]);
  for (const m of text.matchAll(/[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*/g)) {
    if (isIPv6(m[0])) found.push(m[0]);
  }
  return found;
}

/** Every file below `folder` (relative path -> UTF-8 text). */
export function readReport(folder: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(folder, full).split(path.sep).join("/"), fs.readFileSync(full, "utf8"));
  }
  return files;
}
