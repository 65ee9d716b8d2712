// The outage map: an offline base map (Natural Earth countries, US Census states) and up to
// thousands of places, drawn on one canvas. Base geometry is projected once per view into
// Path2D objects; zoom and pan are a canvas transform on top, so redraws stay cheap. Places are
// drawn in COLOR_BINS batches (one path and one fill per colour class).
//
// Accessibility: the canvas is focusable; arrow keys move between places (ranked order), the
// tooltip follows and a live region reads it; + / − zoom, 0 resets. Pages put a table with the
// same places next to the map.

import { geoPath, type GeoProjection } from 'd3-geo';
import { feature, mesh } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import { COLOR_BINS, VIRIDIS, binColor, legendTicks, logBin, radiusFor } from './color';
import { h, replaceChildren, s } from './dom';
import { formatCompact } from './format';
import { IDENTITY, REGIONS, clampPan, cropToView, hitTest, projectionFor, regionById, zoomAt, type RegionId, type Transform } from './geo';

export interface MapPlace {
  lon: number;
  lat: number;
  /** drives the circle area (excess reports, or reports) */
  size: number;
  /** drives the colour on a log scale (ratio to usual, or reports) */
  color: number;
  /** tooltip and screen-reader text */
  label: string;
  href?: string;
}

export interface LegendSpec {
  colorTitle: string;
  /** formats a colour stop: 12 → "×12" */
  colorFormat: (v: number) => string;
  sizeTitle: string;
}

type LayerName = 'countries-110m' | 'countries-50m' | 'states-10m';

interface LayerGeo {
  fill: GeoJSON.Feature | GeoJSON.FeatureCollection | null;
  lines: GeoJSON.MultiLineString;
  outline?: GeoJSON.MultiLineString;
}

const layerCache = new Map<LayerName, Promise<LayerGeo>>();

/** Base URL of the map files; the build copies them to /assets/maps/. */
export let MAP_BASE = '/assets/maps/';

const topologyCache = new Map<LayerName, Promise<Topology>>();

/** The layer's TopoJSON, downloaded once. */
function topologyOf(name: LayerName): Promise<Topology> {
  let p = topologyCache.get(name);
  if (!p) {
    p = fetch(`${MAP_BASE}${name}.json`).then((r) => {
      if (!r.ok) throw new Error(`map data ${name}: HTTP ${r.status}`);
      return r.json() as Promise<Topology>;
    });
    p.catch(() => topologyCache.delete(name));
    topologyCache.set(name, p);
  }
  return p;
}

/**
 * Starts downloading a layer without decoding it. Decoding the 50m outlines takes the main thread
 * for a while; done early it delayed the page's own API requests, so it waits for loadLayer().
 */
export function prefetchLayer(name: LayerName): void {
  topologyOf(name).catch(() => undefined);
}

export function loadLayer(name: LayerName): Promise<LayerGeo> {
  let p = layerCache.get(name);
  if (!p) {
    p = topologyOf(name)
      .then((topo: Topology) => {
        const o = topo.objects as Record<string, any>;
        if (name === 'states-10m') {
          return {
            fill: null,
            lines: mesh(topo, o.states, (a: unknown, b: unknown) => a !== b),
            outline: mesh(topo, o.nation),
          } as LayerGeo;
        }
        return {
          fill: feature(topo, o.land) as GeoJSON.Feature | GeoJSON.FeatureCollection,
          lines: mesh(topo, o.countries, (a: unknown, b: unknown) => a !== b),
        } as LayerGeo;
      });
    p.catch(() => layerCache.delete(name));
    layerCache.set(name, p);
  }
  return p;
}

interface BasePaths {
  key: string;
  sphere: Path2D | null;
  land: Path2D[];
  borders: Path2D[];
  states: Path2D | null;
  nation: Path2D | null;
}

