// Outage map: every open incident's cities on one world map, with region zoom, tooltips, a
// legend and a table of the same places. ?region=ID picks the view; ?service=ID shows one
// service's places instead (from the places API).

import { enc, getJSON, getOptional, qs, type Incident, type PlacesAnswer } from '../lib/api';
import { h, replaceChildren, setText } from '../lib/dom';
import { cityLine, formatCompact, formatCount, formatRatio, formatTime, scopeLabel } from '../lib/format';
import { REGIONS, chooseRegion, type RegionId } from '../lib/geo';
import { coalesce } from '../lib/live';
import { MapView, type MapPlace } from '../lib/mapview';
import { aggregateIncidentCities, type AggregatedCity } from '../lib/places';
import { store } from '../lib/store';
import { errorText, isAbort, message } from '../lib/ui';
import type { PageContext } from './page';
import { debugHooks } from './page';

export async function mapPage(ctx: PageContext): Promise<void> {
  ctx.setTitle('Outage map');
  const root = ctx.root;
  const regionParam = ctx.query.get('region');
  const serviceParam = ctx.query.get('service');
  let userRegion = REGIONS.some((r) => r.id === regionParam) ? (regionParam as RegionId) : null;
  const map = new MapView({
    label: 'Outage map of current incidents',
    region: userRegion ?? 'world',
    legend: { colorTitle: 'Compared with usual', colorFormat: (v) => `×${formatCompact(v)}`, sizeTitle: 'Reports above usual' },
    onRegionChange: (id) => {
      userRegion = id;
      const p = new URLSearchParams(location.search);
      p.set('region', id);
      history.replaceState(null, '', `/map?${p}`);
    },
  });
  if (userRegion) map.userMoved = true;
  debugHooks.maps.push(map);
  ctx.onCleanup(() => map.destroy());
  const caption = h('p', { class: 'map-caption', 'aria-live': 'polite' });
  const incidentsBox = h('div', { class: 'incident-cards' });
  const tableBox = h('div');
  const title = serviceParam ? `Outage map: ${store.nameOf(serviceParam)}` : 'Outage map';
  const h1 = h('h1', null, title);
  replaceChildren(
    root,
    h('div', { class: 'hero' }, h1, h('p', { class: 'lede' }, 'Cities where people report more problems than usual right now. Circle area: reports above usual; colour: how many times the usual level (viridis palette, colour-blind safe).')),
    h('div', { class: 'map-layout' }, h('section', { class: 'card card-map', 'aria-label': 'Map' }, caption, map.root), h('section', { class: 'card', 'aria-labelledby': 'open-title' }, h('h2', { class: 'card-title', id: 'open-title' }, 'Open incidents'), incidentsBox)),
    h('section', { class: 'card', 'aria-labelledby': 'places-title' }, h('h2', { class: 'card-title', id: 'places-title' }, 'Places on the map'), tableBox),
  );

  const toPlace = (c: AggregatedCity): MapPlace => ({
    lon: c.lon,
    lat: c.lat,
    size: Math.max(0, c.reports - c.expected),
    color: c.reports / Math.max(0.05, c.expected),
    label: `${cityLine(c.name, c.country, c.reports, c.expected)} (${c.services.map((s) => store.nameOf(s)).join(', ')})`,
    href: c.incidents.length === 1 ? `/incidents/${enc(c.incidents[0]!)}` : undefined,
  });

  const renderTable = (rows: AggregatedCity[]) => {
    if (rows.length === 0) {
      replaceChildren(tableBox, message('empty', 'No place to show.'));
      return;
    }
    replaceChildren(
      tableBox,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'table', id: 'map-table' },
          h('caption', { class: 'visually-hidden' }, `${rows.length} places on the map`),
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'City'), h('th', { scope: 'col' }, 'Services'), h('th', { scope: 'col', class: 'num' }, 'Reports'), h('th', { scope: 'col', class: 'num' }, 'Compared with usual'))),
          h(
            'tbody',
            null,
            rows.map((c) =>
              h(
                'tr',
                { 'data-city': c.name },
                h('th', { scope: 'row' }, c.name, h('span', { class: 'city-country' }, `, ${c.country}`)),
                h('td', null, c.services.map((s, i) => [i ? ', ' : '', h('a', { href: `/services/${enc(s)}` }, store.nameOf(s))])),
                h('td', { class: 'num' }, formatCount(c.reports)),
                h('td', { class: 'num' }, formatRatio(c.reports, c.expected) || 'usual'),
              ),
            ),
          ),
        ),
      ),
    );
  };

  const loadIncidents = async () => {
    const list = await getJSON<{ incidents: Incident[] }>(`/api/v1/incidents${qs({ state: 'open', limit: 100 })}`, ctx.signal);
    const full = await Promise.all(list.incidents.map((i) => getOptional<Incident>(`/api/v1/incidents/${enc(i.id)}`, ctx.signal).then((d) => d ?? i)));
    if (ctx.signal.aborted) return;
    const now = store.clock.now();
    const rows = aggregateIncidentCities(full);
    map.setPlaces(rows.map(toPlace));
    setText(caption, full.length ? `${full.length} open ${full.length === 1 ? 'incident' : 'incidents'} · ${formatCount(rows.length)} places` : 'No open incident right now.');
    if (full.length === 0) {
      let recent: Incident[] = [];
      try {
        recent = (await getJSON<{ incidents: Incident[] }>(`/api/v1/incidents${qs({ state: 'resolved', limit: 5 })}`, ctx.signal)).incidents;
      } catch (e) {
        if (isAbort(e)) return;
      }
      replaceChildren(
        incidentsBox,
        h('p', { class: 'all-clear-title' }, 'No outages right now.'),
        recent.length
          ? [
              h('p', { class: 'sub-title' }, 'Recently resolved'),
              h('ul', { class: 'related-list' }, recent.map((r) => h('li', null, h('a', { href: `/incidents/${enc(r.id)}` }, `${store.nameOf(r.service)} — ${r.id}`), h('span', { class: 'muted' }, ` · ended ${formatTime(r.resolved_at, now)}`)))),
            ]
          : null,
      );
    } else {
      replaceChildren(
        incidentsBox,
        h(
          'ul',
          { class: 'incident-list' },
          full.map((i) =>
            h(
              'li',
              { class: 'incident-item' },
              h('a', { href: `/incidents/${enc(i.id)}`, class: 'incident-name' }, store.nameOf(i.service)),
              h('span', { class: 'muted' }, ` since ${formatTime(i.started_at, now)} · ${formatCount(i.reports)} reports · ${scopeLabel(i.scope)}`),
              i.upstream ? h('span', { class: 'muted' }, ` · likely caused by ${store.nameOf(i.upstream.service)}`) : null,
            ),
          ),
        ),
      );
    }
    renderTable(rows);
  };

  const loadService = async (id: string) => {
    const a = await getJSON<PlacesAnswer>(`/api/v1/services/${enc(id)}/places${qs({ level: 'city', limit: 1000 })}`, ctx.signal);
    if (ctx.signal.aborted) return;
    const rows: AggregatedCity[] = a.places.map((p) => ({ geonameid: p.geonameid, name: p.name, country: p.country, lat: p.lat, lon: p.lon, reports: p.reports, expected: p.expected ?? 0, services: [id], incidents: [] }));
    map.setPlaces(rows.map(toPlace));
    map.autoRegion(chooseRegion(rows.map((r) => ({ lon: r.lon, lat: r.lat, weight: Math.max(0, r.reports - r.expected) }))));
    setText(caption, `${formatCount(rows.length)} places with reports for ${store.nameOf(id)} in the last hour`);
    replaceChildren(incidentsBox, h('p', null, h('a', { href: `/services/${enc(id)}` }, `${store.nameOf(id)} service page`)));
    renderTable(rows);
  };

  const load = () => (serviceParam ? loadService(serviceParam) : loadIncidents());
  try {
    await store.loadServices(false, false).catch(() => undefined);
    if (serviceParam) setText(h1, `Outage map: ${store.nameOf(serviceParam)}`);
    await load();
    await map.whenDrawn();
  } catch (e) {
    if (isAbort(e) || ctx.signal.aborted) return;
    replaceChildren(incidentsBox, message('error', `Could not load the incidents: ${errorText(e)}`));
    ctx.failed();
    return;
  }
  if (ctx.signal.aborted) return;
  ctx.ready();

  const refresh = coalesce(() => void load().catch(() => undefined), 3000);
  ctx.onCleanup(() => refresh.cancel());
  ctx.onCleanup(store.onIncidents(() => refresh()));
  const poll = setInterval(() => {
    if (store.live.state !== 'live') refresh();
  }, 30_000);
  ctx.onCleanup(() => clearInterval(poll));
}
