// Browser tests of the web UI: Debian's Chromium driven by playwright-core against a running
// outagemap that is replaying the demo scenario (the Microsoft 365 outage) and whose catalog
// has the service `hostile-test` with an HTML/script name.
//
//   OM_BASE_URL=http://127.0.0.1:PORT OM_SCREENSHOT_DIR=DIR node test/browser/run.mjs
//
// One line per check ("ok - …" / "not ok - …: reason"), then "N passed, N failed"; exit code 1
// on any failure. Every wait is bounded (15 s). Optional: OM_CHROMIUM (default /usr/bin/chromium).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.OM_BASE_URL ?? '').replace(/\/$/, '');
const SHOTS = process.env.OM_SCREENSHOT_DIR ?? '';
const EXE = process.env.OM_CHROMIUM ?? '/usr/bin/chromium';
const WAIT = 15_000;
const DESKTOP = { width: 1280, height: 800 };
const MOBILE = { width: 390, height: 844 };
const HOSTILE_NAME = '<img src=x onerror="window.__omXss=1">Hostile <b>Svc</b><script>window.__omXss=1</script>';
const MINNEAPOLIS = { latitude: 44.97997, longitude: -93.26384 };
const WIDGET = new URL('../../node_modules/@statuspage/status-widget/dist/index.js', import.meta.url).pathname;

if (!BASE) {
  console.error('OM_BASE_URL is required, e.g. OM_BASE_URL=http://127.0.0.1:8080');
  process.exit(2);
}

let passed = 0;
let failed = 0;
const problems = []; // page errors and CSP violations, checked at the end

class CheckError extends Error {}
function expect(cond, message) {
  if (!cond) throw new CheckError(message);
}

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    const msg = (e?.message ?? String(e)).split('\n')[0];
    console.log(`not ok - ${name}: ${msg}`);
  }
}

async function api(path) {
  const res = await fetch(BASE + path, { headers: { Accept: 'application/json' } });
  const body = await res.json();
  if (body.status !== 'success') throw new Error(`${path}: ${res.status} ${body.error ?? ''}`);
  return body.data;
}

const browser = await chromium.launch({ executablePath: EXE, headless: true, args: ['--no-sandbox'] });

async function newPage(opts = {}) {
  const context = await browser.newContext({
    viewport: opts.viewport ?? DESKTOP,
    colorScheme: opts.colorScheme ?? 'light',
    deviceScaleFactor: 1,
    isMobile: opts.isMobile ?? false,
    hasTouch: opts.isMobile ?? false,
    locale: 'en-US',
  });
  if (opts.geolocation) {
    await context.grantPermissions(['geolocation'], { origin: BASE });
    await context.setGeolocation(opts.geolocation);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) problems.push(`CSP on ${page.url()}: ${m.text()}`);
  });
  return { context, page };
}

async function open(page, path) {
  await page.goto(BASE + path, { waitUntil: 'domcontentloaded', timeout: WAIT });
  await page.waitForFunction(() => document.body.dataset.ready && document.body.dataset.ready !== '0', null, { timeout: WAIT });
  const ready = await page.evaluate(() => document.body.dataset.ready);
  expect(ready === '1', `${path}: page reported data-ready=${ready}`);
}

