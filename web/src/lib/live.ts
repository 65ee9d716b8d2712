// Live updates over Server-Sent Events (GET /api/v1/events) and the server clock.
//
// The pure parts (mergeServicesEvent, parseIncidentsEvent, sortByStatus, debounce, ServerClock)
// are unit-tested in node; LiveStream wraps EventSource in the browser.

import type { ServiceSummary } from './api';

/** The `services` event: the first after connecting lists every service, later ones the changed. */
export interface ServicesEvent {
  evaluated_at: string | null;
  services: Array<Partial<ServiceSummary> & { id: string }>;
}

export interface IncidentsEvent {
  open: string[];
  changed: string[];
}

export interface MergeResult {
  /** ids whose counts or status changed */
  changed: string[];
  /** ids whose status changed (a subset of changed) */
  statusChanged: string[];
  /** ids the event names that `state` does not know (a service registered since the list was read) */
  unknown: string[];
}

const LIVE_FIELDS = [
  'status',
  'status_since',
  'reports_last_minute',
  'reports_last_15m',
  'reports_last_60m',
  'reports_last_24h',
  'expected_per_minute',
] as const;

/** Folds a `services` event into `state` (mutated in place). */
export function mergeServicesEvent(state: Map<string, ServiceSummary>, ev: ServicesEvent): MergeResult {
  const out: MergeResult = { changed: [], statusChanged: [], unknown: [] };
  if (!ev || !Array.isArray(ev.services)) return out;
  for (const upd of ev.services) {
    if (!upd || typeof upd.id !== 'string') continue;
    const cur = state.get(upd.id);
    if (!cur) {
      out.unknown.push(upd.id);
      continue;
    }
    let changed = false;
    const curRec = cur as unknown as Record<string, unknown>;
    for (const f of LIVE_FIELDS) {
      if (!(f in upd)) continue;
      const v = (upd as Record<string, unknown>)[f];
      if (curRec[f] !== v) {
        if (f === 'status') out.statusChanged.push(upd.id);
        curRec[f] = v;
        changed = true;
      }
    }
    if (changed) out.changed.push(upd.id);
  }
  return out;
}

export function parseIncidentsEvent(data: string): IncidentsEvent | null {
  try {
    const v = JSON.parse(data);
    if (!v || !Array.isArray(v.open)) return null;
    return {
      open: v.open.filter((x: unknown) => typeof x === 'string'),
      changed: Array.isArray(v.changed) ? v.changed.filter((x: unknown) => typeof x === 'string') : [],
    };
  } catch {
    return null;
  }
}

const STATUS_RANK: Record<string, number> = { outage: 0, possible: 1, normal: 2 };

/** Outage first, then possible, then normal; catalog order (`order`) within each group. */
export function sortByStatus<T extends { id: string; status: string }>(list: T[], order: Map<string, number>): T[] {
  return list.slice().sort((a, b) => {
    const r = (STATUS_RANK[a.status] ?? 2) - (STATUS_RANK[b.status] ?? 2);
    if (r !== 0) return r;
    return (order.get(a.id) ?? 1e9) - (order.get(b.id) ?? 1e9);
  });
}

/** setTimeout/clearTimeout, injectable for tests. (Called as plain functions: browsers throw
 * "Illegal invocation" when the real ones are called as methods of another object.) */
export interface Timers {
  set(fn: () => void, ms: number): ReturnType<typeof setTimeout>;
  clear(handle: ReturnType<typeof setTimeout>): void;
}
const DEFAULT_TIMERS: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h),
};

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  cancel(): void;
  flush(): void;
}

/** Calls fn once, `ms` after the last call (trailing edge). */
export function debounce<A extends unknown[]>(
  fn: (...args: A) => void,
  ms: number,
  timers: Timers = DEFAULT_TIMERS,
): Debounced<A> {
  let handle: ReturnType<typeof setTimeout> | null = null;
  let lastArgs: A | null = null;
  const d = ((...args: A) => {
    lastArgs = args;
    if (handle !== null) timers.clear(handle);
    handle = timers.set(() => {
      handle = null;
      const a = lastArgs!;
      lastArgs = null;
      fn(...a);
    }, ms);
  }) as Debounced<A>;
  d.cancel = () => {
    if (handle !== null) timers.clear(handle);
    handle = null;
    lastArgs = null;
  };
  d.flush = () => {
    if (handle === null) return;
    timers.clear(handle);
    handle = null;
    const a = lastArgs!;
    lastArgs = null;
    fn(...a);
  };
  return d;
}

/**
 * The server's clock as seen from the browser. The demo runs its own clock ahead of real time,
 * so "since", day boundaries and chart ranges use server times; this estimates "now" on the
 * server from the last `evaluated_at` (the last complete minute the detector judged; it runs a
 * few seconds after that minute ends, so the server's now is about one minute later).
 */
export class ServerClock {
  private offsetMs = 0;
  private known = false;
  constructor(private readonly browserNow: () => number = () => Date.now()) {}

  /** Learn from an evaluated_at (RFC 3339); ignored when null or unparsable. */
  observeEvaluatedAt(evaluatedAt: string | null | undefined): void {
    if (!evaluatedAt) return;
    const ms = Date.parse(evaluatedAt);
    if (Number.isNaN(ms)) return;
    const serverNow = ms + 60_000;
    const offset = serverNow - this.browserNow();
    // Only move forward by whole-minute evidence; never jump backwards by less than a minute.
    if (!this.known || offset > this.offsetMs || offset < this.offsetMs - 90_000) this.offsetMs = offset;
    this.known = true;
  }

