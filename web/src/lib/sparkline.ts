// 24-hour sparklines of reports against expected, as small inline SVGs.

import type { Sparkline } from './api';
import { s } from './dom';
import { formatCount } from './format';

/** An SVG path through `values` scaled into width × height (y grows downwards), max at the top. */
export function sparkPath(values: number[], width: number, height: number, max: number, pad = 1.5): string {
  const n = values.length;
  if (n === 0 || !(max > 0)) return '';
  const step = n > 1 ? width / (n - 1) : 0;
  const inner = height - 2 * pad;
  let d = '';
  for (let i = 0; i < n; i++) {
    const v = Number.isFinite(values[i]!) ? Math.max(0, values[i]!) : 0;
    const x = n > 1 ? i * step : width / 2;
    const y = pad + inner - (Math.min(v, max) / max) * inner;
    d += `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
  }
  return d;
}

/** The same path closed down to the baseline, for an area fill. */
export function sparkArea(values: number[], width: number, height: number, max: number): string {
  const line = sparkPath(values, width, height, max);
  if (!line) return '';
  const n = values.length;
  const lastX = n > 1 ? width : width / 2;
  const firstX = n > 1 ? 0 : width / 2;
  return `${line}L${lastX.toFixed(1)},${height}L${firstX.toFixed(1)},${height}Z`;
}

/** A text summary read by screen readers instead of the picture. */
export function sparkSummary(sp: Sparkline): string {
  const total = sp.reports.reduce((a, b) => a + (b || 0), 0);
  const usual = sp.expected.reduce((a, b) => a + (b || 0), 0);
  const peak = Math.max(0, ...sp.reports);
  return `Last 24 hours: ${formatCount(total)} reports (usually about ${formatCount(usual)}), peak ${formatCount(peak)} in one hour`;
}

export function sparkline(sp: Sparkline | undefined, status: string, width = 120, height = 32): SVGElement {
  if (!sp || !Array.isArray(sp.reports) || sp.reports.length === 0) {
    return s('svg', { class: 'spark spark-empty', width, height, viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true' });
  }
  const exp = Array.isArray(sp.expected) && sp.expected.length === sp.reports.length ? sp.expected : null;
  const max = Math.max(1, ...sp.reports, ...(exp ?? []).map((v) => v * 1.15));
  return s(
    'svg',
    {
      class: `spark spark-${status}`,
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': sparkSummary(sp),
      preserveAspectRatio: 'none',
    },
    exp ? s('path', { class: 'spark-expected', d: sparkArea(exp, width, height, max) }) : null,
    s('path', { class: 'spark-area', d: sparkArea(sp.reports, width, height, max) }),
    s('path', { class: 'spark-line', d: sparkPath(sp.reports, width, height, max) }),
  );
}
