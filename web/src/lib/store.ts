// App-wide state shared by the pages: the service list (kept current by the SSE stream), the
// server clock and the live stream.

import { getJSON, type ServiceSummary, type ServicesAnswer } from './api';
import { LiveStream, ServerClock, debounce, mergeServicesEvent, type IncidentsEvent, type MergeResult } from './live';

export type ServicesListener = (r: MergeResult) => void;

export class Store {
  readonly clock = new ServerClock();
  readonly live = new LiveStream();
  readonly services = new Map<string, ServiceSummary>();
  /** catalog order (the order of the API list, which groups by status then catalog order) */
  readonly order = new Map<string, number>();
  evaluatedAt: string | null = null;
  private loaded: Promise<void> | null = null;
  private hasSparklines = false;
  private listeners = new Set<ServicesListener>();
  private incidentListeners = new Set<(e: IncidentsEvent) => void>();
  private refetchUnknown = debounce(() => void this.loadServices(true), 1500);

  constructor() {
    this.live.subscribe({
      onServices: (ev) => {
        this.clock.observeEvaluatedAt(ev.evaluated_at);
        if (ev.evaluated_at) this.evaluatedAt = ev.evaluated_at;
        const r = mergeServicesEvent(this.services, ev);
        if (r.unknown.length && this.services.size) this.refetchUnknown();
        if (r.changed.length || r.unknown.length) for (const l of this.listeners) l(r);
      },
      onIncidents: (ev) => {
        for (const l of this.incidentListeners) l(ev);
      },
    });
  }

  /** Loads the list (with 24-hour sparklines when the server offers them). */
  loadServices(force = false, sparklines = true): Promise<void> {
    if (this.loaded && !force && (this.hasSparklines || !sparklines)) return this.loaded;
    const p = getJSON<ServicesAnswer>(`/api/v1/services${sparklines ? '?sparkline=24h' : ''}`).then((d) => {
      this.clock.observeEvaluatedAt(d.evaluated_at);
      this.evaluatedAt = d.evaluated_at;
      const before = new Set(this.services.keys());
      this.order.clear();
      d.services.forEach((svc, i) => {
        this.order.set(svc.id, i);
        const cur = this.services.get(svc.id);
        if (cur && !svc.sparkline && cur.sparkline) svc.sparkline = cur.sparkline;
        this.services.set(svc.id, svc);
        before.delete(svc.id);
      });
      for (const gone of before) this.services.delete(gone);
      this.hasSparklines = sparklines;
      const all = d.services.map((x) => x.id);
      for (const l of this.listeners) l({ changed: all, statusChanged: all, unknown: [] });
    });
    this.loaded = p;
    p.catch(() => {
      if (this.loaded === p) this.loaded = null;
    });
    return p;
  }

  onServices(l: ServicesListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  onIncidents(l: (e: IncidentsEvent) => void): () => void {
    this.incidentListeners.add(l);
    return () => this.incidentListeners.delete(l);
  }

  nameOf(id: string): string {
    return this.services.get(id)?.name ?? id;
  }
}

export const store = new Store();