  /** Learn from a series answer: `from` + 24 h is the end of the server's current minute. */
  observeSeriesEnd(endMs: number): void {
    const offset = endMs - this.browserNow();
    if (!this.known || Math.abs(offset - this.offsetMs) > 90_000) this.offsetMs = offset;
    this.known = true;
  }

  get isKnown(): boolean {
    return this.known;
  }

  now(): number {
    return this.browserNow() + this.offsetMs;
  }
}

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

export interface LiveHandlers {
  onServices?: (ev: ServicesEvent) => void;
  onIncidents?: (ev: IncidentsEvent) => void;
  onState?: (state: LiveState) => void;
}

/**
 * The query of the event stream for a page (GET /api/v1/events?view=…): each page is sent only
 * what it shows. The home list: every service's status and hourly count; a service page: that
 * service; the map and incident pages: incidents and the services in trouble.
 */
export function liveQueryFor(page: string | undefined, params: string[] = []): string {
  switch (page) {
    case 'home':
      return 'view=home';
    case 'service':
      return params[0] ? `view=service&service=${encodeURIComponent(params[0])}` : 'view=all';
    case 'map':
    case 'incident':
      return 'view=map';
    default:
      return 'view=all';
  }
}

/** The stream's address for a view, resuming after `lastEventId` when there is one. */
export function liveUrl(base: string, query: string, lastEventId: string): string {
  const parts = [query, lastEventId ? `last_event_id=${encodeURIComponent(lastEventId)}` : ''].filter(Boolean);
  return parts.length ? `${base}?${parts.join('&')}` : base;
}

/**
 * One EventSource on /api/v1/events for the whole app, for the current page's view. EventSource
 * reconnects by itself after a network error; when the browser gives up (HTTP error, e.g. a server without the endpoint),
 * this reconnects with a capped backoff.
 */
export class LiveStream {
  private es: EventSource | null = null;
  private retryMs = 2000;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private listeners = new Set<LiveHandlers>();
  private stopped = false;
  state: LiveState = 'connecting';
  servicesEvents = 0;
  incidentsEvents = 0;
  lastEventAt: number | null = null;
  /** the view's query (liveQueryFor) */
  query = '';
  /** the id of the last event of this view: a reconnect resumes after it */
  lastEventId = '';
  /** the address of the current EventSource, for tests */
  url = '';

  constructor(private readonly base = '/api/v1/events') {}

  /** Switches to another page's view: reconnects at once (a new view gets a full greeting). */
  setView(query: string): void {
    if (query === this.query) return;
    this.query = query;
    this.lastEventId = '';
    if (this.stopped || (!this.es && !this.timer)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.es?.close();
    this.es = null;
    this.setState('connecting');
    this.connect();
  }

  subscribe(h: LiveHandlers): () => void {
    this.listeners.add(h);
    h.onState?.(this.state);
    return () => this.listeners.delete(h);
  }

  private setState(s: LiveState): void {
    if (this.state === s) return;
    this.state = s;
    for (const l of this.listeners) l.onState?.(s);
  }

  start(): void {
    if (typeof EventSource === 'undefined') {
      this.setState('unavailable');
      return;
    }
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.es?.close();
    this.es = null;
  }

  private connect(): void {
    if (this.stopped) return;
    this.timer = null;
    // EventSource sends Last-Event-ID by itself when it reconnects; a new EventSource (after the
    // browser gave up) passes it in the address.
    this.url = liveUrl(this.base, this.query, this.lastEventId);
    const es = new EventSource(this.url);
    this.es = es;
    const remember = (e: Event) => {
      const id = (e as MessageEvent).lastEventId;
      if (id && this.es === es) this.lastEventId = id;
    };
    es.onopen = () => {
      this.retryMs = 2000;
      this.setState('live');
    };
    es.addEventListener('services', (e) => {
      let data: ServicesEvent | null = null;
      try {
        data = JSON.parse((e as MessageEvent).data);
      } catch {
        data = null;
      }
      if (!data) return;
      remember(e);
      this.servicesEvents++;
      this.lastEventAt = Date.now();
      this.setState('live');
      for (const l of this.listeners) l.onServices?.(data);
    });
    es.addEventListener('incidents', (e) => {
      const data = parseIncidentsEvent((e as MessageEvent).data);
      if (!data) return;
      remember(e);
      this.incidentsEvents++;
      this.lastEventAt = Date.now();
      for (const l of this.listeners) l.onIncidents?.(data);
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        if (this.es === es) this.es = null;
        this.setState('reconnecting');
        this.timer = setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(30_000, this.retryMs * 2);
      } else {
        this.setState('reconnecting');
      }
    };
  }
}

/**
 * Runs fn at most once per `ms`: the first call schedules it `ms` later, calls in between are
 * folded into that run. Unlike debounce, a steady stream of calls (SSE every 2 s) cannot
 * postpone it forever.
 */
export function coalesce(
  fn: () => void,
  ms: number,
  timers: Timers = DEFAULT_TIMERS,
): { (): void; cancel(): void; pending(): boolean } {
  let handle: ReturnType<typeof setTimeout> | null = null;
  const c = (() => {
    if (handle !== null) return;
    handle = timers.set(() => {
      handle = null;
      fn();
    }, ms);
  }) as { (): void; cancel(): void; pending(): boolean };
  c.cancel = () => {
    if (handle !== null) timers.clear(handle);
    handle = null;
  };
  c.pending = () => handle !== null;
  return c;
}
