// Pieces shared by the service and incident pages.

import type { Incident, IncidentError } from '../lib/api';
import { h } from '../lib/dom';
import {
  cityLine,
  formatCount,
  formatDateTime,
  formatDuration,
  formatRatio,
  formatShare,
  formatTime,
  problemLabel,
  toMs,
} from '../lib/format';
import type { MapPlace } from '../lib/mapview';

export interface CityRow {
  name: string;
  country: string;
  region?: string;
  lat: number;
  lon: number;
  reports: number;
  expected?: number | null;
}

export type MapMode = 'excess' | 'raw';

/** A city as drawn on the map: area by excess (or reports), colour by ratio (or reports). */
export function cityToPlace(c: CityRow, mode: MapMode, href?: string): MapPlace {
  const expected = c.expected ?? null;
  const hasExpected = expected !== null && expected >= 0;
  const size = mode === 'excess' && hasExpected ? Math.max(0, c.reports - expected) : c.reports;
  const color = mode === 'excess' && hasExpected ? c.reports / Math.max(expected, 0.05) : c.reports;
  return { lon: c.lon, lat: c.lat, size, color, label: cityLine(c.name, c.country, c.reports, expected), href };
}

export function problemBars(problems: { problem: string; share: number; count?: number }[], top = 3): HTMLElement {
  const list = problems.slice(0, top);
  if (list.length === 0) return h('p', { class: 'msg msg-empty' }, 'No problem reported in this period.');
  return h(
    'ol',
    { class: 'bars' },
    list.map((p) => {
      const bar = h('span', { class: 'bar-fill' });
      bar.style.width = `${Math.max(2, Math.min(100, p.share * 100))}%`;
      return h(
        'li',
        { class: 'bar-row' },
        h('span', { class: 'bar-label' }, problemLabel(p.problem)),
        h('span', { class: 'bar-track', 'aria-hidden': 'true' }, bar),
        h('span', { class: 'bar-value' }, formatShare(p.share)),
      );
    }),
  );
}

export function errorsList(errors: IncidentError[] | undefined): HTMLElement {
  if (!errors || errors.length === 0) return h('p', { class: 'msg msg-empty' }, 'No error message was reported.');
  return h(
    'ul',
    { class: 'errors' },
    errors.map((e) =>
      h(
        'li',
        { class: 'error-row' },
        e.code ? h('code', { class: 'error-code' }, e.code) : null,
        h('q', { class: 'error-text' }, e.text),
        h('span', { class: 'error-meta' }, `${formatCount(e.count)} ${e.count === 1 ? 'report' : 'reports'} · ${formatShare(e.share)}`),
      ),
    ),
  );
}

export function citiesTable(rows: CityRow[], caption: string, opts: { limit?: number; id?: string; captionVisible?: boolean; compact?: boolean } = {}): HTMLTableElement {
  const list = opts.limit ? rows.slice(0, opts.limit) : rows;
  const full = !opts.compact;
  return h(
    'table',
    { class: 'table cities-table', id: opts.id ?? null },
    h('caption', { class: opts.captionVisible ? 'table-caption' : 'visually-hidden' }, caption),
    h(
      'thead',
      null,
      h('tr', null, h('th', { scope: 'col' }, 'City'), h('th', { scope: 'col', class: 'num' }, 'Reports'), full ? h('th', { scope: 'col', class: 'num' }, 'Usual') : null, h('th', { scope: 'col', class: 'num' }, full ? 'Compared with usual' : 'vs usual')),
    ),
    h(
      'tbody',
      null,
      list.map((c) =>
        h(
          'tr',
          { 'data-city': c.name },
          h('th', { scope: 'row' }, h('span', { class: 'city-name' }, c.name), h('span', { class: 'city-country' }, `, ${c.region ?? c.country}`)),
          h('td', { class: 'num' }, formatCount(c.reports)),
          full ? h('td', { class: 'num' }, c.expected === null || c.expected === undefined ? '–' : c.expected < 10 ? c.expected.toFixed(1) : formatCount(c.expected)) : null,
          h('td', { class: 'num ratio' }, (formatRatio(c.reports, c.expected) || (c.expected === null || c.expected === undefined ? '–' : 'usual')).replace(' usual', full ? ' usual' : '')),
        ),
      ),
    ),
  );
}

const STATUS_LABEL: Record<string, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
};

/** The incident's updates, newest first: status, time, text and who wrote it (all as text). */
export function updatesList(inc: Incident, nowMs: number): HTMLElement | null {
  const updates = inc.updates ?? [];
  if (updates.length === 0) return null;
  return h(
    'section',
    { class: 'updates', 'aria-label': 'Updates' },
    h('h3', { class: 'updates-title' }, 'Updates'),
    h(
      'ol',
      { class: 'updates-list' },
      [...updates].reverse().map((u) =>
        h(
          'li',
          { class: `update update-${u.status}` },
          h('span', { class: 'update-status' }, STATUS_LABEL[u.status] ?? u.status),
          h('time', { class: 'update-time', datetime: u.at }, formatTime(u.at, nowMs)),
          h('p', { class: 'update-body' }, u.body),
          h('span', { class: 'update-author' }, u.author === 'outagemap' ? 'Automatic, from user reports' : `Posted by ${u.author}`),
        ),
      ),
    ),
  );
}

