// Service page: status banner, 24-hour chart with the expected band, top problems, a live map
// of the affected area with the most impacted cities, the incident timeline, related services
// and the likely upstream, the error strings seen, and the status badge.

import {
  ApiError,
  enc,
  getJSON,
  getOptional,
  qs,
  type Incident,
  type Maintenance,
  type PlacesAnswer,
  type Series,
  type ServiceDetail,
} from '../lib/api';
import { ReportsChart } from '../lib/chart';
import { escapeHtml, h, replaceChildren, setText } from '../lib/dom';
import {
  bannerText,
  crowdVersusOfficial,
  formatCompact,
  categoryLabel,
  formatCount,
  formatDuration,
  formatTime,
  scopeLabel,
  toMs,
} from '../lib/format';
import { chooseRegion, type RegionId } from '../lib/geo';
import { coalesce } from '../lib/live';
import { MapView, prefetchLayer } from '../lib/mapview';
import { openReportDialog } from '../lib/report';
import { store } from '../lib/store';
import { card, errorText, isAbort, message, statusIcon, statusPill } from '../lib/ui';
import type { PageContext } from './page';
import { debugHooks } from './page';
import { citiesTable, cityToPlace, errorsList, groupNote, problemBars, segmented, timeline, updatesList, type CityRow, type MapMode } from './parts';

const DAY = 24 * 3600_000;

export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

