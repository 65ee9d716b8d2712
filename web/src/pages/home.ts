// Home: "Outages now", then every service with its status and a 24-hour sparkline, with search
// and a category filter (client-side over the list).

import { getJSON, type Series, type ServiceSummary } from '../lib/api';
import { h, replaceChildren, setText } from '../lib/dom';
import { categoryLabel, formatCount, formatRatio, formatTime, statusInfo, toMs } from '../lib/format';
import { sortByStatus } from '../lib/live';
import { openReportDialog } from '../lib/report';
import { sparkline } from '../lib/sparkline';
import { store } from '../lib/store';
import { errorText, message, statusPill } from '../lib/ui';
import type { PageContext } from './page';

/** Whether a service matches the search text and category. */
export function matchesFilter(svc: { id: string; name: string; category: string }, q: string, category: string): boolean {
  if (category && svc.category !== category) return false;
  const needle = q.trim().toLowerCase();
  if (!needle) return true;
  return svc.name.toLowerCase().includes(needle) || svc.id.includes(needle) || categoryLabel(svc.category).toLowerCase().includes(needle);
}

function ratioOf(svc: ServiceSummary): string {
  const obs = svc.observed_per_minute ?? null;
  if (obs === null || obs === undefined) return '';
  return formatRatio(obs, svc.expected_per_minute);
}

function reportButton(svc: ServiceSummary, cls = 'btn btn-report'): HTMLButtonElement {
  const b = h(
    'button',
    { type: 'button', class: cls, 'aria-label': `Report a problem with ${svc.name}`, 'data-action': 'report' },
    'Report',
  );
  b.addEventListener('click', () => openReportDialog({ serviceId: svc.id, serviceName: svc.name, opener: b }));
  return b;
}

interface Row {
  li: HTMLLIElement;
  pill: HTMLElement;
  count: HTMLElement;
  spark: HTMLElement;
}

