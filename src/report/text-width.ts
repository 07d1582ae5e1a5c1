/**
 * Without a canvas, Vega guesses every character to be 0.8 em wide, about half as wide again as real
 * text: axis labels get cut short and margins come out too wide. This gives it per-character widths close
 * to the sans-serif fonts browsers pick (DejaVu Sans, Arial), erring wide so labels never overlap. The
 * charts drawn directly (chart-svg.ts) lay out their axes with the same widths, as Vega did.
 */
const NARROW = new Set("ijlI.,:;'|!()[]{}` ");
const SLIM = new Set('frt/-"1');
const WIDE = new Set("mwMW@%");

function emWidth(char: string): number {
  if (NARROW.has(char)) return 0.3;
  if (SLIM.has(char)) return 0.42;
  if (WIDE.has(char)) return 0.95;
  if (char >= "A" && char <= "Z") return 0.72;
  if (char >= "0" && char <= "9") return 0.64;
  return 0.62;
}

export function estimateTextWidth(text: string, fontSize: number): number {
  let width = 0;
  for (const char of text) width += emWidth(char);
  return width * fontSize;
}

interface TextItem {
  text?: unknown;
  fontSize?: number | string;
  limit?: number;
}

/** The part of Vega's text measuring that is replaceable (vl-convert replaces it the same way); untyped in vega's types. */
interface TextMetrics {
  width: (item: TextItem, text?: unknown) => number;
}

let installed = false;

/** Makes Vega measure text with `estimateTextWidth`; call before rendering. */
export function installTextWidth(vega: typeof import("vega")): void {
  if (installed) return;
  const metrics = (vega as unknown as { textMetrics?: TextMetrics }).textMetrics;
  if (metrics === undefined) return;
  metrics.width = (item, text) => {
    const fontSize = item.fontSize === undefined ? 11 : Number(item.fontSize) || 0;
    const value = String(text ?? item.text ?? "").trim();
    const width = estimateTextWidth(value, fontSize);
    // Vega truncates labels longer than `limit` to fit it, so a limited label is never wider.
    return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
  };
  installed = true;
}
