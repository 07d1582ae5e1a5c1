import type { LoggerInterface } from "vega";
import type { TopLevelSpec } from "vega-lite";
import { loadRenderer } from "./load-vega.js";
import { installTextWidth } from "./text-width.js";

/** A Vega-Lite specification, the language the chart builders speak. */
export type ChartSpec = TopLevelSpec;

const LEVEL_WARN = 2;

/**
 * Keeps Vega's messages for the caller instead of printing them in the middle of a progress bar. Vega
 * calls these methods detached from the object, so they close over their state rather than use `this`.
 */
function collectingLogger(warnings: string[], errors: string[]): LoggerInterface {
  let level = LEVEL_WARN;
  const logger: LoggerInterface = {
    level: (value?: number) => {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error: (...args: unknown[]) => {
      errors.push(args.map(messageOf).join(" "));
      return logger;
    },
    warn: (...args: unknown[]) => {
      warnings.push(args.map(messageOf).join(" "));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}

/**
 * Renders a chart to an SVG document in Node, with no browser and no canvas: Vega-Lite compiles the
 * specification to Vega, and a headless Vega view draws it. Warnings (a field missing, a bad scale) go
 * to `warnings` so tests can insist there are none. The pages' charts are drawn directly
 * (draw-charts.ts); this draws the world's outlines once per install (world-map.ts) and, in the tests,
 * the Vega-Lite charts that the direct drawing is checked against.
 */
export async function renderSvg(spec: ChartSpec, warnings: string[] = []): Promise<string> {
  const { vega, vegaLite } = await loadRenderer();
  installTextWidth(vega);
  const errors: string[] = [];
  const logger = collectingLogger(warnings, errors);
  const view = new vega.View(vega.parse(vegaLite.compile(spec, { logger }).spec), {
    renderer: "none",
    logger,
  });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  if (errors.length > 0)
    throw new Error(`chart "${String(spec.title)}" failed to render: ${errors.join("; ")}`);
  return svg;
}
