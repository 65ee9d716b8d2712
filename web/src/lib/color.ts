// Scales and colours for the map and the chart. Pure functions (unit-tested in node).
//
// The map uses viridis (perceptually uniform, readable with the common colour-vision
// deficiencies and in greyscale): low = dark purple, high = yellow. Status colours come from
// the Okabe–Ito palette and are never the only signal (every status also has an icon and text).

export const VIRIDIS = [
  '#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725',
];

/** Okabe–Ito: vermillion, orange, bluish green. */
export const STATUS_COLORS = { outage: '#d55e00', possible: '#e69f00', normal: '#009e73' } as const;

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function toHex(r: number, g: number, b: number): string {
  const c = (x: number) => Math.round(Math.max(0, Math.min(255, x))).toString(16).padStart(2, '0');
  return `#${c(r)}${c(g)}${c(b)}`;
}

/** t in [0, 1] → a viridis colour, linearly interpolated between the 9 stops. */
export function viridis(t: number): string {
  const x = Number.isFinite(t) ? Math.max(0, Math.min(1, t)) : 0;
  const pos = x * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = hexToRgb(VIRIDIS[i]!);
  const b = hexToRgb(VIRIDIS[i + 1]!);
  return toHex(a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f);
}

/** Number of colour classes the map draws (one canvas path per class keeps 5,000 places fast). */
export const COLOR_BINS = 8;

export function binColor(bin: number): string {
  return viridis((bin + 0.5) / COLOR_BINS);
}

/** A log scale from [1, max] onto the bins: ratio ≤ 1 → bin 0, ratio ≥ max → the last bin. */
export function logBin(value: number, max: number): number {
  if (!(value > 1) || !(max > 1)) return 0;
  const t = Math.log(value) / Math.log(max);
  return Math.max(0, Math.min(COLOR_BINS - 1, Math.floor(t * COLOR_BINS)));
}

/** Circle radius in CSS pixels: area proportional to value, between rMin and rMax. */
export function radiusFor(value: number, maxValue: number, rMin = 2.5, rMax = 22): number {
  if (!(value > 0) || !(maxValue > 0)) return rMin;
  const t = Math.sqrt(Math.min(1, value / maxValue));
  return rMin + (rMax - rMin) * t;
}

/**
 * Labelled stops of the colour legend for a log scale from 1 to max: 1 at the left end, max at
 * the right end, and between them powers of ten (or 2 and 5 for narrow ranges) placed at
 * log(v)/log(max), skipping any closer than `minGap` (a share of the ramp) to a neighbour.
 */
export function legendTicks(max: number, minGap = 0.24): { value: number; pos: number }[] {
  if (!(max > 1)) return [{ value: 1, pos: 0 }];
  const lm = Math.log(max);
  const cands: number[] = [];
  if (max >= 100) {
    for (let v = 10; v < max; v *= 10) cands.push(v);
  } else {
    for (const v of [2, 5, 10, 20, 50]) if (v < max) cands.push(v);
  }
  const out = [{ value: 1, pos: 0 }];
  for (const v of cands) {
    const pos = Math.log(v) / lm;
    if (pos - out[out.length - 1]!.pos >= minGap && 1 - pos >= minGap) out.push({ value: v, pos });
  }
  out.push({ value: max, pos: 1 });
  return out;
}
