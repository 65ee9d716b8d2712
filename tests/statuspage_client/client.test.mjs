// A third-party Statuspage v2 client, the npm package statuspage.io, reads outagemap's Statuspage
// documents. The documents are the golden files the C++ API test pins (tests/api/statuspage/),
// served over HTTP on 127.0.0.1 at the paths outagemap serves them; the client is pointed at a
// page with setApiUrl("http://127.0.0.1:PORT/pages/{page}"), as a user would point it at ours.
//
// Checked: every call the client makes finds its document and returns it unchanged; and every
// field the client's types declare (dist/interfaces/Result.d.ts of statuspage.io 3.3.8) is there
// with its type, with enum values among the client's own IncidentStatus, IncidentImpact and
// MaintenanceStatus.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { IncidentImpact, IncidentStatus, MaintenanceStatus, Statuspage } from 'statuspage.io';

const GOLDEN = new URL('../api/statuspage/', import.meta.url);
// Page id in the URL -> prefix of its golden files.
const PAGES = { outlook: 'outlook', 'category:email': 'category_email', vendors: 'vendors' };

let server;
let base;
const served = [];

before(async () => {
  server = createServer(async (req, res) => {
    const m = /^\/pages\/([^/]+)\/api\/v2\/(.+)$/.exec(decodeURIComponent(req.url));
    const prefix = m && PAGES[m[1]];
    served.push(req.url);
    if (!prefix) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(new URL(`${prefix}_${m[2].replaceAll('/', '_')}`, GOLDEN));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

function client(page) {
  const statuspage = new Statuspage('unused');
  statuspage.setApiUrl(`${base}/pages/${page}`);
  return statuspage.api;
}

async function golden(name) {
  return JSON.parse(await readFile(new URL(name, GOLDEN), 'utf8'));
}

// The client's declared fields: name -> 'string' | 'number' | 'boolean' | 'string?' (or null).
const PAGE = { id: 'string', name: 'string', time_zone: 'string', updated_at: 'string', url: 'string' };
const COMPONENT = {
  created_at: 'string', description: 'string?', group: 'boolean', group_id: 'string?',
  id: 'string', name: 'string', only_show_if_degraded: 'boolean', page_id: 'string',
  position: 'number', showcase: 'boolean', start_date: 'string?', status: 'string',
  updated_at: 'string',
};
const INCIDENT = {
  created_at: 'string', id: 'string', impact: 'string', monitoring_at: 'string?', name: 'string',
  page_id: 'string', resolved_at: 'string?', shortlink: 'string', status: 'string',
  updated_at: 'string',
};
const UPDATE = {
  body: 'string', created_at: 'string', display_at: 'string', id: 'string', incident_id: 'string',
  status: 'string', updated_at: 'string',
};

function hasFields(object, fields, where) {
  for (const [key, type] of Object.entries(fields)) {
    assert.ok(key in object, `${where}: no "${key}"`);
    const value = object[key];
    if (type.endsWith('?')) {
      assert.ok(value === null || typeof value === type.slice(0, -1), `${where}.${key}: ${value}`);
    } else {
      assert.equal(typeof value, type, `${where}.${key}`);
    }
  }
}

function checkIncident(incident, where, maintenance = false) {
  hasFields(incident, INCIDENT, where);
  // Statuspage itself gives scheduled maintenances the impact "maintenance" (seen in public
  // pages' summary.json), which the client's type leaves out.
  const impacts = [...Object.values(IncidentImpact), ...(maintenance ? ['maintenance'] : [])];
  assert.ok(impacts.includes(incident.impact), `${where}.impact ${incident.impact}`);
  const statuses = maintenance ? MaintenanceStatus : IncidentStatus;
  assert.ok(Object.values(statuses).includes(incident.status), `${where}.status ${incident.status}`);
  assert.ok(Array.isArray(incident.incident_updates), `${where}.incident_updates`);
  incident.incident_updates.forEach((u, k) => {
    hasFields(u, UPDATE, `${where}.incident_updates[${k}]`);
    if (!maintenance) assert.ok(Object.values(IncidentStatus).includes(u.status));
  });
  if (maintenance) {
    assert.equal(typeof incident.scheduled_for, 'string');
    assert.equal(typeof incident.scheduled_until, 'string');
  }
}

function checkDocument(doc, where) {
  hasFields(doc.page, PAGE, `${where}.page`);
  (doc.components ?? []).forEach((c, k) => hasFields(c, COMPONENT, `${where}.components[${k}]`));
  (doc.incidents ?? []).forEach((i, k) => checkIncident(i, `${where}.incidents[${k}]`));
  (doc.scheduled_maintenances ?? []).forEach((m, k) =>
    checkIncident(m, `${where}.scheduled_maintenances[${k}]`, true));
  if (doc.status) {
    assert.ok(['none', 'minor', 'major', 'critical', 'maintenance'].includes(doc.status.indicator));
    assert.equal(typeof doc.status.description, 'string');
  }
}

test('a service page reads through every call of the client', async () => {
  const api = client('outlook');
  const calls = [
    ['getSummary', () => api.getSummary(), 'outlook_summary.json'],
    ['getStatus', () => api.getStatus(), 'outlook_status.json'],
    ['getComponents', () => api.getComponents(), 'outlook_components.json'],
    ['incidents.getAll', () => api.incidents.getAll(), 'outlook_incidents.json'],
    ['incidents.getUnresolved', () => api.incidents.getUnresolved(),
      'outlook_incidents_unresolved.json'],
    // statuspage.io 3.3.8 asks upcoming.json for all three of its maintenance calls.
    ['scheduledMaintenances.getUpcoming', () => api.scheduledMaintenances.getUpcoming(),
      'outlook_scheduled-maintenances_upcoming.json'],
  ];
  for (const [name, call, file] of calls) {
    const read = await call();
    assert.deepEqual(read, await golden(file), `${name} differs from ${file}`);
    checkDocument(read, name);
  }
  const summary = await api.getSummary();
  assert.ok(summary.incidents.length > 0, 'the pinned page has an unresolved incident');
  assert.ok(summary.scheduled_maintenances.length > 0, 'and maintenance windows');
});

test('group pages: a category and an operator-chosen set of services', async () => {
  for (const [page, prefix] of [['category:email', 'category_email'], ['vendors', 'vendors']]) {
    const summary = await client(page).getSummary();
    assert.deepEqual(summary, await golden(`${prefix}_summary.json`));
    checkDocument(summary, page);
    assert.ok(summary.components.length > 1, `${page} has one component per service`);
  }
  const unresolved = await client('vendors').incidents.getUnresolved();
  checkDocument(unresolved, 'vendors unresolved');
  // The merged incident names its upstream and covers a member of the page.
  const group = unresolved.incidents.find((i) => i.name.includes('more services'));
  assert.ok(group, 'a grouped incident is listed');
  assert.deepEqual(group.components.map((c) => c.id), ['outlook']);
});

test('an unknown page is an error the client reports', async () => {
  await assert.rejects(client('nope').getSummary(), /404/);
});
