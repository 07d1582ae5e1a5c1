import type { LoggerInterface, Spec as VegaSpec } from "vega";
import type { TopLevelSpec } from "vega-lite";

type Compile = (spec: TopLevelSpec, options: { logger: LoggerInterface }) => { spec: VegaSpec };

/**
 * Vega-Lite's compile, once per shape of chart rather than once per chart. A report draws a few shapes
 * (bytes over time, bars by region, asset or version) with different data, titles and sizes, and
 * compiling was a fifth of a page's time (3-4 ms a chart) to give the same Vega specification each time
 * but for those values. So the values that Vega-Lite only carries through are swapped for numbered
 * stand-ins: the data, the top-level title, description and width, and the positive ends of a scale's
 * domain. The shape is compiled once, and each chart's Vega specification is the shape's with the
 * stand-ins replaced by its own values: the same, key for key, as compiling the chart itself
 * (test/report-compile-shapes.test.ts compares them over many charts, and the SVG drawn from them).
 *
 * What Vega-Lite decides from a value must not depend on which value it is. It decides from a domain
 * whether the scale includes zero, so zero and negative ends stay in the shape (stand-ins are positive).
 * A shape is used only if every stand-in comes out whole in its compiled form and the compile said
 * nothing; otherwise its charts are compiled one by one, as before.
 */
export class ShapeCompiler {
  private readonly shapes = new Map<string, VegaSpec | null>();

  constructor(private readonly compile: Compile) {}

  /** The Vega specification of `spec`, as `compile` gives it; `logger` hears what compiling it says. */
  vegaSpecOf(spec: TopLevelSpec, logger: LoggerInterface): VegaSpec {
    const holes: unknown[] = [];
    const shape = withStandIns(spec, holes);
    const key = JSON.stringify(shape);
    let compiled = this.shapes.get(key);
    if (compiled === undefined) {
      compiled = compileShape(this.compile, shape as TopLevelSpec, holes.length);
      if (this.shapes.size >= MAX_SHAPES) this.shapes.clear();
      this.shapes.set(key, compiled);
    }
    if (compiled === null) return this.compile(spec, { logger }).spec;
    return fillStandIns(compiled, holes) as VegaSpec;
  }
}

/** Charts of the report come in a handful of shapes; a bound keeps odd callers from growing this without end. */
const MAX_SHAPES = 256;

/** Strings that no title or description holds; numbers far beyond any chart's width or domain in its unit. */
const TEXT_MARK = "\u0001stand-in ";
const NUMBER_BASE = 987_654_321.125;
const DATA_MARK = "\u0001stand-in data";

function textStandIn(n: number): string {
  return `${TEXT_MARK}${n}\u0001`;
}

/** `spec` with its carried values replaced by stand-ins; the values go to `holes`, stand-in n at n - 1. */
function withStandIns(spec: TopLevelSpec, holes: unknown[]): unknown {
  const hole = (value: unknown, standIn: (n: number) => unknown) => {
    holes.push(value);
    return standIn(holes.length);
  };
  const walk = (node: unknown, key: string | null, depth: number): unknown => {
    if (Array.isArray(node)) {
      if (key === "values") return hole(node, (n) => [{ [DATA_MARK]: n }]);
      if (key === "domain" && node.every((end) => typeof end === "number"))
        return node.map((end: number) => (end > 0 ? hole(end, (n) => NUMBER_BASE + n) : end));
      return node.map((item) => walk(item, null, depth + 1));
    }
    if (node !== null && typeof node === "object") {
      const copy: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(node)) copy[name] = walk(value, name, depth + 1);
      return copy;
    }
    if (depth === 1 && (key === "title" || key === "description") && typeof node === "string")
      return hole(node, textStandIn);
    if (depth === 1 && key === "width" && typeof node === "number" && node > 0)
      return hole(node, (n) => NUMBER_BASE + n);
    return node;
  };
  return walk(spec, null, 0);
}

/** The index of the stand-in `node` is, or -1. */
function standInOf(node: unknown): number {
  if (typeof node === "number") {
    const n = node - NUMBER_BASE;
    return Number.isInteger(n) && n >= 1 ? n - 1 : -1;
  }
  if (typeof node === "string") {
    if (!node.startsWith(TEXT_MARK) || !node.endsWith("\u0001")) return -1;
    const n = Number(node.slice(TEXT_MARK.length, -1));
    return Number.isInteger(n) && n >= 1 ? n - 1 : -1;
  }
  if (Array.isArray(node) && node.length === 1 && node[0] !== null && typeof node[0] === "object") {
    const n = (node[0] as Record<string, unknown>)[DATA_MARK];
    return typeof n === "number" ? n - 1 : -1;
  }
  return -1;
}

/** The compiled shape, or null when it cannot stand for its charts. */
function compileShape(compile: Compile, shape: TopLevelSpec, holes: number): VegaSpec | null {
  const said: string[] = [];
  const note = (...args: unknown[]) => {
    said.push(args.map(String).join(" "));
    return logger;
  };
  const logger: LoggerInterface = {
    level: (value?: number) => (value === undefined ? 2 : logger),
    error: note,
    warn: note,
    info: () => logger,
    debug: () => logger,
  } as LoggerInterface;
  let compiled: VegaSpec;
  try {
    compiled = compile(shape, { logger }).spec;
  } catch {
    return null;
  }
  if (said.length > 0) return null;
  // Every stand-in must come out whole; one found inside a longer string, or not at all, was changed.
  const found = new Set<number>();
  let broken = false;
  const visit = (node: unknown): void => {
    const n = standInOf(node);
    if (n >= 0) {
      found.add(n);
      return;
    }
    if (typeof node === "string") broken ||= node.includes(TEXT_MARK) || node.includes(DATA_MARK);
    else if (typeof node === "number") broken ||= Math.abs(node - NUMBER_BASE) < 1e6;
    else if (Array.isArray(node)) for (const item of node) visit(item);
    else if (node !== null && typeof node === "object")
      for (const [name, value] of Object.entries(node)) {
        broken ||= name.includes(TEXT_MARK) || name.includes(DATA_MARK);
        visit(value);
      }
  };
  visit(compiled);
  return broken || found.size !== holes ? null : compiled;
}

/** A copy of `node` with each stand-in replaced by its value. */
function fillStandIns(node: unknown, holes: readonly unknown[]): unknown {
  const n = standInOf(node);
  if (n >= 0) return holes[n];
  if (Array.isArray(node)) return node.map((item) => fillStandIns(item, holes));
  if (node !== null && typeof node === "object") {
    const copy: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node)) copy[name] = fillStandIns(value, holes);
    return copy;
  }
  return node;
}
