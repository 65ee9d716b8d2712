import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installFakeDocument } from './fake-dom.mjs';

installFakeDocument();
const sp = await import('../.build/sparkline.mjs');
const router = await import('../.build/router.mjs');
const places = await import('../.build/places.mjs');
const report = await import('../.build/report.mjs');
const api = await import('../.build/api.mjs');

test('sparkPath scales values into the box, max at the top', () => {
  assert.equal(sp.sparkPath([0, 10, 5], 100, 20, 10, 0), 'M0.0,20.0L50.0,0.0L100.0,10.0');
  assert.equal(sp.sparkPath([20], 100, 20, 10, 0), 'M50.0,0.0', 'clamped to max');
  assert.equal(sp.sparkPath([], 100, 20, 10), '');
  assert.equal(sp.sparkPath([1, 2], 100, 20, 0), '');
  assert.equal(sp.sparkArea([0, 10], 100, 20, 10).endsWith('L100.0,20L0.0,20Z'), true);
});

test('sparkline SVG has a text alternative and no markup from data', () => {
  const el = sp.sparkline({ from: '2026-01-22T00:00:00Z', step_seconds: 3600, reports: [1, 2, 30], expected: [1, 1, 1] }, 'outage');
  assert.equal(el.getAttribute('role'), 'img');
  assert.match(el.getAttribute('aria-label'), /33 reports \(usually about 3\), peak 30/);
  assert.equal(el.all().filter((e) => e.tagName === 'PATH').length, 3);
  const empty = sp.sparkline(undefined, 'normal');
  assert.equal(empty.getAttribute('aria-hidden'), 'true');
});

test('routes: pages and percent-decoded ids', () => {
  const m = (p) => router.matchRoute(router.ROUTES, p);
  assert.deepEqual(m('/'), { name: 'home', params: [] });
  assert.deepEqual(m('/services/microsoft-365'), { name: 'service', params: ['microsoft-365'] });
  assert.deepEqual(m('/services/a%20b/'), { name: 'service', params: ['a b'] });
  assert.deepEqual(m('/incidents/OM1000001'), { name: 'incident', params: ['OM1000001'] });
  assert.deepEqual(m('/map'), { name: 'map', params: [] });
  assert.equal(m('/services/'), null);
  assert.equal(m('/services/a/b'), null);
  assert.equal(m('/services/%E0%A4%A'), null, 'bad escapes do not throw');
  assert.equal(m('/nope'), null);
});

test('shouldIntercept: only same-origin, plain left clicks on app paths', () => {
  const a = (href, extra = {}) => ({ href, target: '', hasAttribute: (n) => n in extra });
  const click = { button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false, defaultPrevented: false };
  const o = 'http://127.0.0.1:8080';
  assert.equal(router.shouldIntercept(a('http://127.0.0.1:8080/map'), click, o)?.pathname, '/map');
  assert.equal(router.shouldIntercept(a('http://127.0.0.1:8080/services/x?y=1'), click, o)?.search, '?y=1');
  assert.equal(router.shouldIntercept(a('https://status.cloud.microsoft/'), click, o), null);
  assert.equal(router.shouldIntercept(a('http://127.0.0.1:8080/api/v1/services'), click, o), null);
  assert.equal(router.shouldIntercept(a('http://127.0.0.1:8080/badge/x.svg'), click, o), null);
  assert.equal(router.shouldIntercept(a('http://127.0.0.1:8080/map', { download: 1 }), click, o), null);
  assert.equal(router.shouldIntercept(a('http://127.0.0.1:8080/map'), { ...click, ctrlKey: true }, o), null);
  assert.equal(router.shouldIntercept(a('http://127.0.0.1:8080/map'), { ...click, button: 1 }, o), null);
  assert.equal(router.shouldIntercept({ ...a('http://127.0.0.1:8080/map'), target: '_blank' }, click, o), null);
});

