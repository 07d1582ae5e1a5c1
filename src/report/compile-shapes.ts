import type { LoggerInterface, Spec as VegaSpec } from "vega";
import type { TopLevelSpec } from "vega-lite";

type Compile = (spec: TopLevelSpec, options: { logger: LoggerInterface }) => { spec: VegaSpec };
/** `vega.parse`: a Vega specification to the description of its dataflow that a View runs. */
type Parse = (spec: VegaSpec) => object;

interface Shape {
  /** The shape compiled, or null when it cannot stand for its charts. */
  vegaSpec: Template | null;
  /** The compiled shape parsed; null when it cannot stand for its charts, undefined until asked for. */
  dataflow?: Template | null;
}

/**
 * Vega-Lite's compile, once per shape of chart rather than once per chart. A report draws a few shapes
 * (bytes over time, bars by region, asset or version) with different data, titles and sizes, and
 * compiling was a fifth of a page's time (3-4 ms a chart) to give the same Vega specification each time
 * but for those values. So the values that Vega-Lite only carries through are swapped for numbered
 * stand-ins: the data, the top-level title, description and width, the axes' titles, and the positive
 * ends of a scale's domain. The shape is compiled once, and each chart's Vega specification is the shape's with the
 * stand-ins replaced by its own values: the same, key for key, as compiling the chart itself
 * (test/report-compile-shapes.test.ts compares them over many charts, and the SVG drawn from them).
 *
 * What Vega-Lite decides from a value must not depend on which value it is. It decides from a domain
 * whether the scale includes zero, so zero and negative ends stay in the shape (stand-ins are positive).
 * A shape is used only if every stand-in comes out whole in its compiled form and the compile said
 * nothing; otherwise its charts are compiled one by one, as before.
 *
 * Vega's parse of the compiled specification, another fifth of a chart's time, is kept per shape the
 * same way: there the stand-ins come out whole too, but for texts, which Vega writes into code as
 * string literals (`"Bytes sent by region"`), put back as Vega writes them.
 */
export class ShapeCompiler {
  private readonly shapes = new Map<string, Shape>();

  constructor(
    private readonly compile: Compile,
    private readonly parse?: Parse,
  ) {}

  /** The Vega specification of `spec`, as `compile` gives it; `logger` hears what compiling it says. */
  vegaSpecOf(spec: TopLevelSpec, logger: LoggerInterface): VegaSpec {
    const { shape, holes } = this.shapeOf(spec);
    if (shape.vegaSpec === null) return this.compile(spec, { logger }).spec;
    return shape.vegaSpec.fill(holes) as VegaSpec;
  }

  /** The dataflow of `spec`, as `parse` gives it for the chart's Vega specification. */
  dataflowOf(spec: TopLevelSpec, logger: LoggerInterface): object {
    const parse = this.parse;
    if (parse === undefined) throw new Error("this ShapeCompiler was made without a parse");
    const { shape, holes } = this.shapeOf(spec);
    if (shape.dataflow === undefined)
      shape.dataflow = shape.vegaSpec === null ? null : parseShape(parse, shape.vegaSpec, holes.length);
    if (shape.dataflow === null) return parse(this.vegaSpecOf(spec, logger));
    return shape.dataflow.fill(holes) as object;
  }

  private shapeOf(spec: TopLevelSpec): { shape: Shape; holes: unknown[] } {
    const holes: unknown[] = [];
    const standIns = withStandIns(spec, holes);
    const key = JSON.stringify(standIns);
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      shape = { vegaSpec: compileShape(this.compile, standIns as TopLevelSpec, holes.length) };
      if (this.shapes.size >= MAX_SHAPES) this.shapes.clear();
      this.shapes.set(key, shape);
    }
    return { shape, holes };
  }
}

/** Charts of the report come in a handful of shapes; a bound keeps odd callers from growing this without end. */
const MAX_SHAPES = 256;

