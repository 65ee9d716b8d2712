// Map geometry without the DOM: region views, projection fitting, zoom/pan transforms and
// hit-testing. Unit-tested in node (test/unit/geo.test.mjs).

import { geoAlbers, geoNaturalEarth1, type GeoProjection } from 'd3-geo';

export type RegionId =
  | 'world'
  | 'north-america'
  | 'europe'
  | 'asia'
  | 'south-america'
  | 'africa'
  | 'oceania'
  | 'united-states';

export interface Region {
  id: RegionId;
  label: string;
  /** [west, south, east, north] in degrees; null for the whole world */
  bbox: [number, number, number, number] | null;
  /** which base map files this view draws */
  layers: Array<'countries-110m' | 'countries-50m' | 'states-10m'>;
}

export const REGIONS: Region[] = [
  { id: 'world', label: 'World', bbox: null, layers: ['countries-110m'] },
  { id: 'north-america', label: 'North America', bbox: [-168, 7, -52, 72], layers: ['countries-50m'] },
  { id: 'united-states', label: 'United States', bbox: [-124.8, 24.4, -66.9, 49.4], layers: ['countries-50m', 'states-10m'] },
  { id: 'europe', label: 'Europe', bbox: [-25, 34, 45, 71], layers: ['countries-50m'] },
  { id: 'asia', label: 'Asia', bbox: [26, -11, 150, 56], layers: ['countries-50m'] },
  { id: 'south-america', label: 'South America', bbox: [-82, -56, -34, 13], layers: ['countries-50m'] },
  { id: 'africa', label: 'Africa', bbox: [-18, -35, 52, 38], layers: ['countries-50m'] },
  { id: 'oceania', label: 'Oceania', bbox: [110, -48, 180, 0], layers: ['countries-50m'] },
];

export function regionById(id: string | null | undefined): Region {
  return REGIONS.find((r) => r.id === id) ?? REGIONS[0]!;
}

function bboxPoints(b: [number, number, number, number]): GeoJSON.MultiPoint {
  const [w, s, e, n] = b;
  const pts: [number, number][] = [];
  const steps = 8;
  for (let i = 0; i <= steps; i++) {
    const lon = w + ((e - w) * i) / steps;
    const lat = s + ((n - s) * i) / steps;
    pts.push([lon, s], [lon, n], [w, lat], [e, lat]);
  }
  return { type: 'MultiPoint', coordinates: pts };
}

/**
 * The projection of a region view, fitted into a width × height canvas with `pad` pixels of
 * margin. World and continents use Natural Earth (rotated to the region's centre); the United
 * States uses a conic equal-area (Albers) projection as US maps usually do.
 */
export function projectionFor(region: Region, width: number, height: number, pad = 8): GeoProjection {
  const extent: [[number, number], [number, number]] = [
    [pad, pad],
    [Math.max(pad + 1, width - pad), Math.max(pad + 1, height - pad)],
  ];
  let p: GeoProjection;
  if (!region.bbox) {
    p = geoNaturalEarth1().fitExtent(extent, { type: 'Sphere' });
  } else if (region.id === 'united-states') {
    p = geoAlbers().fitExtent(extent, bboxPoints(region.bbox));
  } else {
    const centerLon = (region.bbox[0] + region.bbox[2]) / 2;
    p = geoNaturalEarth1().rotate([-centerLon, 0]).fitExtent(extent, bboxPoints(region.bbox));
  }
  // Zoom and pan never show anything outside the fitted canvas (see clampPan), so geometry is
  // clipped to it: a continent view then builds paths for what it shows, not for the world.
  // The atlases are dense already: no adaptive resampling.
  if (region.bbox) p.clipExtent([[-2, -2], [width + 2, height + 2]]);
  return p.precision(0);
}

type Box = [number, number, number, number];

function ringBox(ring: number[][], box: Box): void {
  for (const pt of ring) {
    const lon = pt[0]!;
    const lat = pt[1]!;
    if (lon < box[0]) box[0] = lon;
    if (lat < box[1]) box[1] = lat;
    if (lon > box[2]) box[2] = lon;
    if (lat > box[3]) box[3] = lat;
  }
}

function boxesMeet(a: Box, b: Box): boolean {
  // Also one turn east or west: a view near the antimeridian meets shapes on its other side.
  for (const shift of [0, 360, -360]) {
    if (a[0] + shift <= b[2] && a[2] + shift >= b[0] && a[1] <= b[3] && a[3] >= b[1]) return true;
  }
  return false;
}

/**
 * The parts of a base-map geometry (land polygons, border lines) whose bounding box meets the
 * view's box widened by 60% of its size on every side: what a regional view can show, even
 * zoomed out to its canvas's edges. Projecting a view is most of a page's first map draw, and
 * d3 projects every point before clipping; a United States view then projects a tenth of the
 * world's outlines. The test is by bounding box, so a shape that surrounds the view is kept.
 * `bbox` null (the world view) returns the geometry as it is.
 */