/**
 * One outage, one incident: "Part of incident OM… , where updates continue" for a member, or
 * "Also affected: Outlook, Microsoft Teams" for a group. Null for an incident on its own.
 */
export function groupNote(inc: Incident, nameOf: (service: string) => string): HTMLElement | null {
  if (inc.merged_into) {
    return h(
      'p',
      { class: 'group-note' },
      'Part of ',
      h('a', { href: `/incidents/${encodeURIComponent(inc.merged_into)}` }, `incident ${inc.merged_into}`),
      ', where its updates continue.',
    );
  }
  const others = (inc.services ?? []).filter((s) => s !== inc.service);
  if (others.length === 0) return null;
  const links: (Node | string)[] = [];
  others.forEach((s, k) => {
    if (k > 0) links.push(', ');
    links.push(h('a', { href: `/services/${encodeURIComponent(s)}` }, nameOf(s)));
  });
  return h('p', { class: 'group-note' }, 'Also affected: ', ...links, '.');
}

/** started → detected → peak → resolved (or "ongoing"), from the incident JSON. */
export function timeline(inc: Incident, nowMs: number): HTMLElement {
  const started = toMs(inc.started_at);
  const detected = toMs(inc.detected_at);
  const resolved = toMs(inc.resolved_at);
  const items: HTMLElement[] = [];
  const item = (cls: string, label: string, when: string | null, detail: string) =>
    h(
      'li',
      { class: `tl-item ${cls}` },
      h('span', { class: 'tl-dot', 'aria-hidden': 'true' }),
      h('span', { class: 'tl-label' }, label),
      h('time', { class: 'tl-time', datetime: when ?? '' }, when ? formatTime(when, nowMs) : '–'),
      detail ? h('span', { class: 'tl-detail' }, detail) : null,
    );
  items.push(item('tl-start', 'Reports started rising', inc.started_at, ''));
  items.push(
    item('tl-detect', 'Detected as an outage', inc.detected_at, started !== null && detected !== null ? `${formatDuration(detected - started)} after the rise began` : ''),
  );
  if (inc.peak_at) {
    const usual = inc.expected_per_min_at_peak;
    items.push(
      item(
        'tl-peak',
        'Peak',
        inc.peak_at,
        `${formatCount(inc.peak_reports_per_min)} reports per minute${usual !== null && usual !== undefined ? ` (usually ${usual < 10 ? usual.toFixed(1) : formatCount(usual)})` : ''}`,
      ),
    );
  }
  if (inc.state === 'resolved' && inc.resolved_at) {
    items.push(item('tl-resolved', 'Back to normal', inc.resolved_at, started !== null && resolved !== null ? `after ${formatDuration(resolved - started)}` : ''));
  } else {
    items.push(
      h(
        'li',
        { class: 'tl-item tl-ongoing' },
        h('span', { class: 'tl-dot', 'aria-hidden': 'true' }),
        h('span', { class: 'tl-label' }, 'Ongoing'),
        h('span', { class: 'tl-detail' }, started !== null ? `for ${formatDuration(nowMs - started)}` : ''),
      ),
    );
  }
  return h('ol', { class: 'timeline' }, items);
}

export function incidentFacts(inc: Incident, nowMs: number): HTMLElement {
  const row = (k: string, v: string | Node) => [h('dt', null, k), h('dd', null, v)];
  return h(
    'dl',
    { class: 'facts' },
    row('Started', formatDateTime(inc.started_at)),
    row('Detected', formatDateTime(inc.detected_at)),
    row(inc.state === 'resolved' ? 'Resolved' : 'Status', inc.state === 'resolved' ? formatDateTime(inc.resolved_at) : `Ongoing since ${formatTime(inc.started_at, nowMs)}`),
    row('Reports counted', formatCount(inc.reports)),
    ...(inc.regions && inc.regions.length ? row('Regions', regionList(inc.regions)) : []),
  );
}

/** "US-CA, US-TX, US-NY and 34 more": the regions where reports rose, the first few named. */
export function regionList(regions: string[], shown = 6): string {
  const head = regions.slice(0, shown).join(', ');
  return regions.length > shown ? `${head} and ${regions.length - shown} more` : head;
}

export function segmented<T extends string>(label: string, options: { value: T; text: string }[], value: T, onChange: (v: T) => void): HTMLElement {
  const buttons = options.map((o) =>
    h('button', { type: 'button', class: 'seg-btn', 'aria-pressed': o.value === value ? 'true' : 'false', 'data-value': o.value }, o.text),
  );
  const group = h('div', { class: 'segmented', role: 'group', 'aria-label': label }, buttons);
  for (const b of buttons) {
    b.addEventListener('click', () => {
      for (const x of buttons) x.setAttribute('aria-pressed', x === b ? 'true' : 'false');
      onChange(b.dataset.value as T);
    });
  }
  return group;
}
