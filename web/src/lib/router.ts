// Client-side routing with the History API. The server answers every page path with
// index.html; this picks the page from location.pathname.

export interface Route {
  pattern: RegExp;
  name: string;
}

export interface Match {
  name: string;
  params: string[];
}

/** The first route whose pattern matches `path`; captured groups are percent-decoded. */
export function matchRoute(routes: Route[], path: string): Match | null {
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: string[] = [];
    for (let i = 1; i < m.length; i++) {
      try {
        params.push(decodeURIComponent(m[i] ?? ''));
      } catch {
        return null;
      }
    }
    return { name: r.name, params };
  }
  return null;
}

export const ROUTES: Route[] = [
  { pattern: /^\/$/, name: 'home' },
  { pattern: /^\/services\/([^/]+)\/?$/, name: 'service' },
  { pattern: /^\/map\/?$/, name: 'map' },
  { pattern: /^\/incidents\/([^/]+)\/?$/, name: 'incident' },
];

/**
 * Whether a click on `a` should be handled by the router: same origin, left button, no
 * modifier, no target or download, and a path the app routes.
 */
export function shouldIntercept(
  a: { href: string; target: string; hasAttribute(n: string): boolean },
  e: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; altKey: boolean; defaultPrevented: boolean },
  origin: string,
): URL | null {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return null;
  if (a.target && a.target !== '_self') return null;
  if (a.hasAttribute('download') || a.hasAttribute('data-external')) return null;
  let url: URL;
  try {
    url = new URL(a.href, origin);
  } catch {
    return null;
  }
  if (url.origin !== origin) return null;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/') || url.pathname.startsWith('/badge/')) return null;
  return matchRoute(ROUTES, url.pathname) ? url : null;
}
