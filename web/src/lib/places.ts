// Folding incidents into map places (pure; unit-tested).

import type { Incident } from './api';

export interface AggregatedCity {
  geonameid: number;
  name: string;
  country: string;
  lat: number;
  lon: number;
  reports: number;
  expected: number;
  /** service ids with an incident touching this city, most reports first */
  services: string[];
  incidents: string[];
}

/**
 * One row per city over all `incidents`: reports and expected are summed; the city's services
 * are ordered by their reports there. Rows are ordered by excess (reports − expected), largest first.
 */
export function aggregateIncidentCities(incidents: Incident[]): AggregatedCity[] {
  const byCity = new Map<number, AggregatedCity & { perService: Map<string, number> }>();
  for (const inc of incidents) {
    for (const c of inc.cities ?? []) {
      let row = byCity.get(c.geonameid);
      if (!row) {
        row = { geonameid: c.geonameid, name: c.name, country: c.country, lat: c.lat, lon: c.lon, reports: 0, expected: 0, services: [], incidents: [], perService: new Map() };
        byCity.set(c.geonameid, row);
      }
      row.reports += c.observed;
      row.expected += c.expected;
      row.perService.set(inc.service, (row.perService.get(inc.service) ?? 0) + c.observed);
      if (!row.incidents.includes(inc.id)) row.incidents.push(inc.id);
    }
  }
  const out: AggregatedCity[] = [];
  for (const row of byCity.values()) {
    const { perService, ...rest } = row;
    rest.services = Array.from(perService.entries())
      .sort((a, b) => b[1] - a[1])
      .map(([s]) => s);
    out.push(rest);
  }
  out.sort((a, b) => b.reports - b.expected - (a.reports - a.expected) || a.name.localeCompare(b.name));
  return out;
}
