/**
 * The stylesheet inlined in every page, so a page opened alone from disk still looks right. Charts draw
 * text `#000` and grid lines `#ddd` (see chart-svg.ts); the rules at the end recolour exactly those for
 * dark mode.
 */
export const STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1d2126; --muted: #5b6470; --line: #e3e6ea; --card: #f5f7f9;
  --accent: #1f64ad; --grid: #e6e6e6; --bar: #3f7fc1;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15181c; --fg: #e4e7eb; --muted: #9aa4af; --line: #2c3238; --card: #1d2227;
    --accent: #7fb3ee; --grid: #2f353b;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body {
  margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
}
a { color: var(--accent); }
a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .25rem .5rem; }
header.site { border-bottom: 1px solid var(--line); }
header.site div, main, footer div { max-width: 940px; margin: 0 auto; padding: 0 1.25rem; }
header.site div { display: flex; gap: 1rem; align-items: baseline; padding-top: .75rem; padding-bottom: .75rem; }
header.site a { font-weight: 600; text-decoration: none; color: var(--fg); }
header.site span { color: var(--muted); font-size: .9rem; }
h1 { font-size: 1.8rem; margin: 1.5rem 0 .25rem; line-height: 1.2; }
h1 .subtitle { display: block; font-size: 1.1rem; font-weight: 500; color: var(--muted); margin-top: .35rem; }
h2 { font-size: 1.25rem; margin: 2.5rem 0 .75rem; padding-top: 1rem; border-top: 1px solid var(--line); }
p.lede { color: var(--muted); margin: 0 0 1.25rem; }
p.note, figcaption, caption { color: var(--muted); font-size: .875rem; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: .75rem; margin: 1rem 0; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
.stat dt { color: var(--muted); font-size: .8rem; }
.stat dd { margin: 0; font-size: 1.3rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.stat dd.small { font-size: 1rem; }
figure.chart { margin: 1rem 0; overflow-x: auto; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart svg text[fill="#000"] { fill: var(--fg); }
figure.chart svg line[stroke="#ddd"] { stroke: var(--grid); }
figure.chart figcaption { margin-top: .25rem; }
figcaption .legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin-bottom: .25rem; color: var(--fg); }
figcaption .swatch { display: inline-block; width: .8em; height: .8em; margin-right: .35em; vertical-align: -.05em; border-radius: 2px; }
.table-wrap { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
caption { text-align: left; padding-bottom: .4rem; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; }
thead th { border-bottom: 2px solid var(--line); vertical-align: bottom; }
tbody th { font-weight: 500; }
tbody th .name { display: block; min-width: 11rem; max-width: 16rem; color: var(--muted); font-size: .8rem; font-weight: 400; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.path { overflow-wrap: anywhere; }
tbody tr:hover { background: var(--card); }
footer { margin-top: 3rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .85rem; }
footer div { padding-top: 1rem; padding-bottom: 2rem; }
footer p { margin: .25rem 0; }
`;
