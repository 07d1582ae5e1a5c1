import { STYLE } from "./style.js";

/** Makes text safe inside HTML elements and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Pages load nothing: no scripts, no fonts, no images from anywhere, even if a link slipped in. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export interface PageParts {
  title: string;
  /** From the page to the report's top folder: "" for index.html, "../" for the Dandiset pages. */
  root: string;
  /** Already-escaped HTML. */
  body: string;
  /** Already-escaped HTML paragraphs for the footer: when and from what the page was made. */
  footer: string;
}

export function renderPage(parts: PageParts): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<title>${escapeHtml(parts.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site"><div><a href="${parts.root}index.html">DANDI Archive usage</a><span>downloads from the archive's S3 bucket</span></div></header>
<main id="main">
${parts.body}
</main>
<footer><div>
${parts.footer}
</div></footer>
</body>
</html>
`;
}

export interface Column {
  title: string;
  numeric?: boolean;
  /** Cells of this column hold long paths that may wrap anywhere. */
  path?: boolean;
  /** Cells of this column name their row (`<th scope="row">`). */
  rowHeader?: boolean;
}

/** A table whose cells are already-escaped HTML. */
export function renderTable(caption: string, columns: readonly Column[], rows: readonly string[][]): string {
  const cellClass = (column: Column) =>
    column.numeric ? ' class="num"' : column.path ? ' class="path"' : "";
  const head = columns.map(
    (column) => `<th scope="col"${cellClass(column)}>${escapeHtml(column.title)}</th>`,
  );
  const body = rows.map(
    (row) =>
      `<tr>${row
        .map((cell, i) =>
          columns[i].rowHeader
            ? `<th scope="row"${cellClass(columns[i])}>${cell}</th>`
            : `<td${cellClass(columns[i])}>${cell}</td>`,
        )
        .join("")}</tr>`,
  );
  return `<div class="table-wrap"><table>
<caption>${caption}</caption>
<thead><tr>${head.join("")}</tr></thead>
<tbody>
${body.join("\n")}
</tbody>
</table></div>`;
}

export interface Stat {
  label: string;
  /** Already-escaped HTML, usually a `<data>` element. */
  value: string;
  small?: boolean;
}

export function renderStats(label: string, stats: readonly Stat[]): string {
  const items = stats.map(
    (stat) =>
      `<div class="stat"><dt>${escapeHtml(stat.label)}</dt><dd${stat.small ? ' class="small"' : ""}>${stat.value}</dd></div>`,
  );
  return `<dl class="stats" aria-label="${escapeHtml(label)}">${items.join("")}</dl>`;
}

/** A chart's SVG with a caption; the SVG names itself for screen readers from the chart's description. */
export function renderFigure(svg: string, caption: string): string {
  return `<figure class="chart">${svg}<figcaption>${caption}</figcaption></figure>`;
}