async function shot(page, name, fullPage = false) {
  if (!SHOTS) return;
  await page.waitForTimeout(250); // let the last animation frame land
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

if (SHOTS) await mkdir(SHOTS, { recursive: true });

const servicesAnswer = await api('/api/v1/services');
const serviceCount = servicesAnswer.services.length;
const hasHostile = servicesAnswer.services.some((s) => s.id === 'hostile-test');
// A service nobody reported on: one report must move its count from 0 to 1.
const quiet =
  servicesAnswer.services.find((s) => s.reports_last_24h === 0 && s.status === 'normal' && s.id !== 'hostile-test') ??
  servicesAnswer.services.find((s) => s.id === 'outlook');

// ---------------------------------------------------------------- a) home
await check('a) home lists every service of /api/v1/services', async () => {
  const { context, page } = await newPage();
  try {
    await open(page, '/');
    const rows = await page.locator('.service-list .service-row').count();
    expect(rows === serviceCount, `home shows ${rows} rows, the API lists ${serviceCount}`);
    const outages = servicesAnswer.services.filter((s) => s.status === 'outage').length;
    if (outages > 0) {
      const cards = await page.locator('.outage-cards .outage-card').count();
      expect(cards >= outages, `"Outages now" shows ${cards} cards for ${outages} services in outage`);
    }
    await page.fill('#service-search', 'microsoft 365');
    const visible = await page.locator('.service-list .service-row:visible').count();
    expect(visible >= 1 && visible < rows, `search left ${visible} of ${rows} rows`);
    await page.fill('#service-search', '');
    await shot(page, 'home-desktop');
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------- b) + c) service page
await check('b) service page chart has points and a drawn canvas', async () => {
  const { context, page } = await newPage();
  try {
    await open(page, '/services/microsoft-365');
    const info = await page.evaluate(() => {
      const u = window.__om.hooks.chart;
      const c = document.querySelector('.chart-host canvas');
      let ink = 0;
      if (c) {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++;
      }
      return { n: u ? u.data[0].length : 0, sum: u ? u.data[1].reduce((a, b) => a + (b || 0), 0) : 0, series: u ? u.series.length : 0, w: c?.width ?? 0, ink };
    });
    expect(info.n > 0, `uPlot has ${info.n} points`);
    expect(info.sum > 0, 'the reports series is all zero');
    expect(info.w > 0 && info.ink > 1000, `the chart canvas has ${info.ink} painted pixels`);
    await shot(page, 'service-desktop-light', true);
  } finally {
    await context.close();
  }
});

await check('c) the map draws the cities of the places API (service page and /map)', async () => {
  const { context, page } = await newPage();
  try {
    await open(page, '/services/microsoft-365');
    const m = await page.evaluate(() => {
      const canvas = document.querySelector('.map-canvas');
      const answer = window.__om.hooks.places;
      return {
        drawn: Number(canvas?.dataset.drawn ?? -1),
        base: canvas?.dataset.base,
        source: canvas?.dataset.source ?? '',
        pageCount: answer ? answer.places.length : -1,
        to: answer ? answer.to : '',
        rows: Array.from(document.querySelectorAll('#map-table tbody tr')).map((tr) => tr.getAttribute('data-city')),
      };
    });
    expect(m.source.startsWith('/api/v1/services/microsoft-365/places'), `map source ${m.source}`);
    expect(m.base === '1', 'the base map was not drawn');
    expect(m.pageCount > 0, 'the places API returned no city for microsoft-365 (is the outage running?)');
    expect(m.drawn === m.pageCount, `drew ${m.drawn} points for ${m.pageCount} places`);
    expect(m.rows.length === m.pageCount, `the map's table has ${m.rows.length} rows for ${m.pageCount} places`);
    // Ask again for the same window (the page's own `from` and `to`). While the outage runs,
    // reports of that window are still being applied (the demo's clock runs 60 times real time),
    // so the API may list more cities now, never fewer: every city the page drew is still there.
    const fresh = await api(`${m.source}${m.source.includes('?') ? '&' : '?'}to=${encodeURIComponent(m.to)}`);
    const names = fresh.places.map((p) => p.name);
    expect(fresh.places.length < 1000, 'the page asks for up to 1000 places: none may be cut off');
    const lost = m.rows.filter((city) => !names.includes(city));
    expect(lost.length === 0, `drawn on the map but no longer in the API's answer: ${JSON.stringify(lost)}`);
    for (const city of ['Los Angeles', 'New York City']) {
      if (names.includes(city)) expect(m.rows.includes(city), `${city} is missing from the map's table`);
    }
    // hover the biggest city: the tooltip names it
    const box = await page.locator('.map-canvas').boundingBox();
    expect(box && box.width > 0, 'map canvas has no size');

    await open(page, '/map');
    const mp = await page.evaluate(() => ({
      drawn: Number(document.querySelector('.map-canvas')?.dataset.drawn ?? -1),
      rows: document.querySelectorAll('#map-table tbody tr').length,
    }));
    const open_ = await api('/api/v1/incidents?state=open&limit=100');
    if (open_.incidents.length) expect(mp.rows > 0, 'the outage map has open incidents but no place');
    expect(mp.drawn === mp.rows, `/map drew ${mp.drawn} points for ${mp.rows} table rows`);
    await shot(page, 'map-desktop', true);
    await page.selectOption('.map-region', 'united-states');
    await page.waitForFunction(() => document.querySelector('.map-canvas')?.dataset.region === 'united-states' && document.querySelector('.map-canvas')?.dataset.base === '1');
    await shot(page, 'map-united-states');
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------- d) report through the UI
await check(`d) a report through the dialog shows the confirmation and raises the count (${quiet?.id})`, async () => {
  expect(quiet, 'no service to report on');
  const { context, page } = await newPage();
  try {
    await open(page, `/services/${quiet.id}`);
    await page.evaluate(() => (window.__omMarker = 'same-page'));
    const countOf = async () => Number((await page.locator('[data-count="reports_last_15m"]').textContent()).replace(/[^0-9]/g, ''));
    const before = await countOf();
    await page.click('.btn-report-main');
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor({ state: 'visible', timeout: WAIT });
    await dialog.locator('input[type=radio]').first().check();
    await dialog.locator('input[role=combobox]').fill('Minnea');
    const option = dialog.locator('[role=option]', { hasText: 'Minneapolis' }).first();
    await option.waitFor({ state: 'visible', timeout: WAIT });
    await option.click();
    await dialog.locator('.chosen.is-set').waitFor({ timeout: WAIT });
    await shot(page, 'report-dialog');
    await dialog.locator('[data-action=submit-report]').click();
    const conf = dialog.locator('.confirmation-text');
    await conf.waitFor({ timeout: WAIT });
    const text = await conf.textContent();
    expect(/^Thanks — your report for .+ in Minneapolis was counted\.$/.test(text), `confirmation says "${text}"`);
    await shot(page, 'report-confirmation');
    await dialog.locator('button', { hasText: 'Done' }).click();
    await page.waitForFunction((b) => {
      const el = document.querySelector('[data-count="reports_last_15m"]');
      return el && Number(el.textContent.replace(/[^0-9]/g, '')) > b;
    }, before, { timeout: WAIT });
    const after = await countOf();
    expect(await page.evaluate(() => window.__omMarker === 'same-page'), 'the page was reloaded');
    expect(after >= before + 1, `count went from ${before} to ${after}`);
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------- e) SSE
await check('e) server-sent events reach the page after the initial one', async () => {
  const { context, page } = await newPage();
  try {
    await open(page, '/');
    await page.waitForFunction(() => window.__om.sseEvents >= 1, null, { timeout: WAIT });
    const first = await page.evaluate(() => window.__om.sseEvents);
    await page.waitForFunction((n) => window.__om.sseEvents > n, first, { timeout: WAIT });
    const state = await page.locator('#live').getAttribute('data-state');
    expect(state === 'live', `live indicator says ${state}`);
    const events = await page.locator('#live').getAttribute('data-events');
    expect(Number(events) >= 2, `live indicator counted ${events} events`);
    const homeUrl = await page.evaluate(() => window.__om.liveUrl);
    expect(homeUrl.startsWith('/api/v1/events?view=home'), `the home page streams ${homeUrl}`);
    // A click to a service page switches the stream to that service's view, which greets at once.
    const link = page.locator('a[href="/services/microsoft-365"]').first();
    const before = await page.evaluate(() => window.__om.sseEvents);
    await link.click();
    await page.waitForFunction(() => window.__om.liveUrl.includes('view=service&service=microsoft-365'), null, { timeout: WAIT });
    await page.waitForFunction((n) => window.__om.sseEvents > n, before, { timeout: WAIT });
    expect((await page.locator('#live').getAttribute('data-state')) === 'live', 'the service page is live');
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------- f) hostile name
await check('f) the hostile service name renders inert, as text', async () => {
  expect(hasHostile, 'the server has no service "hostile-test" in its catalog');
  const { context, page } = await newPage();
  try {
    const inert = async (where) => {
      const r = await page.evaluate(() => ({
        xss: typeof window.__omXss,
        imgs: Array.from(document.querySelectorAll('img')).filter((i) => i.getAttribute('src') === 'x').length,
        bold: Array.from(document.querySelectorAll('b')).filter((b) => b.textContent === 'Svc').length,
        scripts: Array.from(document.querySelectorAll('script')).filter((s) => s.textContent.includes('__omXss')).length,
        text: document.body.innerText,
      }));
      expect(r.xss === 'undefined', `${where}: window.__omXss is set`);
      expect(r.imgs === 0, `${where}: an <img src=x> element exists`);
      expect(r.bold === 0, `${where}: a <b>Svc</b> element exists`);
      expect(r.scripts === 0, `${where}: a <script> from the name exists`);
      expect(r.text.includes('Hostile <b>Svc</b>'), `${where}: the text "<b>Svc</b>" is not shown literally`);
    };
    await open(page, '/');
    const rowName = await page.locator('[data-service-id="hostile-test"] .row-name').first().textContent();
    expect(rowName === HOSTILE_NAME, `home row shows ${JSON.stringify(rowName)}`);
    await inert('home');
    await open(page, '/services/hostile-test');
    const h1 = await page.locator('h1').first().textContent();
    expect(h1 === HOSTILE_NAME, `service page title shows ${JSON.stringify(h1)}`);
    await inert('service page');
    await page.click('.btn-report-main');
    await page.locator('dialog[open] .dialog-title').waitFor({ timeout: WAIT });
    await page.locator('dialog[open] input[type=radio]').first().waitFor({ timeout: WAIT });
    const title = await page.locator('dialog[open] .dialog-title').textContent();
    expect(title === `I have a problem with ${HOSTILE_NAME}`, `dialog title shows ${JSON.stringify(title)}`);
    await inert('report dialog');
    await page.keyboard.press('Escape');
    const incidents = await api('/api/v1/incidents?service=hostile-test&limit=1');
    if (incidents.incidents.length) {
      await open(page, `/incidents/${incidents.incidents[0].id}`);
      await inert('incident page');
    }
    await page.waitForTimeout(500);
    expect((await page.evaluate(() => typeof window.__omXss)) === 'undefined', 'window.__omXss set later');
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------- g) keyboard + geolocation
await check('g) keyboard only: open the report dialog, use my location, submit', async () => {
  const { context, page } = await newPage({ geolocation: MINNEAPOLIS });
  try {
    await open(page, '/services/microsoft-365');
    let found = false;
    for (let i = 0; i < 40 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement?.classList.contains('btn-report-main') ?? false);
    }
    expect(found, 'Tab never reached the report button');
    const focusRing = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    expect(focusRing !== 'none', 'the focused button shows no focus outline');
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor({ state: 'visible', timeout: WAIT });
    const a11y = await page.evaluate(() => {
      const d = document.querySelector('dialog[open]');
      const id = d.getAttribute('aria-labelledby');
      return { role: d.getAttribute('role'), label: id ? document.getElementById(id)?.textContent : null };
    });
    expect(a11y.role === 'dialog', `role=${a11y.role}`);
    expect(a11y.label && a11y.label.startsWith('I have a problem with'), `aria-labelledby names "${a11y.label}"`);
    await page.waitForFunction(() => document.activeElement?.matches('dialog[open] input[type=radio]'), null, { timeout: WAIT });
    await page.keyboard.press('Space');
    const tabTo = async (selector, what) => {
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
      }
      throw new CheckError(`Tab never reached ${what}`);
    };
    await tabTo('dialog[open] [data-action=geolocate]', '"Use my location"');
    await page.keyboard.press('Enter');
    await dialog.locator('.chosen.is-set').waitFor({ timeout: WAIT });
    const chosen = await dialog.locator('.chosen').textContent();
    expect(chosen.includes('44.98') && chosen.includes('-93.26'), `location shows "${chosen}"`);
    await tabTo('dialog[open] [data-action=submit-report]', 'the submit button');
    await page.keyboard.press('Enter');
    const conf = dialog.locator('.confirmation-text');
    await conf.waitFor({ timeout: WAIT });
    const text = await conf.textContent();
    expect(/^Thanks — your report for Microsoft 365 at your location was counted\.$/.test(text), `confirmation says "${text}"`);
    await page.keyboard.press('Enter'); // "Done" has the focus
    await dialog.waitFor({ state: 'detached', timeout: WAIT });
    const back = await page.evaluate(() => document.activeElement?.classList.contains('btn-report-main'));
    expect(back, 'focus did not return to the report button');
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------- screenshots: incident, mobile, dark
await check('incident page shows the incident with its cities', async () => {
  const list = await api('/api/v1/incidents?service=microsoft-365&limit=1');
  expect(list.incidents.length > 0, 'no incident of microsoft-365');
  const inc = list.incidents[0];
  const { context, page } = await newPage();
  try {
    await open(page, `/incidents/${inc.id}`);
    const h1 = await page.locator('h1').first().textContent();
    expect(h1.includes(inc.id), `title "${h1}"`);
    const rows = await page.locator('#map-table tbody tr').count();
    const drawn = Number(await page.locator('.map-canvas').getAttribute('data-drawn'));
    expect(rows === drawn, `incident map drew ${drawn} points for ${rows} rows`);
    // The timeline of updates: detection's own, and (when the test harness posted one through the
    // operator API) an operator's whose text is HTML, which must show as text.
    const bodies = await page.locator('.update-body').allTextContents();
    expect(bodies.some((b) => b.startsWith('User reports rose above the usual level')), `updates: ${JSON.stringify(bodies)}`);
    const posted = (inc.updates ?? []).find((u) => u.author !== 'outagemap');
    if (process.env.OM_EXPECT_OPERATOR_UPDATE) {
      expect(posted, 'the operator update posted by the harness is missing from the API');
      expect(bodies.includes(posted.body), `operator update not shown as text: ${JSON.stringify(bodies)}`);
      expect((await page.locator('.update-body img').count()) === 0, 'an <img> was created from the update text');
      expect((await page.evaluate(() => window.__omXss)) === undefined, 'script ran from the update text');
    }
    // One outage, one incident: the services that joined it are named, each linking to its page.
    if (process.env.OM_EXPECT_GROUP) {
      const full = await api(`/api/v1/incidents/${inc.id}`);
      const others = (full.services ?? []).filter((s) => s !== inc.service);
      expect(others.includes('outlook'), `the harness saw Outlook join, the API lists ${JSON.stringify(full.services)}`);
      const note = await page.locator('.group-note').first().textContent();
      expect(note.startsWith('Also affected: '), `group note: ${note}`);
      const links = await page.locator('.group-note a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      expect(links.includes('/services/outlook'), `group note links: ${JSON.stringify(links)}`);
      // Where reports rose, from the record's regions (learned each minute from the footprint).
      expect((full.regions ?? []).length > 0, `the incident lists no region: ${JSON.stringify(full)}`.slice(0, 300));
      const facts = await page.locator('.facts').first().textContent();
      expect(facts.includes(`Regions${full.regions[0]}`), `facts: ${facts} (regions ${JSON.stringify(full.regions)})`);
    }
    await shot(page, 'incident-desktop', true);
  } finally {
    await context.close();
  }
});

if (process.env.OM_EXPECT_MAINTENANCE) {
  await check('a maintenance window shows on the service page, its title as text', async () => {
    const { context, page } = await newPage();
    try {
      await open(page, '/services/teams');
      const note = page.locator('.maintenance').first();
      await note.waitFor({ timeout: 15000 });
      const text = await note.textContent();
      expect(text.includes('Maintenance under way: Database failover <img src=x onerror="window.__omXss=1">'), `maintenance note: ${text}`);
      expect((await page.locator('.maintenance img').count()) === 0, 'an <img> was created from the title');
      expect((await page.evaluate(() => window.__omXss)) === undefined, 'script ran from the title');
    } finally {
      await context.close();
    }
  });
}

// An existing Statuspage widget, Atlassian's own web component (npm @statuspage/status-widget),
// pointed at the binary as at any status site: it reads {src}/api/v2/summary.json, which the demo
// serves from its root page (api.statuspage_root = microsoft-365). Its page is ours to build, so it
// is kept out of the page-error check (the widget's bundle throws a harmless parcelRequire error).
await check("Atlassian's Statuspage widget shows the root page's status", async () => {
  const status = await (await fetch(`${BASE}/api/v2/status.json`)).json();
  expect(status.page && status.page.id === 'microsoft-365', `root page: ${JSON.stringify(status.page)}`);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.setContent(
      `<!doctype html><html><body><statuspage-widget src="${BASE}"></statuspage-widget>` +
        `<statuspage-widget src="${BASE}" appearance="badge"></statuspage-widget></body></html>`,
    );
    await page.addScriptTag({ path: WIDGET });
    // Each widget's text (the badge has its title, "system status", too) and the class of its
    // indicator, which the widget names after the page's status.indicator.
    const shown = await page
      .waitForFunction(
        () => {
          const widgets = Array.from(document.querySelectorAll('statuspage-widget'));
          const out = widgets.map((w) => ({
            text: (w.shadowRoot?.querySelector('a')?.textContent ?? '').replace(/\s+/g, ' ').trim(),
            indicator: w.shadowRoot?.querySelector('.status-indicator')?.className ?? '',
          }));
          return out.every((o) => o.text.length > 0) ? out : null;
        },
        null,
        { timeout: WAIT },
      )
      .then((h) => h.jsonValue());
    // The page's own status now too (it may have changed since status.json was read).
    const now = await (await fetch(`${BASE}/api/v2/status.json`)).json();
    const states = [status.status, now.status];
    for (const w of shown) {
      expect(
        states.some((st) => w.text.includes(st.description) && w.indicator.split(' ').includes(st.indicator)),
        `widget shows "${w.text}" (${w.indicator}), the page ${JSON.stringify(states)}`,
      );
    }
    const link = await page.evaluate(() => document.querySelector('statuspage-widget').shadowRoot.querySelector('a')?.href);
    expect(link === `${BASE}/`, `widget links to ${link}`);
  } finally {
    await context.close();
  }
});

await check('mobile (390×844) and dark-theme pages render without horizontal scrolling', async () => {
  for (const [path, name, scheme] of [
    ['/', 'home-mobile', 'light'],
    ['/services/microsoft-365', 'service-mobile', 'light'],
    ['/services/microsoft-365', 'service-mobile-dark', 'dark'],
  ]) {
    const { context, page } = await newPage({ viewport: MOBILE, isMobile: true, colorScheme: scheme });
    try {
      await open(page, path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow <= 1, `${name}: the page is ${overflow}px wider than the screen`);
      await shot(page, name);
    } finally {
      await context.close();
    }
  }
  const { context, page } = await newPage({ colorScheme: 'dark' });
  try {
    await open(page, '/services/microsoft-365');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg !== 'rgb(245, 246, 248)', 'dark scheme kept the light background');
    await shot(page, 'service-desktop-dark', true);
  } finally {
    await context.close();
  }
});

await check('no script error and no Content-Security-Policy violation on any page', async () => {
  expect(problems.length === 0, problems.slice(0, 3).join(' | '));
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