/** Strings that no title or description holds; numbers far beyond any chart's width or domain in its unit. */
const TEXT_MARK = "\u0001stand-in ";
const NUMBER_BASE = 987_654_321.125;
const DATA_MARK = "\u0001stand-in data";
/** The start of a text stand-in written as a string literal, and what no other value holds. */
const QUOTED_MARK = JSON.stringify(TEXT_MARK).slice(0, -1);
const MARKS = [TEXT_MARK, DATA_MARK, QUOTED_MARK, String(Math.floor(NUMBER_BASE)).slice(0, 6)];

function textStandIn(n: number): string {
  return `${TEXT_MARK}${n}\u0001`;
}

/** `spec` with its carried values replaced by stand-ins; the values go to `holes`, stand-in n at n - 1. */
function withStandIns(spec: TopLevelSpec, holes: unknown[]): unknown {
  const hole = (value: unknown, standIn: (n: number) => unknown) => {
    holes.push(value);
    return standIn(holes.length);
  };
  const walk = (node: unknown, key: string | null, depth: number, inAxis = false): unknown => {
    if (Array.isArray(node)) {
      if (key === "values") return hole(node, (n) => [{ [DATA_MARK]: n }]);
      if (key === "domain" && node.every((end) => typeof end === "number"))
        return node.map((end: number) => (end > 0 ? hole(end, (n) => NUMBER_BASE + n) : end));
      return node.map((item) => walk(item, null, depth + 1));
    }
    if (node !== null && typeof node === "object") {
      const copy: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(node))
        copy[name] = walk(value, name, depth + 1, key === "axis");
      return copy;
    }
    if (depth === 1 && (key === "title" || key === "description") && typeof node === "string")
      return hole(node, textStandIn);
    // An axis title names the unit (`Bytes per day (GB)`): as a stand-in, one shape serves every unit.
    // Only a written title: an empty one may be left out, which a stand-in would not show.
    if (inAxis && key === "title" && typeof node === "string" && node !== "") return hole(node, textStandIn);
    if (depth === 1 && key === "width" && typeof node === "number" && node > 0)
      return hole(node, (n) => NUMBER_BASE + n);
    return node;
  };
  return walk(spec, null, 0);
}

/** A stand-in found: its index, and whether it is a text written as a string literal of code. */
interface Found {
  index: number;
  quoted: boolean;
}

function textIndexOf(text: string): number {
  if (!text.startsWith(TEXT_MARK) || !text.endsWith("\u0001")) return -1;
  const n = Number(text.slice(TEXT_MARK.length, -1));
  return Number.isInteger(n) && n >= 1 ? n - 1 : -1;
}

/** The stand-in `node` is, or null. */
function standInOf(node: unknown): Found | null {
  let index = -1;
  let quoted = false;
  if (typeof node === "number") {
    const n = node - NUMBER_BASE;
    if (Number.isInteger(n) && n >= 1) index = n - 1;
  } else if (typeof node === "string") {
    index = textIndexOf(node);
    if (index < 0 && node.startsWith(QUOTED_MARK)) {
      try {
        index = textIndexOf(JSON.parse(node) as string);
        quoted = index >= 0;
      } catch {
        // Not a string literal: no stand-in.
      }
    }
  } else if (Array.isArray(node) && node.length === 1 && node[0] !== null && typeof node[0] === "object") {
    const n = (node[0] as Record<string, unknown>)[DATA_MARK];
    if (typeof n === "number") index = n - 1;
  }
  return index < 0 ? null : { index, quoted };
}

/** How Vega writes a text into code (vega-util's `stringValue`). */
function stringLiteral(text: string): string {
  return JSON.stringify(text).replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029");
}

/** Where a stand-in is in a template: the keys down to it. */
interface Site {
  path: (string | number)[];
  index: number;
  quoted: boolean;
}

/**
 * A compiled or parsed shape and the places of its stand-ins. A parsed shape is kept as JSON text, which
 * Vega's dataflow description is made to be (vega-runtime reads it from JSON; its keys set to undefined
 * and its classes of operators are as good as absent and plain): parsing the text again and putting the
 * values in their places copies it several times faster than walking it. Vega-Lite's output, whose keys
 * set to undefined may override defaults where Vega merges configs, is copied key by key.
 */
