// The reports chart of a service (uPlot): reports per bucket, the expected count, and the band
// from expected up to the threshold above which the detector calls it "possible problems".
// The band and the expected line are drawn only when the server sends them (series?expected=1).

import uPlot from 'uplot';
import { h } from './dom';
import { axisTimeLabels, formatCount, formatDateTime } from './format';

export interface ChartData {
  /** bucket starts, epoch milliseconds */
  times: number[];
  reports: number[];
  expected: number[] | null;
  upper: number[] | null;
  stepSeconds: number;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Builds uPlot's column data; series without values are left out. */
export function toColumns(d: ChartData): uPlot.AlignedData {
  const xs = d.times.map((t) => t / 1000);
  const cols: (number | null)[][] = [xs, d.reports];
  if (d.expected && d.expected.length === xs.length) cols.push(d.expected);
  if (d.upper && d.upper.length === xs.length && d.expected) cols.push(d.upper);
  return cols as uPlot.AlignedData;
}

export class ReportsChart {
  readonly root: HTMLElement;
  private readonly plotHost: HTMLElement;
  private plot: uPlot | null = null;
  private data: ChartData | null = null;
  private ro: ResizeObserver | null = null;
  private mq: MediaQueryList | null = null;

  constructor(label: string) {
    this.plotHost = h('div', { class: 'chart-host', role: 'img', 'aria-label': label });
    this.root = h('div', { class: 'chart' }, this.plotHost);
    if (typeof ResizeObserver !== 'undefined') {
      this.ro = new ResizeObserver(() => this.resize());
      this.ro.observe(this.root);
    }
    this.mq = matchMedia('(prefers-color-scheme: dark)');
    this.mq.addEventListener?.('change', this.rebuild);
  }

  /** The uPlot instance (tests read its data). */
  get uplot(): uPlot | null {
    return this.plot;
  }

  private rebuild = () => {
    if (this.data) this.render(this.data, true);
  };

  private size(): { width: number; height: number } {
    const width = Math.max(280, Math.round(this.root.clientWidth || 600));
    const height = width < 560 ? 200 : 260;
    return { width, height };
  }

  private resize(): void {
    if (!this.plot) return;
    const { width, height } = this.size();
    if (width !== this.plot.width || height !== this.plot.height) this.plot.setSize({ width, height });
  }

  render(d: ChartData, force = false): void {
    const sameShape =
      this.data &&
      this.plot &&
      !force &&
      (this.data.expected !== null) === (d.expected !== null) &&
      (this.data.upper !== null) === (d.upper !== null) &&
      this.data.stepSeconds === d.stepSeconds;
    this.data = d;
    const cols = toColumns(d);
    if (sameShape) {
      this.plot!.setData(cols);
      return;
    }
    this.plot?.destroy();
    const accent = cssVar('--chart-reports', '#0072b2');
    const fill = cssVar('--chart-reports-fill', 'rgba(0,114,178,0.18)');
    const expected = cssVar('--chart-expected', '#6b7280');
    const band = cssVar('--chart-band', 'rgba(107,114,128,0.16)');
    const axis = cssVar('--text-muted', '#5b6470');
    const grid = cssVar('--chart-grid', 'rgba(0,0,0,0.07)');
    const perLabel = d.stepSeconds >= 3600 ? 'per hour' : d.stepSeconds >= 900 ? 'per 15 min' : d.stepSeconds >= 60 ? `per ${d.stepSeconds / 60} min` : 'per step';
    const series: uPlot.Series[] = [
      { value: (_u, v) => (v === null ? '–' : formatDateTime(v * 1000)) },
      {
        label: `Reports ${perLabel}`,
        stroke: accent,
        fill,
        width: 2,
        points: { show: false },
        value: (_u, v) => formatCount(v),
      },
    ];
    const hasExpected = cols.length > 2;
    const hasUpper = cols.length > 3;
    if (hasExpected) {
      series.push({
        label: 'Expected',
        stroke: expected,
        dash: [5, 4],
        width: 1.5,
        points: { show: false },
        value: (_u, v) => (v === null ? '–' : formatCount(v)),
      });
    }
    if (hasUpper) {
      series.push({
        label: 'Problem threshold',
        stroke: band,
        width: 1,
        points: { show: false },
        value: (_u, v) => (v === null ? '–' : formatCount(v)),
      });
    }
    const { width, height } = this.size();
    const axisCommon = { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width,
      height,
      series,
      bands: hasUpper ? [{ series: [3, 2], fill: band }] : [],
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, max * 1.08)] } },
      axes: [
        { ...axisCommon, size: 44, values: (_u, splits) => axisTimeLabels(splits) },
        { ...axisCommon, size: 56, values: (_u, vals) => vals.map((v) => (v >= 1000 ? `${v / 1000}k` : String(v))) },
      ],
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
    };
    this.plot = new uPlot(opts, cols, this.plotHost);
  }

  destroy(): void {
    this.ro?.disconnect();
    this.mq?.removeEventListener?.('change', this.rebuild);
    this.plot?.destroy();
    this.plot = null;
  }
}