export async function servicePage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0] ?? '';
  const root = ctx.root;
  replaceChildren(root, h('p', { class: 'msg msg-info' }, 'Loading…'));

  let svc: ServiceDetail;
  try {
    svc = await getJSON<ServiceDetail>(`/api/v1/services/${enc(id)}`, ctx.signal);
  } catch (e) {
    if (isAbort(e)) return;
    ctx.setTitle('Unknown service');
    replaceChildren(
      root,
      h('h1', null, e instanceof ApiError && e.status === 404 ? 'Unknown service' : 'Could not load the service'),
      message(e instanceof ApiError && e.status === 404 ? 'info' : 'error', errorText(e)),
      h('p', null, h('a', { href: '/' }, 'See every service')),
    );
    if (e instanceof ApiError && e.status === 404) ctx.ready();
    else ctx.failed();
    return;
  }
  if (ctx.signal.aborted) return;
  ctx.setTitle(`${svc.name}: is it down?`);
  store.loadServices(false, false).catch(() => undefined);

  // ---- header and banner ----
  const reportBtn = h('button', { type: 'button', class: 'btn btn-primary btn-report-main', 'data-action': 'report' }, `I have a problem with ${svc.name}`);
  reportBtn.addEventListener('click', () => openReportDialog({ serviceId: svc.id, serviceName: svc.name, opener: reportBtn }));
  const bannerIcon = h('span', { class: 'banner-icon' });
  const bannerMain = h('p', { class: 'banner-text' });
  const n15 = h('strong', { 'data-count': 'reports_last_15m' });
  const n60 = h('strong', { 'data-count': 'reports_last_60m' });
  const n24 = h('strong', { 'data-count': 'reports_last_24h' });
  const usual = h('span', { class: 'banner-usual' });
  const sideBySide = h('p', { class: 'banner-official' });
  const banner = h(
    'div',
    { class: 'banner', role: 'status', 'aria-live': 'polite' },
    bannerIcon,
    h('div', { class: 'banner-body' }, bannerMain, sideBySide, h('p', { class: 'banner-counts' }, n15, ' reports in the last 15 minutes · ', n60, ' in the last hour · ', n24, ' in 24 hours', usual)),
  );
  const renderBanner = () => {
    const now = store.clock.now();
    banner.className = `banner banner-${svc.status}`;
    banner.dataset.status = svc.status;
    replaceChildren(bannerIcon, statusIcon(svc.status), h('span', { class: 'visually-hidden' }, `Status: ${svc.status}`));
    setText(bannerMain, bannerText(svc.name, svc.status, svc.status_since, now));
    setText(n15, formatCount(svc.reports_last_15m));
    setText(n60, formatCount(svc.reports_last_60m));
    setText(n24, formatCount(svc.reports_last_24h));
    const e = svc.expected_per_minute;
    setText(usual, e !== null && e !== undefined ? ` · usually about ${e * 60 < 10 ? (e * 60).toFixed(1) : formatCount(e * 60)} per hour at this time` : '');
    // Only when the provider's page is polled: otherwise there is nothing to set beside the crowd.
    setText(sideBySide, svc.official ? crowdVersusOfficial(svc.status, svc.status_since, svc.official, now) : '');
  };
  renderBanner();

  const statusLink = safeHttpUrl(svc.status_url);
  const header = h(
    'div',
    { class: 'page-head' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/' }, 'Services'), h('span', { 'aria-hidden': 'true' }, ' / '), h('span', null, categoryLabel(svc.category))),
    h('div', { class: 'title-row' }, h('h1', { class: 'svc-title' }, svc.name), reportBtn),
    svc.components.length ? h('p', { class: 'components' }, `Includes ${svc.components.join(', ')}`) : null,
  );

  // ---- chart ----
  let range: '24h' | '3h' = '24h';
  let seriesEnd: number | null = null;
  const chart = new ReportsChart(`Chart of reports for ${svc.name}`);
  const chartNote = h('p', { class: 'chart-note' });
  const chartSummary = h('p', { class: 'chart-summary' });
  const rangeCtl = segmented(
    'Chart range',
    [
      { value: '24h', text: '24 hours' },
      { value: '3h', text: '3 hours' },
    ],
    range,
    (v) => {
      range = v;
      loadSeries().catch(() => undefined);
    },
  );
  const chartCard = h(
    'section',
    { class: 'card card-wide', 'aria-labelledby': 'chart-title' },
    h('div', { class: 'card-head' }, h('h2', { class: 'card-title', id: 'chart-title' }, 'Reports over time'), rangeCtl),
    chart.root,
    chartSummary,
    chartNote,
  );
  ctx.onCleanup(() => chart.destroy());

  // ---- problems ----
  const problemsBody = h('div');
  const renderProblems = () => replaceChildren(problemsBody, problemBars(svc.problems_last_60m ?? [], 3));
  renderProblems();

  // ---- map and cities ----
  // With problems the map will zoom to a region: fetch its finer base map while the data loads.
  if (svc.status !== 'normal') for (const l of ['countries-50m', 'states-10m'] as const) prefetchLayer(l);
  let mode: MapMode = 'excess';
  let placesAnswer: PlacesAnswer | null = null;
  const modeCtl = segmented(
    'Map shows',
    [
      { value: 'excess', text: 'Above usual' },
      { value: 'raw', text: 'All reports' },
    ],
    mode,
    (v) => {
      mode = v;
      renderPlaces();
    },
  );
  const map = new MapView({
    label: `Map of reports for ${svc.name}`,
    legend: {
      colorTitle: 'Compared with usual',
      colorFormat: (v) => `×${formatCompact(v)}`,
      sizeTitle: 'Reports above usual',
    },
    controls: [modeCtl],
  });
  ctx.onCleanup(() => map.destroy());
  debugHooks.maps.push(map);
  const mapCaption = h('p', { class: 'map-caption' });
  const topCities = h('div', { class: 'top-cities' });
  const allPlaces = h('div', { class: 'all-places' });
  const mapDetails = h('details', { class: 'table-details' }, h('summary', null, 'All places on the map, as a table'), allPlaces);

  const rowsOf = (a: PlacesAnswer): CityRow[] =>
    a.places.map((p) => ({ name: p.name, country: p.country, region: p.region, lat: p.lat, lon: p.lon, reports: p.reports, expected: p.expected ?? null }));

  const renderPlaces = () => {
    const a = placesAnswer;
    if (!a) return;
    const rows = rowsOf(a);
    const ranked = mode === 'raw' ? rows.slice().sort((x, y) => y.reports - x.reports) : rows;
    map.setLegend(
      mode === 'raw'
        ? { colorTitle: 'Reports', colorFormat: (v: number) => formatCompact(v), sizeTitle: 'Reports' }
        : { colorTitle: 'Compared with usual', colorFormat: (v: number) => `×${formatCompact(v)}`, sizeTitle: 'Reports above usual' },
    );
    map.setPlaces(ranked.map((c) => cityToPlace(c, mode)));
    map.canvas.dataset.source = placesUrl ?? '';
    const top = (mode === 'raw' ? ranked : rows.filter((r) => r.expected === null || r.reports > (r.expected ?? 0))).slice(0, 10);
    replaceChildren(
      topCities,
      top.length
        ? citiesTable(top, mode === 'raw' ? 'Cities with the most reports' : 'Most impacted cities', { limit: 10, compact: true })
        : message('empty', 'No city stands out right now.'),
    );
    replaceChildren(allPlaces, citiesTable(ranked, `All ${formatCount(ranked.length)} places on the map`, { id: 'map-table' }));
    const from = a.from;
    setText(
      mapCaption,
      `${formatCount(rows.length)} ${rows.length === 1 ? 'place' : 'places'} with reports since ${formatTime(from, store.clock.now())}` +
        (a.scope ? ` · ${scopeLabel(a.scope)}` : '') +
        (mode === 'excess' ? ' · circles sized by reports above usual' : ' · circles sized by all reports'),
    );
    {
      const pts = rows
        .filter((r) => (mode === 'excess' ? r.expected === null || r.reports > (r.expected ?? 0) * 1.5 : true))
        .map((r) => ({ lon: r.lon, lat: r.lat, weight: mode === 'excess' ? Math.max(0, r.reports - (r.expected ?? 0)) : r.reports }));
      const region: RegionId = chooseRegion(pts);
      map.autoRegion(region);
    }
  };

  // ---- incident, related, errors ----
  const incidentBody = h('div');
  const relatedBody = h('div');
  const errorsBody = h('div');
  let incident: Incident | null = null;
  let incidentLoaded = false; // the incident list has answered at least once
  let placesUrl: string | null = null;

  // ---- badge ----
  const origin = location.origin;
  const snippet = `<a href="${escapeHtml(`${origin}/services/${enc(svc.id)}`)}"><img src="${escapeHtml(`${origin}/badge/${enc(svc.id)}.svg`)}" alt="${escapeHtml(`${svc.name} status`)}"></a>`;
  const badgeImg = h('img', { src: `/badge/${enc(svc.id)}.svg`, alt: `${svc.name} status badge`, class: 'badge-img', height: 20 });
  badgeImg.addEventListener('error', () => {
    badgeImg.hidden = true;
  });
  const copyBtn = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, 'Copy');
  const copyNote = h('span', { class: 'copy-note', 'aria-live': 'polite' });
  copyBtn.addEventListener('click', () => {
    navigator.clipboard?.writeText(snippet).then(
      () => setText(copyNote, 'Copied'),
      () => setText(copyNote, 'Select the text to copy it'),
    );
  });
  const badgeCard = card(
    'Status badge',
    h('p', null, 'Show the live status of ', svc.name, ' on your page:'),
    h('p', { class: 'badge-preview' }, badgeImg),
    h('pre', { class: 'snippet' }, h('code', null, snippet)),
    h('p', null, copyBtn, ' ', copyNote),
  );

  const layout = h(
    'div',
    { class: 'svc-grid' },
    chartCard,
    card('Most reported problems', h('p', { class: 'card-sub' }, 'Last hour'), problemsBody),
    h(
      'section',
      { class: 'card card-wide', 'aria-labelledby': 'map-title' },
      h('h2', { class: 'card-title', id: 'map-title' }, 'Where people report problems'),
      mapCaption,
      map.root,
      mapDetails,
    ),
    card('Most impacted cities', topCities),
    card('Incident', incidentBody),
    card('Related services', relatedBody),
    card('Error messages people see', errorsBody),
    badgeCard,
    statusLink
      ? h('p', { class: 'official-link' }, 'Official status page: ', h('a', { href: statusLink, rel: 'noopener noreferrer', target: '_blank', 'data-external': '1' }, new URL(statusLink).host))
      : null,
  );
  // Announced maintenance windows that are not over (GET /api/v1/maintenances), as text.
  const maintenanceNote = h('div', { class: 'maintenance-notes', 'aria-live': 'polite' });
  replaceChildren(root, header, banner, maintenanceNote, layout);
  getOptional<{ maintenances: Maintenance[] }>(`/api/v1/maintenances?service=${encodeURIComponent(svc.id)}`, ctx.signal)
    .then((d) => {
      const now = store.clock.now();
      const shown = (d?.maintenances ?? []).filter((m) => m.status !== 'completed');
      replaceChildren(
        maintenanceNote,
        ...shown.map((m) =>
          h(
            'p',
            { class: `maintenance maintenance-${m.status}` },
            h('strong', null, m.status === 'in_progress' ? 'Maintenance under way: ' : 'Scheduled maintenance: '),
            `${m.title} — ${formatTime(m.starts_at, now)} to ${formatTime(m.ends_at, now)}`,
            m.body ? h('span', { class: 'maintenance-body' }, ` · ${m.body}`) : null,
          ),
        ),
      );
    })
    .catch(() => undefined);

  // ---- data ----
  const seriesPath = () => {
    if (range === '24h') return `/api/v1/services/${enc(svc.id)}/series${qs({ step: '15m', expected: 1 })}`;
    const end = seriesEnd ?? Math.floor(store.clock.now() / 60000) * 60000 + 60000;
    return `/api/v1/services/${enc(svc.id)}/series${qs({ step: '1m', from: end - 3 * 3600_000, to: end, expected: 1 })}`;
  };
  async function loadSeries(): Promise<void> {
    const s = await getJSON<Series>(seriesPath(), ctx.signal);
    if (ctx.signal.aborted) return;
    const from = toMs(s.from) ?? 0;
    if (range === '24h') {
      seriesEnd = from + DAY;
      store.clock.observeSeriesEnd(seriesEnd);
    }
    const times = s.points.map((p) => p[0]);
    const reports = s.points.map((p) => p[1]);
    chart.render({
      times,
      reports,
      expected: Array.isArray(s.expected) ? s.expected : null,
      upper: Array.isArray(s.upper) ? s.upper : null,
      stepSeconds: s.step_seconds,
    });
    debugHooks.chart = chart.uplot;
    const per = s.step_seconds >= 900 ? 'per 15 minutes' : 'per minute';
    let peak = 0;
    let peakAt = 0;
    s.points.forEach(([t, v]) => {
      if (v > peak) {
        peak = v;
        peakAt = t;
      }
    });
    const last = s.points.length ? s.points[s.points.length - 1]! : null;
    setText(
      chartSummary,
      peak > 0
        ? `Peak ${formatCount(peak)} reports ${per} at ${formatTime(peakAt, store.clock.now())}; latest ${formatCount(last?.[1] ?? 0)}.`
        : `No reports in this period.`,
    );
    setText(
      chartNote,
      Array.isArray(s.upper)
        ? 'Dashed line: the usual count at that time of day. Shaded band: the range that is still normal.'
        : Array.isArray(s.expected)
          ? 'Dashed line: the usual count at that time of day.'
          : 'The usual level is not available from this server.',
    );
  }

  async function loadIncident(): Promise<void> {
    const list = await getJSON<{ incidents: Incident[] }>(`/api/v1/incidents${qs({ service: svc.id, limit: 5 })}`, ctx.signal);
    const now = store.clock.now();
    const open = list.incidents.find((i) => i.state === 'open') ?? null;
    const recent =
      open ??
      list.incidents.find((i) => i.state === 'resolved' && (toMs(i.resolved_at) ?? 0) > now - DAY) ??
      null;
    // The list entry carries everything this page shows (times, problems, errors, related).
    incident = recent;
    incidentLoaded = true;
    if (ctx.signal.aborted) return;
    renderIncident();
    // Related incidents are not on the way to the map and chart: draw them when they come.
    renderRelated().catch(() => undefined);
  }

  function renderIncident(): void {
    const now = store.clock.now();
    if (!incident) {
      replaceChildren(incidentBody, message('empty', 'No incident in the last 24 hours.'));
      replaceChildren(errorsBody, message('empty', 'No error message was reported.'));
      return;
    }
    const inc = incident;
    replaceChildren(
      incidentBody,
      h(
        'p',
        { class: 'incident-head' },
        h('a', { href: `/incidents/${enc(inc.id)}`, class: 'incident-link' }, `Incident ${inc.id}`),
        ' ',
        h('span', { class: `pill pill-${inc.state === 'open' ? 'outage' : 'normal'}` }, inc.state === 'open' ? 'Ongoing' : 'Resolved'),
      ),
      h(
        'p',
        { class: 'incident-meta' },
        `${formatCount(inc.reports)} reports counted · ${scopeLabel(inc.scope)}`,
        inc.state === 'resolved' && inc.resolved_at ? ` · lasted ${formatDuration((toMs(inc.resolved_at) ?? 0) - (toMs(inc.started_at) ?? 0))}` : '',
      ),
      groupNote(inc, (s) => store.nameOf(s)),
      timeline(inc, now),
      updatesList(inc, now),
    );
    replaceChildren(errorsBody, errorsList(inc.errors));
  }

  async function renderRelated(): Promise<void> {
    const parts: Node[] = [];
    const inc = incident;
    let others: Map<string, Incident> = new Map();
    if (inc && ((inc.related && inc.related.length) || inc.upstream)) {
      try {
        const all = await getJSON<{ incidents: Incident[] }>(`/api/v1/incidents${qs({ limit: 200 })}`, ctx.signal);
        others = new Map(all.incidents.map((i) => [i.id, i]));
      } catch (e) {
        if (isAbort(e)) return;
      }
    }
    const now = store.clock.now();
    if (inc?.upstream) {
      const up = inc.upstream;
      const upInc = others.get(up.incident);
      parts.push(
        h(
          'div',
          { class: 'upstream' },
          h('p', { class: 'upstream-title' }, 'Likely cause'),
          h(
            'p',
            null,
            h('a', { href: `/services/${enc(up.service)}` }, store.nameOf(up.service)),
            upInc ? ` had problems first (since ${formatTime(upInc.started_at, now)}), and ${svc.name} depends on it. ` : ` had problems first, and ${svc.name} depends on it. `,
            h('a', { href: `/incidents/${enc(up.incident)}` }, `Incident ${up.incident}`),
          ),
        ),
      );
    }
    const related = (inc?.related ?? []).map((rid) => others.get(rid)).filter((x): x is Incident => !!x);
    if (related.length) {
      parts.push(h('p', { class: 'sub-title' }, inc?.state === 'open' ? 'Also spiking at the same time' : 'Spiked at the same time'));
      parts.push(
        h(
          'ul',
          { class: 'related-list' },
          related.map((r) =>
            h(
              'li',
              null,
              h('a', { href: `/services/${enc(r.service)}` }, store.nameOf(r.service)),
              ' ',
              h('span', { class: `pill pill-${r.state === 'open' ? 'outage' : 'normal'} pill-small` }, r.state === 'open' ? 'Ongoing' : 'Resolved'),
              h('span', { class: 'muted' }, ` since ${formatTime(r.started_at, now)} · `),
              h('a', { href: `/incidents/${enc(r.id)}`, class: 'muted' }, r.id),
            ),
          ),
        ),
      );
    }
    if (svc.depends_on.length) {
      parts.push(h('p', { class: 'sub-title' }, `${svc.name} depends on`));
      parts.push(
        h(
          'ul',
          { class: 'related-list' },
          svc.depends_on.map((d) => {
            const st = store.services.get(d)?.status ?? 'normal';
            return h('li', null, h('a', { href: `/services/${enc(d)}` }, store.nameOf(d)), ' ', statusPill(st, true));
          }),
        ),
      );
    }
    if (parts.length === 0) parts.push(message('empty', 'No related service has problems at the same time.'));
    replaceChildren(relatedBody, parts);
  }

  async function loadPlaces(): Promise<void> {
    const now = store.clock.now();
    // The places since the open incident began. Until the incident list has come, the service's
    // own answer names its open incident, so the first load of the map does not wait for the list.
    const open = incidentLoaded ? (incident?.state === 'open' ? incident : null) : (svc.open_incident ?? null);
    const start = open ? toMs(open.started_at) : null;
    const from = start !== null ? Math.max(start, now - DAY) : null;
    placesUrl = `/api/v1/services/${enc(svc.id)}/places${qs({ level: 'city', limit: 1000, rank: 'excess', from })}`;
    const a = await getJSON<PlacesAnswer>(placesUrl, ctx.signal);
    if (ctx.signal.aborted) return;
    placesAnswer = a;
    debugHooks.places = a;
    renderPlaces();
  }

  async function refreshService(): Promise<void> {
    const d = await getJSON<ServiceDetail>(`/api/v1/services/${enc(svc.id)}`, ctx.signal);
    if (ctx.signal.aborted) return;
    const statusChanged = d.status !== svc.status;
    svc = d;
    const cur = store.services.get(svc.id);
    if (cur) Object.assign(cur, { status: d.status, status_since: d.status_since, reports_last_minute: d.reports_last_minute, reports_last_15m: d.reports_last_15m, reports_last_60m: d.reports_last_60m, reports_last_24h: d.reports_last_24h });
    renderBanner();
    renderProblems();
    if (statusChanged) refreshIncident();
  }

  const quiet = (p: Promise<unknown>) => p.catch(() => undefined);
  const refreshData = coalesce(() => {
    quiet(refreshService());
    quiet(loadSeries());
    quiet(loadPlaces());
  }, 8000);
  const refreshIncident = coalesce(() => {
    quiet(loadIncident().then(() => loadPlaces()));
  }, 2000);
  ctx.onCleanup(() => {
    refreshData.cancel();
    refreshIncident.cancel();
  });

  try {
    await Promise.all([loadSeries(), loadIncident(), loadPlaces()]);
    map.canvas.dataset.source = placesUrl ?? '';
    await map.whenDrawn();
  } catch (e) {
    if (isAbort(e) || ctx.signal.aborted) return;
    layout.prepend(message('error', `Some data could not be loaded: ${errorText(e)}`));
    ctx.failed();
    return;
  }
  if (ctx.signal.aborted) return;
  ctx.ready();

  // ---- live ----
  ctx.onCleanup(
    store.onServices((r) => {
      if (!r.changed.includes(svc.id)) return;
      const cur = store.services.get(svc.id);
      if (!cur) return;
      const statusChanged = cur.status !== svc.status;
      Object.assign(svc, {
        status: cur.status,
        status_since: cur.status_since,
        reports_last_minute: cur.reports_last_minute,
        reports_last_15m: cur.reports_last_15m,
        reports_last_60m: cur.reports_last_60m,
        reports_last_24h: cur.reports_last_24h,
        expected_per_minute: cur.expected_per_minute,
      });
      renderBanner();
      if (statusChanged) refreshIncident();
      refreshData();
    }),
  );
  ctx.onCleanup(
    store.onIncidents((ev) => {
      const mine = incident?.id;
      const mineOpen = incident?.state === 'open';
      if (mine && ev.changed.includes(mine)) refreshIncident();
      else if (mine && mineOpen && !ev.open.includes(mine)) refreshIncident();
      else if (!mineOpen && ev.changed.length) refreshIncident();
    }),
  );
  const onReported = (e: Event) => {
    const d = (e as CustomEvent<{ service: string }>).detail;
    if (d?.service === svc.id) {
      quiet(refreshService());
      refreshData();
    }
  };
  window.addEventListener('om:reported', onReported);
  ctx.onCleanup(() => window.removeEventListener('om:reported', onReported));
  // Without the stream (an older server, or a proxy that buffers), poll every 30 s.
  const poll = setInterval(() => {
    if (store.live.state !== 'live') {
      quiet(refreshService());
      refreshData();
      refreshIncident();
    }
  }, 30_000);
  ctx.onCleanup(() => clearInterval(poll));
}