class Template {
  private constructor(
    private readonly tree: unknown,
    private readonly json: string | null,
    private readonly sites: readonly Site[],
  ) {}

  /**
   * The template of `node`, or null unless every one of `holes` stand-ins is in it and none is in it any
   * other way (changed, or inside a longer text).
   */
  static of(node: unknown, holes: number, asJson: boolean): Template | null {
    const sites: Site[] = [];
    const found = new Set<number>();
    let broken = false;
    let jsonSafe = asJson;
    const visit = (value: unknown, path: (string | number)[]): void => {
      const standIn = standInOf(value);
      if (standIn !== null) {
        found.add(standIn.index);
        sites.push({ path, ...standIn });
        return;
      }
      if (typeof value === "string") broken ||= MARKS.some((mark) => value.includes(mark));
      else if (typeof value === "number") {
        broken ||= Math.abs(value - NUMBER_BASE) < 1e6;
        jsonSafe &&= Number.isFinite(value) && !Object.is(value, -0);
      } else if (Array.isArray(value)) {
        // JSON writes an undefined item as null, where an undefined key is left out as it reads.
        jsonSafe &&= !value.includes(undefined);
        for (const [i, item] of value.entries()) visit(item, [...path, i]);
      } else if (value !== null && typeof value === "object") {
        for (const [name, item] of Object.entries(value)) {
          broken ||= MARKS.some((mark) => name.includes(mark));
          visit(item, [...path, name]);
        }
      } else jsonSafe &&= value === undefined || value === null || typeof value === "boolean";
    };
    visit(node, []);
    if (broken || found.size !== holes || [...found].some((index) => index >= holes)) return null;
    if (sites.some((site) => site.path.length === 0)) return null;
    return new Template(node, jsonSafe ? JSON.stringify(node) : null, sites);
  }

  /** A copy with the stand-ins in place. */
  standIns(): unknown {
    return structuredClone(this.tree);
  }

  /** A copy with each stand-in replaced by its value. */
  fill(holes: readonly unknown[]): unknown {
    if (this.json === null) return fillStandIns(this.tree, holes);
    const copy = JSON.parse(this.json) as Record<string | number, unknown>;
    for (const { path, index, quoted } of this.sites) {
      let parent = copy;
      for (let i = 0; i < path.length - 1; i++) parent = parent[path[i]] as Record<string | number, unknown>;
      parent[path[path.length - 1]] = quoted ? stringLiteral(holes[index] as string) : holes[index];
    }
    return copy;
  }
}

/** A copy of `node`, every key kept, with each stand-in replaced by its value. */
function fillStandIns(node: unknown, holes: readonly unknown[]): unknown {
  const standIn = standInOf(node);
  if (standIn !== null)
    return standIn.quoted ? stringLiteral(holes[standIn.index] as string) : holes[standIn.index];
  if (Array.isArray(node)) return node.map((item) => fillStandIns(item, holes));
  if (node !== null && typeof node === "object") {
    const copy: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node)) copy[name] = fillStandIns(value, holes);
    return copy;
  }
  return node;
}

/** The compiled shape, or null when it cannot stand for its charts. */
function compileShape(compile: Compile, shape: TopLevelSpec, holes: number): Template | null {
  const said: string[] = [];
  const note = (...args: unknown[]) => {
    said.push(args.map(String).join(" "));
    return logger;
  };
  const logger = {
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
  return said.length === 0 ? Template.of(compiled, holes, false) : null;
}

/** The parsed shape, or null when it cannot stand for its charts. */
function parseShape(parse: Parse, vegaSpec: Template, holes: number): Template | null {
  let dataflow: object;
  try {
    dataflow = parse(vegaSpec.standIns() as VegaSpec);
  } catch {
    return null;
  }
  return Template.of(dataflow, holes, true);
}