test('aggregateIncidentCities sums per city and ranks by excess', () => {
  const inc = (id, service, cities) => ({ id, service, cities });
  const la = { geonameid: 1, name: 'Los Angeles', country: 'US', lat: 34, lon: -118 };
  const ny = { geonameid: 2, name: 'New York City', country: 'US', lat: 40.7, lon: -74 };
  const rows = places.aggregateIncidentCities([
    inc('OM1', 'microsoft-365', [{ ...la, observed: 100, expected: 2 }, { ...ny, observed: 50, expected: 10 }]),
    inc('OM2', 'outlook', [{ ...la, observed: 300, expected: 3 }]),
    inc('OM3', 'teams', []),
  ]);
  assert.equal(rows.length, 2);
  assert.equal(rows[0].name, 'Los Angeles');
  assert.equal(rows[0].reports, 400);
  assert.equal(rows[0].expected, 5);
  assert.deepEqual(rows[0].services, ['outlook', 'microsoft-365'], 'most reports first');
  assert.deepEqual(rows[0].incidents, ['OM1', 'OM2']);
  assert.deepEqual(rows[1].services, ['microsoft-365']);
  assert.deepEqual(places.aggregateIncidentCities([]), []);
});

test('report body: rounded coordinates, optional text, source left to the server', () => {
  const b = report.buildReportBody('outlook', 'login', { kind: 'city', lat: 44.979971234, lon: -93.263841234, name: 'Minneapolis', country: 'US' }, 'w-1', '  451 4.3.2  ');
  assert.deepEqual(b, { service: 'outlook', problem: 'login', reporter: 'w-1', lat: 44.97997, lon: -93.26384, text: '451 4.3.2' });
  const n = report.buildReportBody('outlook', 'other', null, 'w-2', '   ');
  assert.deepEqual(n, { service: 'outlook', problem: 'other', reporter: 'w-2' });
  assert.equal('source' in b, false);
});

test('confirmation and refusal texts', () => {
  const mpls = { kind: 'city', lat: 1, lon: 2, name: 'Minneapolis', country: 'US' };
  assert.equal(report.confirmationText('Outlook', mpls, 1, 0), 'Thanks — your report for Outlook in Minneapolis was counted.');
  assert.equal(report.confirmationText('Outlook', { kind: 'coords', lat: 1, lon: 2 }, 1, 0), 'Thanks — your report for Outlook at your location was counted.');
  assert.equal(report.confirmationText('Outlook', null, 1, 0), 'Thanks — your report for Outlook was counted.');
  assert.match(report.confirmationText('Outlook', mpls, 0, 1), /already told us .* Outlook in the last 30 minutes/);
  const e429 = new api.ApiError(429, 'resource_exhausted', 'too many reports from this address', 30);
  assert.equal(report.refusalText(e429), 'too many reports from this address. Please try again in 30 seconds.');
  const e403 = new api.ApiError(403, 'forbidden', 'missing or wrong CSRF token', null);
  assert.match(report.refusalText(e403), /^The report was refused: missing or wrong CSRF token\. Reload/);
  const e400 = new api.ApiError(400, 'invalid_argument', 'no report accepted; line 1: lat: must be between -90 and 90', null);
  assert.equal(report.refusalText(e400), 'The report was refused: no report accepted; line 1: lat: must be between -90 and 90');
  assert.match(report.refusalText(new TypeError('Failed to fetch')), /could not be sent: Failed to fetch/);
});

test('reporter id: random, prefixed, kept in storage', () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  const a = report.reporterId(storage);
  assert.match(a, /^w-[0-9a-f-]{16,64}$/);
  assert.equal(report.reporterId(storage), a, 'stable');
  const other = new Map();
  const b = report.reporterId({ getItem: (k) => other.get(k) ?? null, setItem: (k, v) => other.set(k, v) });
  assert.notEqual(a, b, 'two browsers get two ids');
  store.set('om.reporter', '<script>');
  assert.notEqual(report.reporterId(storage), '<script>', 'a tampered value is replaced');
  const blocked = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
  const c = report.reporterId(blocked);
  assert.equal(report.reporterId(blocked), c, 'stable for the page even without storage');
});

test('readCookie and qs', () => {
  assert.equal(api.readCookie('om_csrf', 'a=1; om_csrf=abc%3D; b=2'), 'abc=');
  assert.equal(api.readCookie('om_csrf', 'xom_csrf=1'), null);
  assert.equal(api.readCookie('om_csrf', ''), null);
  assert.equal(api.qs({ step: '15m', expected: true, from: null, to: undefined, off: false, n: 0 }), '?step=15m&expected=1&n=0');
  assert.equal(api.qs({}), '');
  assert.equal(api.qs({ q: 'a&b' }), '?q=a%26b');
});
