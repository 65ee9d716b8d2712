// Measures the web UI in Debian's Chromium (these are measurements, not tests with limits):
//   (a) service page ready: navigation start → data-ready (chart and map drawn), median of N runs
//   (b) the map drawing 5,000 synthetic places: performance.now() around the draw, median of M runs
//
//   OM_BASE_URL=http://127.0.0.1:PORT node bench/page_bench.mjs [--runs 7] [--draws 15] [--service microsoft-365]
import { chromium } from 'playwright-core';

const BASE = (process.env.OM_BASE_URL ?? '').replace(/\/$/, '');
if (!BASE) {
  console.error('OM_BASE_URL is required');
  process.exit(2);
}
const args = process.argv.slice(2);
const opt = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const RUNS = Math.max(5, Number(opt('--runs', 7)));
const DRAWS = Math.max(9, Number(opt('--draws', 15)));
const SERVICE = opt('--service', 'microsoft-365');
const N_PLACES = Number(opt('--places', 5000));

const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (xs) => `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}, n=${xs.length})`;

const browser = await chromium.launch({ executablePath: process.env.OM_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const readyOf = async (page, path) => {
  await page.goto(BASE + path, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 15000 });
  return page.evaluate(() => performance.getEntriesByName('om-ready').at(-1)?.startTime ?? NaN);
};

// (a) service page ready
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
const cold = await readyOf(page, `/services/${SERVICE}`); // first visit: empty HTTP cache
const warm = [];
for (let i = 0; i < RUNS; i++) warm.push(await readyOf(page, `/services/${SERVICE}`));
const places = await page.evaluate(() => window.__om.hooks.places?.places?.length ?? 0);
console.log(`service page ready (/services/${SERVICE}, ${places} places on the map, 1280×800):`);
console.log(`  first visit ${cold.toFixed(1)} ms; repeat visits ${fmt(warm)}`);
const coldRuns = [];
for (let i = 0; i < RUNS; i++) {
  const c = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await c.newPage();
  coldRuns.push(await readyOf(p, `/services/${SERVICE}`));
  await c.close();
}
console.log(`  fresh browser context each time (no HTTP cache): ${fmt(coldRuns)}`);

// (b) 5,000 synthetic places
await readyOf(page, '/map');
for (const region of ['world', 'united-states']) {
  const r = await page.evaluate(
    async ({ n, draws, region }) => {
      const map = window.__om.hooks.maps[0];
      map.setRegion(region);
      await map.whenDrawn();
      let seed = 42;
      const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);
      const us = region === 'united-states';
      const places = Array.from({ length: n }, (_, i) => {
        const lon = us ? -124 + rnd() * 57 : -170 + rnd() * 340;
        const lat = us ? 25 + rnd() * 24 : -55 + rnd() * 125;
        const expected = 0.2 + rnd() * 5;
        const reports = Math.round(expected * (1 + rnd() * rnd() * 200));
        return { lon, lat, size: Math.max(0, reports - expected), color: reports / expected, label: `Place ${i} — ${reports} reports` };
      });
      const set = [];
      const draw = [];
      const raster = [];
      const rebuild = [];
      const ctx = map.canvas.getContext('2d');
      for (let i = 0; i < draws; i++) {
        const t0 = performance.now();
        map.setPlaces(places);
        const t1 = performance.now();
        map.drawNow();
        const t2 = performance.now();
        // Canvas commands are rasterised later; reading one pixel waits for the raster.
        ctx.getImageData(0, 0, 1, 1);
        const t3 = performance.now();
        set.push(t1 - t0);
        draw.push(t2 - t1);
        raster.push(t3 - t1);
      }
      for (let i = 0; i < draws; i++) {
        // A new view: the base map's paths are projected again (what a region change costs).
        map.setRegion(region);
        await map.whenDrawn();
        const t0 = performance.now();
        map.drawNow();
        ctx.getImageData(0, 0, 1, 1);
        rebuild.push(performance.now() - t0);
        map.setRegion(region);
        const t1 = performance.now();
        map.drawNow();
        ctx.getImageData(0, 0, 1, 1);
        rebuild[rebuild.length - 1] = performance.now() - t1;
      }
      return { set, draw, raster, rebuild, drawn: map.drawnCount };
    },
    { n: N_PLACES, draws: DRAWS, region },
  );
  console.log(`map with ${N_PLACES} places, ${region} view (${r.drawn} drawn):`);
  console.log(`  draw call (base map + places, performance.now around drawNow): ${fmt(r.draw)}`);
  console.log(`  draw call + raster (until a pixel can be read back): ${fmt(r.raster)}`);
  console.log(`  setPlaces (project + bin + sort 5,000 places): ${fmt(r.set)}`);
  console.log(`  first draw of a view (base map paths projected again) + raster: ${fmt(r.rebuild)}`);
}
await browser.close();
