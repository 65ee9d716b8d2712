import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as g from '../.build/geo.mjs';

const W = 800;
const H = 500;

test('each region view fits its box inside the canvas and fills it along one axis', () => {
  for (const r of g.REGIONS) {
    const p = g.projectionFor(r, W, H, 8);
    const pts = r.bbox
      ? [
          [r.bbox[0], r.bbox[1]],
          [r.bbox[2], r.bbox[3]],
          [r.bbox[0], r.bbox[3]],
          [r.bbox[2], r.bbox[1]],
          [(r.bbox[0] + r.bbox[2]) / 2, (r.bbox[1] + r.bbox[3]) / 2],
        ]
      : [
          [-179.9, 0],
          [179.9, 0],
          [0, 89.9],
          [0, -89.9],
        ];
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    for (const ll of pts) {
      const xy = p(ll);
      assert.ok(xy, `${r.id}: ${ll} projects`);
      const [x, y] = xy;
      assert.ok(x >= 7.5 && x <= W - 7.5 && y >= 7.5 && y <= H - 7.5, `${r.id}: ${ll} → ${x},${y} inside`);
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    const fillX = (maxX - minX) / (W - 16);
    const fillY = (maxY - minY) / (H - 16);
    assert.ok(Math.max(fillX, fillY) > 0.85, `${r.id}: fills the canvas (${fillX.toFixed(2)}, ${fillY.toFixed(2)})`);
  }
});

test('United States view puts Minneapolis north of Dallas and Los Angeles west of New York', () => {
  const p = g.projectionFor(g.regionById('united-states'), W, H);
  const [mx, my] = p([-93.26, 44.98]);
  const [dx, dy] = p([-96.8, 32.78]);
  const [lx] = p([-118.24, 34.05]);
  const [nx] = p([-74.0, 40.71]);
  assert.ok(my < dy);
  assert.ok(lx < mx && mx < nx);
  assert.ok(Math.abs(mx - dx) < 60, 'both near the middle of the map');
});

test('regionById falls back to the world', () => {
  assert.equal(g.regionById('nope').id, 'world');
  assert.equal(g.regionById(null).id, 'world');
  assert.equal(g.regionById('europe').label, 'Europe');
});

test('chooseRegion picks the smallest view holding most of the weight', () => {
  const us = [
    { lon: -118.24, lat: 34.05, weight: 40 },
    { lon: -74.0, lat: 40.71, weight: 30 },
    { lon: -93.26, lat: 44.98, weight: 10 },
  ];
  assert.equal(g.chooseRegion(us), 'united-states');
  assert.equal(g.chooseRegion([...us, { lon: -99.13, lat: 19.43, weight: 70 }]), 'north-america', 'Mexico City is outside the US view');
  assert.equal(g.chooseRegion([...us, { lon: -79.38, lat: 43.65, weight: 20 }]), 'united-states', 'Toronto is inside the US view');
  assert.equal(g.chooseRegion([{ lon: 13.4, lat: 52.5 }, { lon: 2.35, lat: 48.86 }]), 'europe');
  assert.equal(g.chooseRegion([{ lon: 13.4, lat: 52.5 }, { lon: 139.7, lat: 35.7 }, { lon: -74, lat: 40.7 }]), 'world');
  assert.equal(g.chooseRegion([]), 'world');
  // a little background noise elsewhere does not pull the view out to the world
  assert.equal(g.chooseRegion([...us, { lon: 15.3, lat: -4.3, weight: 2 }]), 'united-states');
  assert.equal(g.chooseRegion([{ lon: 0, lat: 0, weight: 0 }]), 'world');
});

test('zoomAt keeps the point under the cursor fixed and clamps the scale', () => {
  const t = g.zoomAt(g.IDENTITY, 200, 100, 2, W, H);
  assert.equal(t.k, 2);
  // the base point under (200,100) before: (200,100); after: base*k + t
  assert.equal(200 * t.k + t.x, 200);
  assert.equal(100 * t.k + t.y, 100);
  const t2 = g.zoomAt(t, 600, 300, 3, W, H);
  const bx = (600 - t.x) / t.k;
  const by = (300 - t.y) / t.k;
  assert.ok(Math.abs(bx * t2.k + t2.x - 600) < 1e-9);
  assert.ok(Math.abs(by * t2.k + t2.y - 300) < 1e-9);
  assert.equal(g.zoomAt(g.IDENTITY, 10, 10, 0.1, W, H).k, 1, 'never below 1');
  assert.equal(g.zoomAt({ k: 40, x: 0, y: 0 }, 10, 10, 10, W, H).k, 48, 'never above 48');
});

test('clampPan keeps the map covering the canvas', () => {
  assert.deepEqual(g.clampPan({ k: 1, x: 50, y: -20 }, W, H), { k: 1, x: 0, y: 0 });
  assert.deepEqual(g.clampPan({ k: 2, x: -2000, y: 10 }, W, H), { k: 2, x: -800, y: 0 });
  assert.deepEqual(g.clampPan({ k: 2, x: -300, y: -200 }, W, H), { k: 2, x: -300, y: -200 });
});

test('hitTest finds the circle under the pointer, preferring the nearer/smaller one', () => {
  const xs = [100, 110, 400];
  const ys = [100, 100, 400];
  const rs = [30, 5, 10];
  assert.equal(g.hitTest(xs, ys, rs, 3, 111, 101), 1, 'the small city on top of a big one');
  assert.equal(g.hitTest(xs, ys, rs, 3, 80, 100), 0);
  assert.equal(g.hitTest(xs, ys, rs, 3, 405, 405), 2);
  assert.equal(g.hitTest(xs, ys, rs, 3, 250, 250), -1);
  assert.equal(g.hitTest(xs, ys, rs, 3, 412, 400, 3), 2, 'within the slop');
  assert.equal(g.hitTest(xs, ys, rs, 3, 415, 400, 3), -1, 'beyond the slop');
  assert.equal(g.hitTest([NaN], [NaN], [5], 1, 0, 0), -1, 'unplaced points never hit');
  assert.equal(g.hitTest(xs, ys, rs, 2, 405, 405), -1, 'only the first n are considered');
});

test('hitTest over 5,000 points is fast enough for pointermove', () => {
  const n = 5000;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const rs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = (i * 37) % W;
    ys[i] = (i * 91) % H;
    rs[i] = 3 + (i % 7);
  }
  const t0 = performance.now();
  for (let k = 0; k < 100; k++) g.hitTest(xs, ys, rs, n, k * 7, k * 3);
  const per = (performance.now() - t0) / 100;
  assert.ok(per < 5, `one hit test took ${per.toFixed(3)} ms`);
});

