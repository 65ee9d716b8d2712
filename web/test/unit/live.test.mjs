import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as l from '../.build/live.mjs';

function state() {
  return new Map([
    ['microsoft-365', { id: 'microsoft-365', name: 'Microsoft 365', category: 'productivity', status: 'normal', status_since: null, reports_last_minute: 0, reports_last_15m: 5, reports_last_60m: 25, reports_last_24h: 400, expected_per_minute: 0.4 }],
    ['outlook', { id: 'outlook', name: 'Outlook', category: 'email', status: 'normal', status_since: null, reports_last_minute: 0, reports_last_15m: 1, reports_last_60m: 2, reports_last_24h: 10, expected_per_minute: 0.1 }],
  ]);
}

test('mergeServicesEvent updates counts and reports changed, status-changed and unknown ids', () => {
  const s = state();
  const r = l.mergeServicesEvent(s, {
    evaluated_at: '2026-01-22T14:37:00Z',
    services: [
      { id: 'microsoft-365', status: 'outage', status_since: '2026-01-22T14:37:00Z', reports_last_minute: 300, reports_last_15m: 2000, reports_last_60m: 2100, reports_last_24h: 2500, expected_per_minute: 0.4 },
      { id: 'outlook', status: 'normal', reports_last_minute: 0, reports_last_15m: 1, reports_last_60m: 2, reports_last_24h: 10 },
      { id: 'brand-new', status: 'possible' },
    ],
  });
  assert.deepEqual(r.changed, ['microsoft-365']);
  assert.deepEqual(r.statusChanged, ['microsoft-365']);
  assert.deepEqual(r.unknown, ['brand-new']);
  const m = s.get('microsoft-365');
  assert.equal(m.status, 'outage');
  assert.equal(m.reports_last_15m, 2000);
  assert.equal(m.name, 'Microsoft 365', 'catalog fields are kept');
  assert.equal(s.has('brand-new'), false);
});

test('mergeServicesEvent: a partial update changes only the fields it carries', () => {
  const s = state();
  const r = l.mergeServicesEvent(s, { evaluated_at: null, services: [{ id: 'outlook', reports_last_15m: 3 }] });
  assert.deepEqual(r.changed, ['outlook']);
  assert.deepEqual(r.statusChanged, []);
  assert.equal(s.get('outlook').reports_last_15m, 3);
  assert.equal(s.get('outlook').reports_last_60m, 2);
});

test('mergeServicesEvent ignores malformed events', () => {
  const s = state();
  assert.deepEqual(l.mergeServicesEvent(s, null), { changed: [], statusChanged: [], unknown: [] });
  assert.deepEqual(l.mergeServicesEvent(s, { services: 'x' }).changed, []);
  assert.deepEqual(l.mergeServicesEvent(s, { services: [null, { id: 5 }] }).changed, []);
});

test('parseIncidentsEvent', () => {
  assert.deepEqual(l.parseIncidentsEvent('{"open":["OM1"],"changed":["OM1","OM2"]}'), { open: ['OM1'], changed: ['OM1', 'OM2'] });
  assert.deepEqual(l.parseIncidentsEvent('{"open":[]}'), { open: [], changed: [] });
  assert.equal(l.parseIncidentsEvent('not json'), null);
  assert.equal(l.parseIncidentsEvent('{"changed":[]}'), null);
});

test('sortByStatus: outage, possible, normal, catalog order within a group', () => {
  const order = new Map([['a', 0], ['b', 1], ['c', 2], ['d', 3]]);
  const list = [
    { id: 'a', status: 'normal' },
    { id: 'b', status: 'possible' },
    { id: 'c', status: 'outage' },
    { id: 'd', status: 'outage' },
  ];
  assert.deepEqual(l.sortByStatus(list, order).map((x) => x.id), ['c', 'd', 'b', 'a']);
  assert.deepEqual(list.map((x) => x.id), ['a', 'b', 'c', 'd'], 'input untouched');
});

function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map();
  return {
    set: (fn, ms) => {
      const id = ++seq;
      pending.set(id, { fn, at: now + ms });
      return id;
    },
    clear: (id) => pending.delete(id),
    advance(ms) {
      now += ms;
      for (const [id, t] of [...pending].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now) {
          pending.delete(id);
          t.fn();
        }
      }
    },
    get size() {
      return pending.size;
    },
  };
}

test('debounce calls once with the last arguments after the quiet period', () => {
  const timers = fakeTimers();
  const calls = [];
  const d = l.debounce((x) => calls.push(x), 100, timers);
  d(1);
  timers.advance(50);
  d(2);
  timers.advance(50);
  d(3);
  timers.advance(99);
  assert.deepEqual(calls, []);
  timers.advance(1);
  assert.deepEqual(calls, [3]);
  d(4);
  d.cancel();
  timers.advance(200);
  assert.deepEqual(calls, [3]);
  d(5);
  d.flush();
  assert.deepEqual(calls, [3, 5]);
});

test('coalesce runs at most once per period even under a steady stream of calls', () => {
  const timers = fakeTimers();
  let runs = 0;
  const c = l.coalesce(() => runs++, 8000, timers);
  for (let t = 0; t < 20000; t += 2000) {
    c();
    timers.advance(2000);
  }
  assert.equal(runs, 2, 'SSE every 2 s for 20 s → a refresh at 8 s and 16 s');
  c();
  assert.equal(c.pending(), true);
  c.cancel();
  timers.advance(10000);
  assert.equal(runs, 2);
});

test('ServerClock follows the server, not the browser', () => {
  let browser = Date.parse('2026-01-22T10:00:00Z');
  const clock = new l.ServerClock(() => browser);
  assert.equal(clock.isKnown, false);
  assert.equal(clock.now(), browser);
  clock.observeEvaluatedAt('2026-01-23T08:00:00Z'); // demo clock a day ahead
  assert.equal(clock.now(), Date.parse('2026-01-23T08:01:00Z'));
  browser += 30_000;
  assert.equal(clock.now(), Date.parse('2026-01-23T08:01:30Z'), 'advances with the browser clock');
  clock.observeEvaluatedAt('2026-01-23T08:00:00Z'); // same minute again: no jump back
  assert.equal(clock.now(), Date.parse('2026-01-23T08:01:30Z'));
  clock.observeEvaluatedAt('garbage');
  clock.observeEvaluatedAt(null);
  assert.equal(clock.now(), Date.parse('2026-01-23T08:01:30Z'));
  clock.observeSeriesEnd(Date.parse('2026-01-23T12:00:00Z'));
  assert.equal(clock.now(), Date.parse('2026-01-23T12:00:00Z'));
});

test('liveQueryFor gives each page its view, and liveUrl resumes after the last event id', () => {
  assert.equal(l.liveQueryFor('home'), 'view=home');
  assert.equal(l.liveQueryFor('service', ['a b/c']), 'view=service&service=a%20b%2Fc');
  assert.equal(l.liveQueryFor('service', []), 'view=all');
  assert.equal(l.liveQueryFor('map'), 'view=map');
  assert.equal(l.liveQueryFor('incident', ['OM1000001']), 'view=map');
  assert.equal(l.liveQueryFor(undefined), 'view=all');
  assert.equal(l.liveUrl('/api/v1/events', 'view=home', ''), '/api/v1/events?view=home');
  assert.equal(l.liveUrl('/api/v1/events', 'view=home', 'ab12.7'), '/api/v1/events?view=home&last_event_id=ab12.7');
  assert.equal(l.liveUrl('/api/v1/events', '', ''), '/api/v1/events');
});