export function cropToView<T extends GeoJSON.GeoJsonObject>(obj: T, bbox: Box | null): T | GeoJSON.GeoJsonObject {
  if (!bbox) return obj;
  const mx = 0.6 * (bbox[2] - bbox[0]);
  const my = 0.6 * (bbox[3] - bbox[1]);
  const view: Box = [bbox[0] - mx, bbox[1] - my, bbox[2] + mx, bbox[3] + my];
  const meets = (rings: number[][][]): boolean => {
    const box: Box = [Infinity, Infinity, -Infinity, -Infinity];
    for (const ring of rings) ringBox(ring, box);
    return boxesMeet(box, view);
  };
  const polygons: number[][][][] = [];
  const lines: number[][][] = [];
  let sawPolygons = false;
  let sawLines = false;
  let sawOther = false;
  const walk = (o: any): void => {
    if (!o) return;
    switch (o.type) {
      case 'FeatureCollection':
        for (const f of o.features) walk(f);
        break;
      case 'Feature':
        walk(o.geometry);
        break;
      case 'GeometryCollection':
        for (const g of o.geometries) walk(g);
        break;
      case 'Polygon':
        sawPolygons = true;
        if (meets(o.coordinates)) polygons.push(o.coordinates);
        break;
      case 'MultiPolygon':
        sawPolygons = true;
        for (const p of o.coordinates) if (meets(p)) polygons.push(p);
        break;
      case 'LineString':
        sawLines = true;
        if (meets([o.coordinates])) lines.push(o.coordinates);
        break;
      case 'MultiLineString':
        sawLines = true;
        for (const l of o.coordinates) if (meets([l])) lines.push(l);
        break;
      default:
        sawOther = true;
    }
  };
  walk(obj);
  // One kind of shape is cropped; anything else (points, the sphere, a mix) is drawn as it is.
  if (sawOther || sawPolygons === sawLines) return obj;
  if (sawPolygons) return { type: 'MultiPolygon', coordinates: polygons } as GeoJSON.MultiPolygon;
  return { type: 'MultiLineString', coordinates: lines } as GeoJSON.MultiLineString;
}

export interface LonLat {
  lon: number;
  lat: number;
  weight?: number;
}

function inBox(p: LonLat, b: [number, number, number, number]): boolean {
  return p.lon >= b[0] && p.lon <= b[2] && p.lat >= b[1] && p.lat <= b[3];
}

/**
 * The smallest preset view that holds at least `share` of the weight of `points`
 * (the United States before North America before the world). World when there are no points.
 */
export function chooseRegion(points: LonLat[], share = 0.85): RegionId {
  const total = points.reduce((s, p) => s + Math.max(0, p.weight ?? 1), 0);
  if (points.length === 0 || !(total > 0)) return 'world';
  const order: RegionId[] = ['united-states', 'europe', 'north-america', 'south-america', 'africa', 'oceania', 'asia'];
  for (const id of order) {
    const r = regionById(id);
    const inside = points.reduce((s, p) => s + (inBox(p, r.bbox!) ? Math.max(0, p.weight ?? 1) : 0), 0);
    if (inside >= share * total) return id;
  }
  return 'world';
}

/** A zoom/pan on top of a fitted projection: screen = base · k + (x, y). */
export interface Transform {
  k: number;
  x: number;
  y: number;
}

export const IDENTITY: Transform = { k: 1, x: 0, y: 0 };

/**
 * Zooms by `factor` around the screen point (px, py), which stays under the cursor, with k
 * clamped to [kMin, kMax]; then clamps the pan so the map still covers the canvas.
 */
export function zoomAt(t: Transform, px: number, py: number, factor: number, width: number, height: number, kMin = 1, kMax = 48): Transform {
  const k = Math.max(kMin, Math.min(kMax, t.k * factor));
  const f = k / t.k;
  return clampPan({ k, x: px - (px - t.x) * f, y: py - (py - t.y) * f }, width, height);
}

/** Keeps the zoomed base extent [0, width] × [0, height] covering the canvas (no empty edges). */
export function clampPan(t: Transform, width: number, height: number): Transform {
  const minX = width - width * t.k;
  const minY = height - height * t.k;
  return {
    k: t.k,
    x: Math.min(0, Math.max(minX, t.x)),
    y: Math.min(0, Math.max(minY, t.y)),
  };
}

/**
 * The place under the screen point (px, py): among the circles (xs[i], ys[i], rs[i]) that
 * contain it, enlarged by `slop` pixels, the one whose centre is nearest relative to its size
 * (so a small city on top of a big one stays reachable). -1 when none.
 */
export function hitTest(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  rs: ArrayLike<number>,
  n: number,
  px: number,
  py: number,
  slop = 3,
): number {
  let best = -1;
  let bestScore = Infinity;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - px;
    const dy = ys[i]! - py;
    const r = rs[i]! + slop;
    const d2 = dx * dx + dy * dy;
    if (d2 > r * r) continue;
    const score = Math.sqrt(d2) / r;
    if (score < bestScore || (score === bestScore && rs[i]! < rs[best]!)) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}
