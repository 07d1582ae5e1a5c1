import { drawBarChart } from "./draw-charts.js";
import { renderFigure } from "./html.js";
import { labelSvg } from "./page-parts.js";
import { formatCount } from "./units.js";

/**
 * A figure of horizontal bars for the first rows of a ranking, with a caption that says whether the
 * bars show all of it: "The 15 regions that received most, of 30." or the `everyNote`.
 */
export function renderTopBarsFigure(options: {
  title: string;
  bars: readonly { label: string; bytes: number }[];
  /** How many rows the whole ranking has. */
  of: number;
  /** "regions that received most", "versions that sent most", … */
  what: string;
  /** Added after the count when some rows are left out. */
  moreNote?: string;
  everyNote: string;
}): string {
  const { title, bars, of } = options;
  return renderFigure(
    labelSvg(drawBarChart(title, bars), title),
    bars.length < of
      ? `The ${bars.length} ${options.what}, of ${formatCount(of)}${options.moreNote ?? ""}.`
      : options.everyNote,
  );
}