export async function homePage(ctx: PageContext): Promise<void> {
  ctx.setTitle('Is it down? Live outage reports');
  const root = ctx.root;
  const q0 = ctx.query.get('q') ?? '';
  const cat0 = ctx.query.get('category') ?? '';
  const intro = h('p', { class: 'lede' }, 'Live problem reports from people, compared with what is usual for the time of day.');
  const outagesBox = h('div', { class: 'outages' }, message('info', 'Loading…'));
  const search = h('input', { type: 'search', class: 'input', id: 'service-search', placeholder: 'Search a service', 'aria-label': 'Search services by name', value: q0 });
  const select = h('select', { class: 'input', id: 'service-category', 'aria-label': 'Filter by category' }, h('option', { value: '' }, 'All categories'));
  const countLine = h('p', { class: 'result-count', 'aria-live': 'polite' });
  const list = h('ul', { class: 'service-list', 'aria-label': 'Services' });
  replaceChildren(
    root,
    h('div', { class: 'hero' }, h('h1', null, 'Is it down right now?'), intro),
    h('section', { class: 'section', 'aria-labelledby': 'outages-title' }, h('h2', { id: 'outages-title', class: 'section-title' }, 'Outages now'), outagesBox),
    h(
      'section',
      { class: 'section', 'aria-labelledby': 'all-title' },
      h('div', { class: 'section-head' }, h('h2', { id: 'all-title', class: 'section-title' }, 'All services'), countLine),
      h('div', { class: 'filters', role: 'search' }, search, select),
      list,
    ),
  );

  try {
    await store.loadServices(false, true);
  } catch (e) {
    replaceChildren(outagesBox, message('error', `Could not load the services: ${errorText(e)}`));
    ctx.failed();
    return;
  }
  if (ctx.signal.aborted) return;

  const categories = Array.from(new Set(Array.from(store.services.values(), (s) => s.category))).sort((a, b) =>
    categoryLabel(a).localeCompare(categoryLabel(b)),
  );
  for (const c of categories) select.appendChild(h('option', { value: c }, categoryLabel(c)));
  select.value = categories.includes(cat0) ? cat0 : '';

  const rows = new Map<string, Row>();
  const buildRow = (svc: ServiceSummary): Row => {
    const pill = h('span', { class: 'row-status' }, statusPill(svc.status));
    const count = h('span', { class: 'row-count-n', 'data-count': 'reports_last_60m' }, formatCount(svc.reports_last_60m));
    const spark = h('span', { class: 'row-spark' }, sparkline(svc.sparkline, svc.status));
    const li = h(
      'li',
      { class: `service-row status-${svc.status}`, 'data-service-id': svc.id },
      h(
        'div',
        { class: 'row-main' },
        h('a', { class: 'row-name', href: `/services/${encodeURIComponent(svc.id)}` }, svc.name),
        h('span', { class: 'row-cat' }, categoryLabel(svc.category)),
      ),
      spark,
      h('span', { class: 'row-count' }, count, h('span', { class: 'row-count-label' }, ' reports, last hour')),
      pill,
      reportButton(svc, 'btn btn-report btn-small'),
    );
    return { li, pill, count, spark };
  };

  const hotServices = () =>
    Array.from(store.services.values())
      .filter((s) => s.status === 'outage' || s.status === 'possible')
      .sort((a, b) => statusInfo(a.status).rank - statusInfo(b.status).rank || (toMs(a.status_since) ?? 0) - (toMs(b.status_since) ?? 0));
  // A server without ?sparkline=24h: fetch hourly series for the services with problems only.
  const fillSparklines = async () => {
    const missing = hotServices().filter((s) => !s.sparkline);
    await Promise.all(
      missing.map(async (svc) => {
        try {
          const sr = await getJSON<Series>(`/api/v1/services/${encodeURIComponent(svc.id)}/series?step=1h`, ctx.signal);
          svc.sparkline = { from: sr.from, step_seconds: sr.step_seconds, reports: sr.points.map((p) => p[1]), expected: [] };
        } catch {
          // no sparkline then
        }
      }),
    );
    if (missing.length && !ctx.signal.aborted) {
      renderOutages();
      for (const svc of missing) {
        const row = rows.get(svc.id);
        if (row) replaceChildren(row.spark, sparkline(svc.sparkline, svc.status));
      }
    }
  };
  const metas = new Map<string, HTMLElement>();
  const metaText = (svc: ServiceSummary, now: number) =>
    [
      svc.status_since ? `Since ${formatTime(svc.status_since, now)}` : '',
      `${formatCount(svc.reports_last_15m)} reports in 15 min`,
      ratioOf(svc),
    ]
      .filter(Boolean)
      .join(' · ');
  const cardMeta = (svc: ServiceSummary, now: number) => {
    const p = h('p', { class: 'oc-meta' }, metaText(svc, now));
    metas.set(svc.id, p);
    return p;
  };
  const renderOutages = () => {
    metas.clear();
    const now = store.clock.now();
    const hot = hotServices();
    if (hot.length === 0) {
      replaceChildren(
        outagesBox,
        h(
          'div',
          { class: 'all-clear' },
          h('p', { class: 'all-clear-title' }, 'No outages right now.'),
          h('p', null, `All ${formatCount(store.services.size)} services are within their usual report levels.`),
        ),
      );
      return;
    }
    replaceChildren(
      outagesBox,
      h(
        'ul',
        { class: 'outage-cards', 'aria-label': 'Services with problems now' },
        hot.map((svc) =>
          h(
            'li',
            { class: `outage-card status-${svc.status}`, 'data-service-id': svc.id },
            h(
              'div',
              { class: 'oc-head' },
              h('a', { class: 'oc-name', href: `/services/${encodeURIComponent(svc.id)}` }, svc.name),
              statusPill(svc.status),
            ),
            cardMeta(svc, now),
            h('div', { class: 'oc-spark' }, sparkline(svc.sparkline, svc.status, 260, 48)),
            h('div', { class: 'oc-actions' }, reportButton(svc)),
          ),
        ),
      ),
    );
  };

  const applyFilter = () => {
    const q = search.value;
    const cat = select.value;
    let shown = 0;
    for (const [id, row] of rows) {
      const svc = store.services.get(id);
      const ok = !!svc && matchesFilter(svc, q, cat);
      row.li.hidden = !ok;
      if (ok) shown++;
    }
    setText(
      countLine,
      shown === rows.size ? `${formatCount(rows.size)} services` : `${formatCount(shown)} of ${formatCount(rows.size)} services`,
    );
    const params = new URLSearchParams();
    if (q.trim()) params.set('q', q.trim());
    if (cat) params.set('category', cat);
    const next = `/${params.toString() ? `?${params}` : ''}`;
    if (next !== location.pathname + location.search) history.replaceState(null, '', next);
    empty.hidden = shown !== 0;
  };
  const empty = h('p', { class: 'msg msg-empty', hidden: true }, 'No service matches your search.');
  list.after(empty);

  const renderList = () => {
    const sorted = sortByStatus(Array.from(store.services.values()), store.order);
    const seen = new Set<string>();
    for (const svc of sorted) {
      let row = rows.get(svc.id);
      if (!row) {
        row = buildRow(svc);
        rows.set(svc.id, row);
      }
      seen.add(svc.id);
      list.appendChild(row.li); // moves existing rows into status order
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.li.remove();
        rows.delete(id);
      }
    }
    applyFilter();
  };

  const updateRow = (id: string) => {
    const svc = store.services.get(id);
    const row = rows.get(id);
    if (!svc || !row) return;
    setText(row.count, formatCount(svc.reports_last_60m));
    if (row.pill.firstElementChild?.getAttribute('data-status') !== svc.status) {
      replaceChildren(row.pill, statusPill(svc.status));
      row.li.className = `service-row status-${svc.status}`;
    }
  };

  renderOutages();
  renderList();
  void fillSparklines();
  search.addEventListener('input', applyFilter);
  select.addEventListener('change', applyFilter);

  const off = store.onServices((r) => {
    if (r.changed.length === store.services.size) {
      // a full reload of the list (e.g. sparklines refreshed)
      for (const [id, row] of rows) {
        const svc = store.services.get(id);
        if (svc) replaceChildren(row.spark, sparkline(svc.sparkline, svc.status));
      }
    }
    for (const id of r.changed) updateRow(id);
    if (r.statusChanged.length) {
      renderOutages();
      renderList();
      void fillSparklines();
    } else {
      const now = store.clock.now();
      for (const id of r.changed) {
        const el = metas.get(id);
        const svc = store.services.get(id);
        if (el && svc) setText(el, metaText(svc, now));
      }
    }
  });
  ctx.onCleanup(off);
  // Sparklines move with the hour; refresh the list every 5 minutes (SSE carries counts only).
  const timer = setInterval(() => {
    store.loadServices(true, true).catch(() => undefined);
  }, 5 * 60_000);
  ctx.onCleanup(() => clearInterval(timer));
  const onReported = () => {
    store.loadServices(true, true).catch(() => undefined);
  };
  window.addEventListener('om:reported', onReported);
  ctx.onCleanup(() => window.removeEventListener('om:reported', onReported));
  ctx.ready();
}
