// What every page gets from the router.

import type uPlot from 'uplot';
import type { MapView } from '../lib/mapview';

export interface PageContext {
  root: HTMLElement;
  /** captured route parameters, percent-decoded */
  params: string[];
  query: URLSearchParams;
  /** aborted when the user leaves the page */
  signal: AbortSignal;
  /** marks the page as drawn: document.body.dataset.ready = "1" */
  ready(): void;
  /** marks the page as failed: document.body.dataset.ready = "error" */
  failed(): void;
  onCleanup(fn: () => void): void;
  setTitle(title: string): void;
  navigate(path: string, replace?: boolean): void;
}

export type PageFn = (ctx: PageContext) => void | Promise<void>;

/** Read-only handles for tests and measurements (window.__om.hooks). */
export const debugHooks: { chart: uPlot | null; maps: MapView[]; places: unknown } = {
  chart: null,
  maps: [],
  places: null,
};