export interface MapViewOptions {
  /** accessible name, e.g. "Map of reports for Microsoft 365" */
  label: string;
  region?: RegionId;
  legend: LegendSpec;
  /** extra controls placed in the toolbar (e.g. the excess/raw toggle) */
  controls?: Node[];
  onRegionChange?: (id: RegionId) => void;
  /** height / width of the canvas for the world view */
  aspect?: number;
}

function cssVar(el: Element, name: string, fallback: string): string {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

export class MapView {
  readonly root: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private readonly live: HTMLElement;
  private readonly legendEl: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly opts: MapViewOptions;
  private region: RegionId;
  private width = 0;
  private height = 0;
  private dpr = 1;
  private projection: GeoProjection | null = null;
  private t: Transform = IDENTITY;
  private base: BasePaths | null = null;
  private geo = new Map<LayerName, LayerGeo>();
  private places: MapPlace[] = [];
  private bx = new Float64Array(0);
  private by = new Float64Array(0);
  private sx = new Float64Array(0);
  private sy = new Float64Array(0);
  private rs = new Float64Array(0);
  private bins = new Uint8Array(0);
  private order: number[] = [];
  private placed = 0;
  private hover = -1;
  private focusIdx = -1;
  private frame = 0;
  private ro: ResizeObserver | null = null;
  private mq: MediaQueryList | null = null;
  private destroyed = false;
  private pointers = new Map<number, { x: number; y: number }>();
  private drag: { x: number; y: number; t: Transform; moved: boolean } | null = null;
  private pinch: { d: number; t: Transform } | null = null;
  private layersReady: Promise<void> = Promise.resolve();
  /** Base map files load only once the page has data (setPlaces, setRegion or whenDrawn), so a
   * view that is about to change does not fetch and project a map nobody sees. */
  private started = false;
  /** places drawn by the last draw (for tests) */
  drawnCount = 0;
  /** milliseconds the last draw took (performance.now around draw()) */
  lastDrawMs = 0;

  constructor(opts: MapViewOptions) {
    this.opts = opts;
    this.region = opts.region ?? 'world';
    this.canvas = h('canvas', {
      class: 'map-canvas',
      tabindex: 0,
      role: 'application',
      'aria-roledescription': 'map',
      'aria-label': `${opts.label}. Arrow keys move between places, plus and minus zoom, 0 resets.`,
    });
    this.tooltip = h('div', { class: 'map-tooltip', hidden: true, 'aria-hidden': 'true' });
    this.live = h('div', { class: 'visually-hidden', 'aria-live': 'polite' });
    this.legendEl = h('div', { class: 'map-legend' });
    this.select = h(
      'select',
      { class: 'map-region', 'aria-label': 'Map region' },
      REGIONS.map((r) => h('option', { value: r.id }, r.label)),
    );
    this.select.value = this.region;
    this.select.addEventListener('change', () => this.setRegion(this.select.value as RegionId, true));
    const zoomBtn = (label: string, text: string, fn: () => void) =>
      h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': label, title: label, onclick: fn }, text);
    const toolbar = h(
      'div',
      { class: 'map-toolbar' },
      h('label', { class: 'map-region-label' }, h('span', { class: 'visually-hidden' }, 'Region'), this.select),
      h(
        'div',
        { class: 'map-zoom', role: 'group', 'aria-label': 'Zoom' },
        zoomBtn('Zoom in', '+', () => this.zoomCenter(1.6)),
        zoomBtn('Zoom out', '−', () => this.zoomCenter(1 / 1.6)),
        zoomBtn('Reset zoom', '⟲', () => this.resetZoom()),
      ),
      opts.controls ?? [],
    );
    this.root = h(
      'div',
      { class: 'map' },
      toolbar,
      h('div', { class: 'map-stage' }, this.canvas, this.tooltip),
      this.legendEl,
      this.live,
    );
    this.bindEvents();
    this.renderLegend(1, 1);
    if (typeof ResizeObserver !== 'undefined') {
      this.ro = new ResizeObserver(() => this.resize());
      this.ro.observe(this.root);
    }
    if (typeof matchMedia !== 'undefined') {
      this.mq = matchMedia('(prefers-color-scheme: dark)');
      this.mq.addEventListener?.('change', this.onTheme);
    }
  }

  private onTheme = () => this.requestDraw();

  /** Whether the person changed the view (region, zoom, pan): pages then stop fitting it. */
  userMoved = false;

  /** Moves to `id` unless the person already chose a view; keeps the zoom when it is the same. */
  autoRegion(id: RegionId): void {
    if (this.userMoved || id === this.region) return;
    this.setRegion(id);
  }

  /** Changes the legend's titles and label format (drawn with the next setPlaces). */
  setLegend(spec: LegendSpec): void {
    this.opts.legend = spec;
  }

  /** The current view. */
  get regionId(): RegionId {
    return this.region;
  }

  /** Places projected onto the map (all places with coordinates). */
  get placedCount(): number {
    return this.placed;
  }

  /** Resolves once the base map of the current view is loaded and drawn with the places. */
  async whenDrawn(): Promise<void> {
    if (this.width === 0) this.resize();
    if (!this.started) {
      this.started = true;
      this.loadLayers();
    }
    for (let i = 0; i < 3; i++) {
      await this.layersReady;
      if (this.layerNames().every((n) => this.geo.has(n))) break;
      this.loadLayers();
    }
    this.drawNow();
  }

  destroy(): void {
    this.destroyed = true;
    this.ro?.disconnect();
    this.mq?.removeEventListener?.('change', this.onTheme);
    if (this.frame) cancelAnimationFrame(this.frame);
  }

  setRegion(id: RegionId, fromUser = false): void {
    this.started = true;
    this.region = regionById(id).id;
    this.select.value = this.region;
    this.t = IDENTITY;
    this.base = null;
    this.reproject();
    this.loadLayers();
    if (fromUser) {
      this.userMoved = true;
      this.opts.onRegionChange?.(this.region);
    }
  }

  setPlaces(places: MapPlace[]): void {
    this.places = places;
    if (!this.started) {
      // the page decides the view right after this (autoRegion); load on the next frame
      this.started = true;
      queueMicrotask(() => {
        if (!this.layerNames().every((n) => this.geo.has(n))) this.loadLayers();
      });
    }
    const n = places.length;
    this.bx = new Float64Array(n);
    this.by = new Float64Array(n);
    this.sx = new Float64Array(n);
    this.sy = new Float64Array(n);
    this.rs = new Float64Array(n);
    this.bins = new Uint8Array(n);
    let maxSize = 0;
    let maxColor = 1;
    for (const p of places) {
      if (p.size > maxSize) maxSize = p.size;
      if (p.color > maxColor) maxColor = p.color;
    }
    for (let i = 0; i < n; i++) {
      const p = places[i]!;
      this.rs[i] = radiusFor(p.size, maxSize);
      this.bins[i] = logBin(p.color, maxColor);
    }
    // Draw order: colour class ascending (hottest on top), then big circles before small ones.
    this.order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => this.bins[a]! - this.bins[b]! || this.rs[b]! - this.rs[a]!,
    );
    this.hover = -1;
    this.focusIdx = -1;
    this.tooltip.hidden = true;
    this.renderLegend(maxColor, maxSize);
    this.reproject();
  }

  private loadLayers(): void {
    const names = this.layerNames();
    const missing = names.filter((n) => !this.geo.has(n));
    if (missing.length === 0) {
      this.layersReady = Promise.resolve();
      this.requestDraw();
      return;
    }
    const region = this.region;
    this.layersReady = Promise.all(missing.map((n) => loadLayer(n).then((g) => this.geo.set(n, g)))).then(
      () => {
        if (this.region === region) {
          this.base = null;
          this.requestDraw();
        }
      },
      () => {
        this.live.textContent = 'The base map could not be loaded.';
      },
    );
  }

  /** Layers of the view; the world view switches to 50m once zoomed in. */
  private layerNames(): LayerName[] {
    const r = regionById(this.region);
    if (r.id === 'world' && this.t.k >= 2.5) return ['countries-50m'];
    return r.layers.slice();
  }

  private resize(): void {
    if (this.destroyed) return;
    const w = Math.round(this.root.clientWidth || 640);
    if (w === this.width && this.height) return;
    const r = regionById(this.region);
    const aspect = r.id === 'world' ? (this.opts.aspect ?? 0.52) : 0.62;
    this.width = w;
    this.height = Math.round(Math.max(220, Math.min(640, w * aspect)));
    this.dpr = Math.min(2, (typeof devicePixelRatio === 'number' && devicePixelRatio) || 1);
    this.canvas.width = Math.round(this.width * this.dpr);
    this.canvas.height = Math.round(this.height * this.dpr);
    this.canvas.style.height = `${this.height}px`;
    this.t = IDENTITY;
    this.base = null;
    this.reproject();
    if (this.started && !this.layerNames().every((n) => this.geo.has(n))) this.loadLayers();
  }

  private reproject(): void {
    if (this.width === 0) return;
    this.projection = projectionFor(regionById(this.region), this.width, this.height);
    const proj = this.projection;
    let placed = 0;
    for (let i = 0; i < this.places.length; i++) {
      const p = this.places[i]!;
      const xy = Number.isFinite(p.lon) && Number.isFinite(p.lat) ? proj([p.lon, p.lat]) : null;
      if (xy && Number.isFinite(xy[0]) && Number.isFinite(xy[1])) {
        this.bx[i] = xy[0];
        this.by[i] = xy[1];
        placed++;
      } else {
        this.bx[i] = NaN;
        this.by[i] = NaN;
      }
    }
    this.placed = placed;
    this.requestDraw();
  }

  private buildBase(): BasePaths | null {
    const proj = this.projection;
    if (!proj) return null;
    const names = this.layerNames().filter((n) => this.geo.has(n));
    // While a finer layer loads, keep drawing whatever coarser layer is there.
    if (names.length === 0) {
      for (const n of ['countries-110m', 'countries-50m'] as LayerName[]) if (this.geo.has(n)) names.push(n);
    }
    const key = `${this.region}|${this.width}x${this.height}|${names.join(',')}`;
    if (this.base && this.base.key === key) return this.base;
    const viewBox = regionById(this.region).bbox;
    const mk = (obj: GeoJSON.GeoJsonObject | null | undefined): Path2D | null => {
      if (!obj) return null;
      const p = new Path2D();
      geoPath(proj, p as unknown as CanvasRenderingContext2D)(cropToView(obj, viewBox) as any);
      return p;
    };
    // The projection runs without adaptive resampling (precision 0: the land data is dense enough
    // and drawing stays fast), but the sphere's outline is only a handful of points and needs it,
    // or the world's edge is drawn as a hexagon.
    const sphereOutline = (): Path2D | null => {
      const previous = proj.precision();
      proj.precision(0.5);
      const path = mk({ type: 'Sphere' } as any);
      proj.precision(previous);
      return path;
    };
    const base: BasePaths = {
      key,
      sphere: regionById(this.region).bbox ? null : sphereOutline(),
      land: [],
      borders: [],
      states: null,
      nation: null,
    };
    for (const n of names) {
      const g = this.geo.get(n)!;
      if (n === 'states-10m') {
        base.states = mk(g.lines);
        base.nation = mk(g.outline);
      } else {
        const land = mk(g.fill as any);
        const borders = mk(g.lines);
        if (land) base.land.push(land);
        if (borders) base.borders.push(borders);
      }
    }
    this.base = base;
    return base;
  }

  requestDraw(): void {
    if (this.destroyed || this.frame) return;
    if (typeof requestAnimationFrame === 'undefined') {
      this.drawNow();
      return;
    }
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.drawNow();
    });
  }

  /** Draws base map and places synchronously; returns the time it took in milliseconds. */
  drawNow(): number {
    if (this.destroyed || this.width === 0) return 0;
    const t0 = performance.now();
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return 0;
    const el = this.root;
    const ocean = cssVar(el, '--map-ocean', '#dbe7f3');
    const land = cssVar(el, '--map-land', '#f4f4f1');
    const border = cssVar(el, '--map-border', '#9aa3ad');
    const stateBorder = cssVar(el, '--map-state', '#b9c0c8');
    const bg = cssVar(el, '--map-bg', '#ffffff');
    const ring = cssVar(el, '--map-focus', '#000000');
    const outline = cssVar(el, '--map-point-outline', 'rgba(0,0,0,0.55)');
    const { k, x, y } = this.t;
    const dpr = this.dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const base = this.buildBase();
    ctx.fillStyle = base?.sphere ? bg : ocean;
    ctx.fillRect(0, 0, this.width, this.height);
    if (base) {
      ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * x, dpr * y);
      if (base.sphere) {
        ctx.fillStyle = ocean;
        ctx.fill(base.sphere);
      }
      ctx.fillStyle = land;
      for (const p of base.land) ctx.fill(p);
      ctx.lineJoin = 'round';
      if (base.states) {
        ctx.strokeStyle = stateBorder;
        ctx.lineWidth = 0.6 / k;
        ctx.stroke(base.states);
      }
      ctx.strokeStyle = border;
      ctx.lineWidth = 0.8 / k;
      for (const p of base.borders) ctx.stroke(p);
      if (base.nation) ctx.stroke(base.nation);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    }
    // Places, one batch per colour class.
    const n = this.places.length;
    for (let i = 0; i < n; i++) {
      this.sx[i] = this.bx[i]! * k + x;
      this.sy[i] = this.by[i]! * k + y;
    }
    let drawn = 0;
    ctx.lineWidth = 0.8;
    ctx.strokeStyle = outline;
    let idx = 0;
    for (let bin = 0; bin < COLOR_BINS; bin++) {
      ctx.beginPath();
      let any = false;
      while (idx < this.order.length && this.bins[this.order[idx]!] === bin) {
        const i = this.order[idx++]!;
        const px = this.sx[i]!;
        const py = this.sy[i]!;
        if (!Number.isFinite(px)) continue;
        const r = this.rs[i]!;
        ctx.moveTo(px + r, py);
        ctx.arc(px, py, r, 0, Math.PI * 2);
        any = true;
        drawn++;
      }
      if (!any) continue;
      ctx.globalAlpha = 0.82;
      ctx.fillStyle = binColor(bin);
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.stroke();
    }
    const mark = this.focusIdx >= 0 ? this.focusIdx : this.hover;
    if (mark >= 0 && Number.isFinite(this.sx[mark]!)) {
      ctx.beginPath();
      ctx.arc(this.sx[mark]!, this.sy[mark]!, this.rs[mark]! + 3, 0, Math.PI * 2);
      ctx.lineWidth = 2;
      ctx.strokeStyle = ring;
      ctx.stroke();
    }
    this.drawnCount = drawn;
    this.lastDrawMs = performance.now() - t0;
    this.canvas.dataset.drawn = String(drawn);
    this.canvas.dataset.region = this.region;
    this.canvas.dataset.base = base && base.land.length ? '1' : '0';
    return this.lastDrawMs;
  }

  private renderLegend(maxColor: number, maxSize: number): void {
    const spec = this.opts.legend;
    const ramp = h('div', { class: 'legend-ramp', 'aria-hidden': 'true' });
    ramp.style.backgroundImage = `linear-gradient(to right, ${VIRIDIS.join(', ')})`;
    const ticks = legendTicks(Math.max(2, maxColor));
    const tickEls = ticks.map((tk) => {
      const el = h('span', { class: 'legend-tick' }, spec.colorFormat(tk.value));
      el.style.left = `${tk.pos * 100}%`;
      return el;
    });
    const sizes = maxSize > 0 ? [maxSize / 16, maxSize / 4, maxSize].map((v) => Math.max(1, Math.round(v))) : [];
    const uniq = Array.from(new Set(sizes));
    const rMax = radiusFor(maxSize, maxSize);
    const baseY = 2 + 2 * rMax;
    let x = 2;
    const circles = uniq.map((v) => {
      const r = radiusFor(v, maxSize);
      const cx = x + Math.max(r, 12);
      x = cx + Math.max(r, 12) + 8;
      return [
        s('circle', { cx, cy: baseY - r, r, class: 'legend-circle' }),
        s('text', { x: cx, y: baseY + 12, 'text-anchor': 'middle', class: 'legend-text' }, formatCompact(v)),
      ];
    });
    const svgW = Math.ceil(x);
    const svgH = Math.ceil(baseY + 16);
    replaceChildren(
      this.legendEl,
      h(
        'div',
        { class: 'legend-block' },
        h('div', { class: 'legend-title' }, spec.colorTitle),
        ramp,
        h('div', { class: 'legend-ticks' }, tickEls),
      ),
      uniq.length
        ? h(
            'div',
            { class: 'legend-block' },
            h('div', { class: 'legend-title' }, spec.sizeTitle),
            s('svg', { width: svgW, height: svgH, viewBox: `0 0 ${svgW} ${svgH}`, 'aria-hidden': 'true' }, circles),
          )
        : null,
    );
  }

  private zoomCenter(factor: number): void {
    this.applyTransform(zoomAt(this.t, this.width / 2, this.height / 2, factor, this.width, this.height));
  }

  private resetZoom(): void {
    this.applyTransform(IDENTITY);
  }

  private applyTransform(t: Transform): void {
    this.userMoved = true;
    const before = this.layerNames().join();
    this.t = t;
    if (this.layerNames().join() !== before) this.loadLayers();
    this.requestDraw();
    if (this.focusIdx >= 0) this.showTip(this.focusIdx, false);
    else this.tooltip.hidden = true;
  }

  private localXY(e: { clientX: number; clientY: number }): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  private showTip(i: number, announce: boolean): void {
    const p = this.places[i];
    if (!p || !Number.isFinite(this.sx[i]!)) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.textContent = p.label;
    this.tooltip.hidden = false;
    const x = this.sx[i]!;
    const y = this.sy[i]! - this.rs[i]! - 6;
    const left = Math.max(4, Math.min(this.width - 4, x));
    this.tooltip.style.left = `${left}px`;
    this.tooltip.style.top = `${Math.max(0, y)}px`;
    this.tooltip.classList.toggle('below', y < 40);
    if (y < 40) this.tooltip.style.top = `${this.sy[i]! + this.rs[i]! + 6}px`;
    if (announce) this.live.textContent = p.label;
  }

  private rankedIndices(): number[] {
    // The order pages give places in is their ranking (most impacted first).
    const out: number[] = [];
    for (let i = 0; i < this.places.length; i++) if (Number.isFinite(this.bx[i]!)) out.push(i);
    return out;
  }

  private bindEvents(): void {
    const c = this.canvas;
    c.addEventListener('pointermove', (e) => {
      const [px, py] = this.localXY(e);
      this.pointers.set(e.pointerId, { x: px, y: py });
      if (this.pinch && this.pointers.size === 2) {
        const [a, b] = Array.from(this.pointers.values());
        const d = Math.hypot(a!.x - b!.x, a!.y - b!.y);
        const mx = (a!.x + b!.x) / 2;
        const my = (a!.y + b!.y) / 2;
        this.applyTransform(zoomAt(this.pinch.t, mx, my, d / this.pinch.d, this.width, this.height));
        return;
      }
      if (this.drag) {
        const dx = px - this.drag.x;
        const dy = py - this.drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) this.drag.moved = true;
        if (this.drag.moved) {
          this.applyTransform(clampPan({ k: this.drag.t.k, x: this.drag.t.x + dx, y: this.drag.t.y + dy }, this.width, this.height));
        }
        return;
      }
      const i = hitTest(this.sx, this.sy, this.rs, this.places.length, px, py);
      if (i !== this.hover) {
        this.hover = i;
        c.style.cursor = i >= 0 ? (this.places[i]!.href ? 'pointer' : 'default') : 'grab';
        if (i >= 0) this.showTip(i, false);
        else if (this.focusIdx < 0) this.tooltip.hidden = true;
        this.requestDraw();
      }
    });
    c.addEventListener('pointerdown', (e) => {
      const [px, py] = this.localXY(e);
      this.pointers.set(e.pointerId, { x: px, y: py });
      if (this.pointers.size === 2) {
        const [a, b] = Array.from(this.pointers.values());
        this.pinch = { d: Math.max(1, Math.hypot(a!.x - b!.x, a!.y - b!.y)), t: this.t };
        this.drag = null;
      } else {
        this.drag = { x: px, y: py, t: this.t, moved: false };
      }
      c.setPointerCapture?.(e.pointerId);
    });
    const end = (e: PointerEvent) => {
      this.pointers.delete(e.pointerId);
      if (this.pointers.size < 2) this.pinch = null;
      const d = this.drag;
      this.drag = null;
      if (d && !d.moved && e.type === 'pointerup') {
        const [px, py] = this.localXY(e);
        const i = hitTest(this.sx, this.sy, this.rs, this.places.length, px, py);
        const href = i >= 0 ? this.places[i]!.href : undefined;
        if (href) {
          c.dispatchEvent(new CustomEvent('om-navigate', { bubbles: true, detail: href }));
        } else if (i >= 0) {
          this.showTip(i, true);
        }
      }
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('pointerleave', () => {
      if (this.hover >= 0) {
        this.hover = -1;
        if (this.focusIdx < 0) this.tooltip.hidden = true;
        this.requestDraw();
      }
    });
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const [px, py] = this.localXY(e);
        const factor = Math.exp(-Math.max(-100, Math.min(100, e.deltaY)) * 0.004);
        this.applyTransform(zoomAt(this.t, px, py, factor, this.width, this.height));
      },
      { passive: false },
    );
    c.addEventListener('keydown', (e) => {
      const ranked = this.rankedIndices();
      let handled = true;
      switch (e.key) {
        case 'ArrowRight':
        case 'ArrowDown': {
          if (ranked.length === 0) break;
          const pos = ranked.indexOf(this.focusIdx);
          this.focusIdx = ranked[(pos + 1) % ranked.length]!;
          this.showTip(this.focusIdx, true);
          this.requestDraw();
          break;
        }
        case 'ArrowLeft':
        case 'ArrowUp': {
          if (ranked.length === 0) break;
          const pos = ranked.indexOf(this.focusIdx);
          this.focusIdx = ranked[(pos <= 0 ? ranked.length : pos) - 1]!;
          this.showTip(this.focusIdx, true);
          this.requestDraw();
          break;
        }
        case '+':
        case '=':
          this.zoomCenter(1.6);
          break;
        case '-':
        case '_':
          this.zoomCenter(1 / 1.6);
          break;
        case '0':
          this.resetZoom();
          break;
        case 'Escape':
          this.focusIdx = -1;
          this.tooltip.hidden = true;
          this.requestDraw();
          break;
        case 'Enter': {
          const href = this.focusIdx >= 0 ? this.places[this.focusIdx]?.href : undefined;
          if (href) c.dispatchEvent(new CustomEvent('om-navigate', { bubbles: true, detail: href }));
          else handled = false;
          break;
        }
        default:
          handled = false;
      }
      if (handled) e.preventDefault();
    });
    c.addEventListener('focus', () => {
      if (this.focusIdx < 0) {
        const ranked = this.rankedIndices();
        if (ranked.length) {
          this.focusIdx = ranked[0]!;
          this.showTip(this.focusIdx, true);
          this.requestDraw();
        }
      }
    });
    c.addEventListener('blur', () => {
      this.focusIdx = -1;
      if (this.hover < 0) this.tooltip.hidden = true;
      this.requestDraw();
    });
  }
}
