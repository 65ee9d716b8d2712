// Entry point: router, page lifecycle, the live indicator and test hooks.

import { h, replaceChildren } from './lib/dom';
import { ROUTES, matchRoute, shouldIntercept } from './lib/router';
import { liveQueryFor } from './lib/live';
import { store } from './lib/store';
import { message } from './lib/ui';
import { homePage } from './pages/home';
import { incidentPage } from './pages/incident';
import { mapPage } from './pages/map';
import { servicePage } from './pages/service';
import type { PageContext, PageFn } from './pages/page';
import { debugHooks } from './pages/page';

const PAGES: Record<string, PageFn> = {
  home: homePage,
  service: servicePage,
  map: mapPage,
  incident: incidentPage,
};

let current: { ac: AbortController; cleanups: Array<() => void> } | null = null;
let firstRender = true;

function setReady(v: '0' | '1' | 'error'): void {
  document.body.dataset.ready = v;
  // For measurements: ms from navigation start to the page's data being drawn.
  if (v === '1' && typeof performance.mark === 'function') performance.mark('om-ready');
}

function render(): void {
  const app = document.getElementById('app')!;
  if (current) {
    current.ac.abort();
    for (const c of current.cleanups) {
      try {
        c();
      } catch {
        // a failing cleanup must not keep the next page from rendering
      }
    }
  }
  debugHooks.chart = null;
  debugHooks.maps = [];
  setReady('0');
  const ac = new AbortController();
  const cleanups: Array<() => void> = [];
  current = { ac, cleanups };
  const path = location.pathname;
  const m = matchRoute(ROUTES, path);
  store.live.setView(liveQueryFor(m?.name, m?.params));
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('.main-nav a'))) {
    const active = (m?.name === 'map' && a.dataset.nav === 'map') || (m?.name !== 'map' && a.dataset.nav === 'home');
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx: PageContext = {
    root: app,
    params: m?.params ?? [],
    query: new URLSearchParams(location.search),
    signal: ac.signal,
    ready: () => {
      if (!ac.signal.aborted) setReady('1');
    },
    failed: () => {
      if (!ac.signal.aborted) setReady('error');
    },
    onCleanup: (fn) => cleanups.push(fn),
    setTitle: (t) => {
      document.title = t ? `${t} · outagemap` : 'outagemap';
    },
    navigate,
  };
  replaceChildren(app);
  if (!firstRender) {
    window.scrollTo(0, 0);
  }
  const page = m ? PAGES[m.name] : undefined;
  if (!page) {
    ctx.setTitle('Not found');
    replaceChildren(
      app,
      h('h1', { tabindex: -1 }, 'Page not found'),
      message('info', 'There is no page at this address.'),
      h('p', null, h('a', { href: '/' }, 'See every service')),
    );
    ctx.ready();
  } else {
    Promise.resolve()
      .then(() => page(ctx))
      .catch((e) => {
        if (ac.signal.aborted) return;
        replaceChildren(app, h('h1', null, 'Something went wrong'), message('error', e instanceof Error ? e.message : String(e)));
        ctx.failed();
      });
  }
  if (!firstRender) {
    const h1 = app.querySelector<HTMLElement>('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: true });
    } else {
      document.getElementById('main')?.focus({ preventScroll: true });
    }
  }
  firstRender = false;
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function bindLiveIndicator(): void {
  const el = document.getElementById('live');
  if (!el) return;
  const text = el.querySelector('.live-text') ?? el;
  const labels: Record<string, string> = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Disconnected — reconnecting…',
    unavailable: 'Live updates unavailable',
  };
  store.live.subscribe({
    onState: (s) => {
      el.dataset.state = s;
      text.textContent = labels[s] ?? s;
      el.title = s === 'live' ? 'Counts update live from the server' : 'Counts are not updating; the page will catch up when the connection is back';
    },
    onServices: () => {
      el.dataset.events = String(store.live.servicesEvents);
      if (store.evaluatedAt) el.dataset.evaluatedAt = store.evaluatedAt;
    },
  });
}

function start(): void {
  document.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a) return;
    const url = shouldIntercept(a, e, location.origin);
    if (!url) return;
    e.preventDefault();
    if (url.pathname === location.pathname && url.search === location.search) {
      if (url.hash) location.hash = url.hash;
      return;
    }
    navigate(url.pathname + url.search + url.hash);
  });
  document.addEventListener('om-navigate', (e) => {
    const href = (e as CustomEvent<string>).detail;
    if (typeof href === 'string' && href.startsWith('/')) navigate(href);
  });
  window.addEventListener('popstate', render);
  bindLiveIndicator();
  render();
  store.live.start();
  (window as unknown as { __om: unknown }).__om = {
    store,
    hooks: debugHooks,
    get sseEvents() {
      return store.live.servicesEvents;
    },
    get liveState() {
      return store.live.state;
    },
    get liveUrl() {
      return store.live.url;
    },
  };
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
