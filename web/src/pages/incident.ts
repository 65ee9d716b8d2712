// Incident page at a shareable URL: service, times, scope, cities map and table, problems,
// errors, upstream and related incidents.

import { ApiError, enc, getJSON, qs, type Incident } from '../lib/api';
import { h, replaceChildren } from '../lib/dom';
import { formatCompact, formatCount, formatDuration, formatTime, scopeLabel, toMs } from '../lib/format';
import { chooseRegion } from '../lib/geo';
import { coalesce } from '../lib/live';
import { MapView } from '../lib/mapview';
import { store } from '../lib/store';
import { card, errorText, isAbort, message } from '../lib/ui';
import type { PageContext } from './page';
import { debugHooks } from './page';
import { citiesTable, cityToPlace, errorsList, groupNote, incidentFacts, problemBars, timeline, updatesList, type CityRow } from './parts';

export async function incidentPage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0] ?? '';
  const root = ctx.root;
  replaceChildren(root, h('p', { class: 'msg msg-info' }, 'Loading…'));
  let inc: Incident;
  try {
    [inc] = await Promise.all([getJSON<Incident>(`/api/v1/incidents/${enc(id)}`, ctx.signal), store.loadServices(false, false).catch(() => undefined)]);
  } catch (e) {
    if (isAbort(e)) return;
    const notFound = e instanceof ApiError && e.status === 404;
    ctx.setTitle(notFound ? 'Unknown incident' : 'Incident');
    replaceChildren(root, h('h1', null, notFound ? 'Unknown incident' : 'Could not load the incident'), message(notFound ? 'info' : 'error', errorText(e)), h('p', null, h('a', { href: '/map' }, 'See the outage map')));
    if (notFound) ctx.ready();
    else ctx.failed();
    return;
  }
  if (ctx.signal.aborted) return;
  const name = store.nameOf(inc.service);
  ctx.setTitle(`${name} incident ${inc.id}`);

  const head = h('div', { class: 'page-head' });
  const summary = h('div', { class: 'banner' });
  const timelineBody = h('div');
  const factsBody = h('div');
  const problemsBody = h('div');
  const errorsBody = h('div');
  const relatedBody = h('div');
  const citiesBody = h('div');
  const map = new MapView({
    label: `Map of the cities affected by incident ${inc.id}`,
    legend: { colorTitle: 'Compared with usual', colorFormat: (v) => `×${formatCompact(v)}`, sizeTitle: 'Reports above usual' },
  });
  debugHooks.maps.push(map);
  ctx.onCleanup(() => map.destroy());
  const copyNote = h('span', { class: 'copy-note', 'aria-live': 'polite' });
  const copy = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, 'Copy link');
  copy.addEventListener('click', () => {
    navigator.clipboard?.writeText(location.href).then(
      () => (copyNote.textContent = 'Link copied'),
      () => (copyNote.textContent = 'Copy the address from the address bar'),
    );
  });

  replaceChildren(
    root,
    head,
    summary,
    h(
      'div',
      { class: 'svc-grid' },
      card('Timeline', timelineBody, factsBody),
      card('Most reported problems', problemsBody),
      h('section', { class: 'card card-wide', 'aria-labelledby': 'inc-map-title' }, h('h2', { class: 'card-title', id: 'inc-map-title' }, 'Affected cities'), map.root, citiesBody),
      card('Error messages people see', errorsBody),
      card('Related services', relatedBody),
    ),
  );

  const render = async () => {
    const now = store.clock.now();
    const open = inc.state === 'open';
    replaceChildren(
      head,
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/map' }, 'Outage map'), h('span', { 'aria-hidden': 'true' }, ' / '), h('span', null, `Incident ${inc.id}`)),
      h('div', { class: 'title-row' }, h('h1', null, `${name}: incident ${inc.id}`), h('div', { class: 'share' }, copy, copyNote)),
      h('p', { class: 'lede' }, h('a', { href: `/services/${enc(inc.service)}` }, `${name} service page`)),
      groupNote(inc, (s) => store.nameOf(s)),
    );
    summary.className = `banner banner-${open ? 'outage' : 'normal'}`;
    replaceChildren(
      summary,
      h(
        'div',
        { class: 'banner-body' },
        h(
          'p',
          { class: 'banner-text' },
          open
            ? `Ongoing: users report problems with ${name} since ${formatTime(inc.started_at, now)}`
            : `Resolved: ${name} was back to normal at ${formatTime(inc.resolved_at, now)} after ${formatDuration((toMs(inc.resolved_at) ?? 0) - (toMs(inc.started_at) ?? 0))}`,
        ),
        h('p', { class: 'banner-counts' }, `${formatCount(inc.reports)} reports counted · ${scopeLabel(inc.scope)}${inc.origin === 'external' ? ' · caused upstream' : ''}`),
      ),
    );
    replaceChildren(timelineBody, timeline(inc, now), updatesList(inc, now));
    replaceChildren(factsBody, incidentFacts(inc, now));
    replaceChildren(problemsBody, problemBars(inc.problems ?? [], 3));
    replaceChildren(errorsBody, errorsList(inc.errors));
    const rows: CityRow[] = inc.cities.map((c) => ({ name: c.name, country: c.country, lat: c.lat, lon: c.lon, reports: c.observed, expected: c.expected }));
    map.setPlaces(rows.map((c) => cityToPlace(c, 'excess')));
    map.autoRegion(chooseRegion(rows.map((r) => ({ lon: r.lon, lat: r.lat, weight: Math.max(0, r.reports - (r.expected ?? 0)) }))));
    replaceChildren(citiesBody, rows.length ? citiesTable(rows, 'Most impacted cities', { id: 'map-table' }) : message('empty', 'No city stands out for this incident.'));

    const related: Node[] = [];
    let others = new Map<string, Incident>();
    if (inc.upstream || (inc.related && inc.related.length)) {
      try {
        const all = await getJSON<{ incidents: Incident[] }>(`/api/v1/incidents${qs({ limit: 200 })}`, ctx.signal);
        others = new Map(all.incidents.map((i) => [i.id, i]));
      } catch (e) {
        if (isAbort(e)) return;
      }
    }
    if (inc.upstream) {
      const up = inc.upstream;
      related.push(
        h(
          'div',
          { class: 'upstream' },
          h('p', { class: 'upstream-title' }, 'Likely cause'),
          h('p', null, h('a', { href: `/services/${enc(up.service)}` }, store.nameOf(up.service)), ` had problems first and ${name} depends on it: `, h('a', { href: `/incidents/${enc(up.incident)}` }, `incident ${up.incident}`), '.'),
        ),
      );
    }
    const rel = (inc.related ?? []).map((r) => others.get(r) ?? null);
    if (rel.length) {
      related.push(h('p', { class: 'sub-title' }, 'Incidents that started within 15 minutes'));
      related.push(
        h(
          'ul',
          { class: 'related-list' },
          (inc.related ?? []).map((rid, i) => {
            const r = rel[i];
            return h(
              'li',
              null,
              h('a', { href: `/incidents/${enc(rid)}` }, r ? store.nameOf(r.service) : rid),
              r ? h('span', { class: 'muted' }, ` · ${r.state === 'open' ? 'ongoing' : 'resolved'} · since ${formatTime(r.started_at, now)}`) : null,
            );
          }),
        ),
      );
    }
    if (related.length === 0) related.push(message('empty', 'No other service had problems at the same time.'));
    replaceChildren(relatedBody, related);
  };

  try {
    await render();
    await map.whenDrawn();
  } catch (e) {
    if (isAbort(e) || ctx.signal.aborted) return;
    root.prepend(message('error', errorText(e)));
    ctx.failed();
    return;
  }
  if (ctx.signal.aborted) return;
  ctx.ready();

  const refresh = coalesce(() => {
    getJSON<Incident>(`/api/v1/incidents/${enc(inc.id)}`, ctx.signal)
      .then((d) => {
        inc = d;
        return render();
      })
      .catch(() => undefined);
  }, 3000);
  ctx.onCleanup(() => refresh.cancel());
  ctx.onCleanup(
    store.onIncidents((ev) => {
      if (ev.changed.includes(inc.id) || (inc.state === 'open' && !ev.open.includes(inc.id))) refresh();
    }),
  );
  const poll = setInterval(() => {
    if (store.live.state !== 'live' && inc.state === 'open') refresh();
  }, 30_000);
  ctx.onCleanup(() => clearInterval(poll));
}
