import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as f from '../.build/format.mjs';

test('formatRatio: "×12 usual" style, nothing at or below usual', () => {
  assert.equal(f.formatRatio(41, 3.4), '×12 usual');
  assert.equal(f.formatRatio(5, 2), '×2.5 usual');
  assert.equal(f.formatRatio(3, 1), '×3 usual');
  assert.equal(f.formatRatio(16464, 1.2), '×13,720 usual');
  assert.equal(f.formatRatio(10, 10), '');
  assert.equal(f.formatRatio(1, 5), '');
  assert.equal(f.formatRatio(5, 0), '');
  assert.equal(f.formatRatio(5, null), '');
  assert.equal(f.formatRatio(0, 1), '');
});

test('counts, compact numbers and shares', () => {
  assert.equal(f.formatCount(16464), '16,464');
  assert.equal(f.formatCount(2.6), '3');
  assert.equal(f.formatCount(null), '–');
  assert.equal(f.formatCount(NaN), '–');
  assert.equal(f.formatCompact(999), '999');
  assert.equal(f.formatCompact(1500), '1.5k');
  assert.equal(f.formatCompact(16464), '16k');
  assert.equal(f.formatCompact(2_500_000), '2.5M');
  assert.equal(f.formatShare(0.6998), '70%');
  assert.equal(f.formatShare(0.0004597), '<1%');
  assert.equal(f.formatShare(0), '0%');
});

test('problem and category labels', () => {
  assert.equal(f.problemLabel('server-connection'), 'Server connection');
  assert.equal(f.problemLabel('login'), 'Login');
  assert.equal(f.problemLabel('other'), 'Something else');
  assert.equal(f.problemLabel('pull-requests'), 'Pull requests');
  assert.equal(f.categoryLabel('dns-hosting'), 'DNS & hosting');
  assert.equal(f.categoryLabel('productivity'), 'Productivity');
});

test('status info orders outage before possible before normal', () => {
  assert.equal(f.statusInfo('outage').label, 'Outage');
  assert.equal(f.statusInfo('possible').label, 'Possible problems');
  assert.equal(f.statusInfo('normal').label, 'Normal');
  assert.equal(f.statusInfo(null).label, 'Normal');
  assert.ok(f.statusInfo('outage').rank < f.statusInfo('possible').rank);
  assert.ok(f.statusInfo('possible').rank < f.statusInfo('normal').rank);
});

const NOW = Date.parse('2026-01-22T20:00:00Z');

test('formatTime: time of day in the given zone, date only on another day', () => {
  assert.equal(f.formatTime('2026-01-22T14:37:00Z', NOW, { timeZone: 'UTC' }), '14:37');
  assert.equal(f.formatTime('2026-01-22T14:37:00Z', NOW, { timeZone: 'America/Chicago' }), '08:37');
  assert.equal(f.formatTime('2026-01-21T14:37:00Z', NOW, { timeZone: 'UTC' }), 'Jan 21, 14:37');
  // 02:00 UTC on the 23rd is still the 22nd in Chicago, like NOW
  assert.equal(f.formatTime('2026-01-23T02:00:00Z', Date.parse('2026-01-23T03:00:00Z'), { timeZone: 'America/Chicago' }), '20:00');
  assert.equal(f.formatTime(null, NOW), '–');
  assert.equal(f.formatTime('not a date', NOW), '–');
  assert.equal(f.formatDateTime(Date.parse('2026-01-22T00:05:00Z'), { timeZone: 'UTC' }), 'Jan 22, 00:05');
});

test('banner text for the three statuses', () => {
  const opts = { timeZone: 'UTC' };
  assert.equal(
    f.bannerText('Microsoft 365', 'outage', '2026-01-22T14:37:00Z', NOW, opts),
    'User reports indicate problems with Microsoft 365 since 14:37',
  );
  assert.equal(
    f.bannerText('Outlook', 'possible', '2026-01-22T14:37:00Z', NOW, opts),
    'User reports indicate possible problems with Outlook since 14:37',
  );
  assert.equal(f.bannerText('Microsoft 365', 'normal', '2026-01-22T14:37:00Z', NOW, opts), 'No current problems at Microsoft 365');
  assert.equal(f.bannerText('X', 'outage', null, NOW, opts), 'User reports indicate problems with X');
});

test('durations and relative times', () => {
  assert.equal(f.formatDuration(30_000), 'less than a minute');
  assert.equal(f.formatDuration(45 * 60_000), '45 min');
  assert.equal(f.formatDuration(134 * 60_000), '2 h 14 min');
  assert.equal(f.formatDuration(120 * 60_000), '2 h');
  assert.equal(f.formatDuration(50 * 3600_000), '2 d 2 h');
  assert.equal(f.formatDuration(-1), '–');
  assert.equal(f.formatAgo(NOW - 5 * 60_000, NOW), '5 min ago');
  assert.equal(f.formatAgo(NOW - 10_000, NOW), 'just now');
});

test('city line: "Minneapolis, US — 41 reports, ×12 usual"', () => {
  assert.equal(f.cityLine('Minneapolis', 'US', 41, 3.4), 'Minneapolis, US — 41 reports, ×12 usual');
  assert.equal(f.cityLine('Berlin', 'DE', 1, null), 'Berlin, DE — 1 report');
  assert.equal(f.cityLine('Paris', 'FR', 2, 2), 'Paris, FR — 2 reports');
});

test('scope labels', () => {
  assert.equal(f.scopeLabel('national'), 'Nationwide');
  assert.equal(f.scopeLabel('multinational'), 'Several countries');
  assert.equal(f.scopeLabel(null), 'Not localised');
});

test('axis labels add the date at the first tick and at day changes', () => {
  const t0 = Date.parse('2026-01-22T22:00:00Z') / 1000;
  const labels = f.axisTimeLabels([t0, t0 + 3600, t0 + 7200, t0 + 10800], { timeZone: 'UTC' });
  assert.deepEqual(labels, ['22:00\nJan 22', '23:00', '00:00\nJan 23', '01:00']);
});

test('crowd and official status side by side', () => {
  const now = Date.parse('2026-01-22T15:12:00Z');
  assert.equal(
    f.crowdVersusOfficial('outage', '2026-01-22T14:37:00Z', { status: 'operational', error: null }, now),
    'crowd: outage for 35 min · official: operational',
  );
  assert.equal(f.crowdVersusOfficial('normal', null, null, now), 'crowd: no problems');
  assert.equal(
    f.crowdVersusOfficial('possible', '2026-01-22T15:02:00Z', { status: null, error: 'HTTP 429' }, now),
    'crowd: possible problems for 10 min · official: unknown (the status page could not be read just now)',
  );
});