test('cropToView keeps the shapes a regional view can show and drops the far ones', () => {
  const square = (w, s, e, n) => [[[w, s], [e, s], [e, n], [w, n], [w, s]]];
  const land = {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: {},
        geometry: {
          type: 'MultiPolygon',
          coordinates: [
            square(-100, 30, -90, 40), // inside the United States view
            square(100, 30, 110, 40), // China: far away
            square(-170, -80, 170, 80), // surrounds the view without a vertex in it
            square(-60, 45, -50, 50), // Newfoundland, east of the box: inside the margin
          ],
        },
      },
    ],
  };
  const us = g.regionById('united-states').bbox;
  const cropped = g.cropToView(land, us);
  assert.equal(cropped.type, 'MultiPolygon');
  assert.deepEqual(
    cropped.coordinates.map((p) => p[0][0]),
    [
      [-100, 30],
      [-170, -80],
      [-60, 45],
    ],
  );
  const lines = { type: 'MultiLineString', coordinates: [[[-95, 35], [-94, 36]], [[20, 50], [21, 51]]] };
  assert.deepEqual(g.cropToView(lines, us).coordinates, [[[-95, 35], [-94, 36]]]);
  // The world view draws everything, as it was; so is a mix of kinds, or the sphere.
  assert.equal(g.cropToView(land, null), land);
  const mixed = { type: 'GeometryCollection', geometries: [lines, land.features[0].geometry] };
  assert.equal(g.cropToView(mixed, us), mixed);
  const sphere = { type: 'Sphere' };
  assert.equal(g.cropToView(sphere, us), sphere);
});

test('cropToView sees across the antimeridian', () => {
  const fiji = { type: 'Polygon', coordinates: [[[-179.9, -17], [-179, -17], [-179, -16], [-179.9, -16], [-179.9, -17]]] };
  const oceania = g.regionById('oceania').bbox;
  assert.equal(g.cropToView(fiji, oceania).coordinates.length, 1, 'Fiji east of 180 is in the Oceania view');
  const europe = g.regionById('europe').bbox;
  assert.equal(g.cropToView(fiji, europe).coordinates.length, 0);
});
