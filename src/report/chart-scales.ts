/**
 * The scales and ticks of the report's charts, computed as Vega computes them (d3-array's `ticks`,
 * d3-scale's `nice` and `tickFormat`, d3-time's intervals), so that the charts drawn directly read as
 * the Vega-Lite ones did: the same domains, the same ticks, the same labels.
 */

const E10 = Math.sqrt(50);
const E5 = Math.sqrt(10);
const E2 = Math.sqrt(2);

/** d3-array's tickSpec: the first and last tick as multiples of `inc` (a divisor when negative). */
function tickSpec(start: number, stop: number, count: number): [number, number, number] {
  const step = (stop - start) / Math.max(0, count);
  const power = Math.floor(Math.log10(step));
  const error = step / 10 ** power;
  const factor = error >= E10 ? 10 : error >= E5 ? 5 : error >= E2 ? 2 : 1;
  let i1: number;
  let i2: number;
  let inc: number;
  if (power < 0) {
    inc = 10 ** -power / factor;
    i1 = Math.round(start * inc);
    i2 = Math.round(stop * inc);
    if (i1 / inc < start) ++i1;
    if (i2 / inc > stop) --i2;
    inc = -inc;
  } else {
    inc = 10 ** power * factor;
    i1 = Math.round(start / inc);
    i2 = Math.round(stop / inc);
    if (i1 * inc < start) ++i1;
    if (i2 * inc > stop) --i2;
  }
  if (i2 < i1 && count >= 0.5 && count < 2) return tickSpec(start, stop, count * 2);
  return [i1, i2, inc];
}

/** About `count` round values from `start` to `stop` (d3-array's `ticks`, for start <= stop). */
export function linearTicks(start: number, stop: number, count: number): number[] {
  if (!(count > 0)) return [];
  if (start === stop) return [start];
  const [i1, i2, inc] = tickSpec(start, stop, count);
  if (!(i2 >= i1)) return [];
  const ticks: number[] = [];
  for (let i = i1; i <= i2; i++) ticks.push(inc < 0 ? i / -inc : i * inc);
  return ticks;
}

function tickIncrement(start: number, stop: number, count: number): number {
  return tickSpec(start, stop, count)[2];
}

/** The step between `linearTicks` (d3-array's `tickStep`). */
function tickStep(start: number, stop: number, count: number): number {
  const inc = tickIncrement(start, stop, count);
  return inc < 0 ? -1 / inc : inc;
}

/** `[start, stop]` widened to round values, as d3-scale's `nice()` (ten ticks) does for Vega's `nice: true`. */
export function niceDomain(start: number, stop: number, count = 10): [number, number] {
  let previous: number | undefined;
  for (let tries = 10; tries > 0; tries--) {
    const step = tickIncrement(start, stop, count);
    if (step === previous) break;
    if (step > 0) {
      start = Math.floor(start / step) * step;
      stop = Math.ceil(stop / step) * step;
    } else if (step < 0) {
      start = Math.ceil(start * step) / step;
      stop = Math.floor(stop * step) / step;
    } else break;
    previous = step;
  }
  return [start, stop];
}

/**
 * Labels for `linearTicks(start, stop, count)`: as many decimals as the step needs, thousands separated
 * (d3-format's `,.Nf`). By hand rather than with `Intl.NumberFormat`, whose formatting was half the
 * time of drawing a page's charts.
 */
export function tickFormat(start: number, stop: number, count: number): (value: number) => string {
  const step = Math.abs(tickStep(start, stop, count));
  const decimals = step > 0 && Number.isFinite(step) ? Math.max(0, -Math.floor(Math.log10(step))) : 0;
  return (value) => {
    const fixed = Math.abs(value).toFixed(decimals);
    const point = fixed.indexOf(".");
    const whole = point < 0 ? fixed : fixed.slice(0, point);
    const grouped = whole.length > 3 ? whole.replace(/\B(?=(\d{3})+$)/g, ",") : whole;
    const text = point < 0 ? grouped : grouped + fixed.slice(point);
    return value < 0 && Number(fixed) !== 0 ? `\u2212${text}` : text;
  };
}

export type TimeInterval = "day" | "month" | "year";

/** The ticks of a time axis: every `step` days of the month, months of the year, or years, as d3-time's `every`. */
export function timeTicks(start: number, stop: number, interval: TimeInterval, step: number): number[] {
  const ticks: number[] = [];
  const first = new Date(start);
  let year = first.getUTCFullYear();
  let month = interval === "year" ? 0 : first.getUTCMonth();
  let day = interval === "day" ? first.getUTCDate() : 1;
  for (;;) {
    const at = Date.UTC(year, month, day);
    if (at > stop) break;
    const date = new Date(at);
    const on =
      interval === "day"
        ? (date.getUTCDate() - 1) % step === 0
        : interval === "month"
          ? date.getUTCMonth() % step === 0
          : date.getUTCFullYear() % step === 0;
    if (at >= start && on) ticks.push(at);
    if (interval === "day") day++;
    else if (interval === "month") month++;
    else year++;
  }
  return ticks;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A time tick's label: "5 Jan 2024" for days, "Jan 2024" for months, "2024" for years. */
export function timeLabel(at: number, interval: TimeInterval): string {
  const date = new Date(at);
  const year = String(date.getUTCFullYear());
  if (interval === "year") return year;
  const month = `${MONTHS[date.getUTCMonth()]} ${year}`;
  return interval === "month" ? month : `${date.getUTCDate()} ${month}`;
}
