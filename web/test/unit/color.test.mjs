import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../.build/color.mjs';

test('viridis endpoints, middle and clamping', () => {
  assert.equal(c.viridis(0), '#440154');
  assert.equal(c.viridis(1), '#fde725');
  assert.equal(c.viridis(0.5), '#21918c');
  assert.equal(c.viridis(-3), '#440154');
  assert.equal(c.viridis(7), '#fde725');
  assert.equal(c.viridis(NaN), '#440154');
});

test('viridis gets lighter monotonically (readable as a sequential scale in greyscale)', () => {
  const lum = (hex) => {
    const v = parseInt(hex.slice(1), 16);
    return 0.2126 * ((v >> 16) & 255) + 0.7152 * ((v >> 8) & 255) + 0.0722 * (v & 255);
  };
  let prev = -1;
  for (let i = 0; i <= 20; i++) {
    const l = lum(c.viridis(i / 20));
    assert.ok(l > prev, `luminance rises at step ${i}`);
    prev = l;
  }
});

test('logBin maps ratio 1..max onto the bins, clamped', () => {
  assert.equal(c.logBin(1, 1000), 0);
  assert.equal(c.logBin(0.2, 1000), 0);
  assert.equal(c.logBin(1000, 1000), c.COLOR_BINS - 1);
  assert.equal(c.logBin(5000, 1000), c.COLOR_BINS - 1);
  assert.equal(c.logBin(Math.sqrt(1000), 1000), c.COLOR_BINS / 2);
  let prev = 0;
  for (let v = 1; v <= 1000; v *= 1.5) {
    const b = c.logBin(v, 1000);
    assert.ok(b >= prev);
    prev = b;
  }
  assert.equal(c.logBin(10, 1), 0, 'no scale when max ≤ 1');
});

test('radiusFor: area proportional to value between rMin and rMax', () => {
  const rMin = 2;
  const rMax = 20;
  assert.equal(c.radiusFor(0, 100, rMin, rMax), rMin);
  assert.equal(c.radiusFor(100, 100, rMin, rMax), rMax);
  assert.equal(c.radiusFor(400, 100, rMin, rMax), rMax);
  const r25 = c.radiusFor(25, 100, 0, 20);
  assert.equal(r25, 10, 'a quarter of the value → half the radius → a quarter of the area');
});

test('legendTicks: 1 at the left, max at the right, spaced decades between', () => {
  const t = c.legendTicks(11362);
  assert.deepEqual(t.map((x) => x.value), [1, 10, 100, 1000, 11362]);
  assert.equal(t[0].pos, 0);
  assert.equal(t.at(-1).pos, 1);
  for (let i = 1; i < t.length; i++) assert.ok(t[i].pos - t[i - 1].pos >= 0.24 - 1e-9, `gap before ${t[i].value}`);
  assert.ok(Math.abs(t[2].pos - Math.log(100) / Math.log(11362)) < 1e-12, 'positions on the same log scale as the colours');
  // 10 000 would sit 2% from the end: left out rather than overlapping the max label
  assert.equal(t.some((x) => x.value === 10000), false);
  assert.deepEqual(c.legendTicks(8).map((x) => x.value), [1, 2, 8], '5 is too close to 8');
  assert.deepEqual(c.legendTicks(20).map((x) => x.value), [1, 5, 20]);
  assert.deepEqual(c.legendTicks(6).map((x) => x.value), [1, 2, 6], '5 is too close to 6');
  assert.deepEqual(c.legendTicks(1), [{ value: 1, pos: 0 }]);
  assert.deepEqual(c.legendTicks(684).map((x) => x.value), [1, 10, 100, 684]);
  assert.deepEqual(c.legendTicks(1200).map((x) => x.value), [1, 10, 100, 1200], '1000 is too close to 1200');
  assert.deepEqual(c.legendTicks(8400).map((x) => x.value), [1, 10, 100, 8400], '1000 is too close to 8400');
});

test('binColor gives COLOR_BINS distinct colours', () => {
  const set = new Set(Array.from({ length: c.COLOR_BINS }, (_, i) => c.binColor(i)));
  assert.equal(set.size, c.COLOR_BINS);
});
