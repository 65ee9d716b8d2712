// Typed access to the public JSON API (docs/api/README.md). The UI uses nothing else.

export interface Sparkline {
  from: string;
  step_seconds: number;
  reports: number[];
  expected: number[];
}

export interface ServiceSummary {
  id: string;
  name: string;
  category: string;
  status: 'normal' | 'possible' | 'outage';
  status_since: string | null;
  reports_last_minute: number;
  reports_last_15m: number;
  reports_last_60m: number;
  reports_last_24h: number;
  expected_per_minute: number | null;
  observed_per_minute?: number | null;
  ratio?: number | null;
  score?: number | null;
  sparkline?: Sparkline;
}

export interface ServicesAnswer {
  evaluated_at: string | null;
  services: ServiceSummary[];
}

export interface ProblemCount {
  problem: string;
  count: number;
  share: number;
}

export interface ServiceDetail extends ServiceSummary {
  aliases: string[];
  problems: string[];
  components: string[];
  depends_on: string[];
  status_url: string | null;
  auto_registered: boolean;
  problems_last_60m: ProblemCount[];
  /** What the provider's own status page says; null when it is not polled. */
  official?: OfficialStatus | null;
  /** The service's open incident, if any (older servers leave it out). */
  open_incident?: { id: string; started_at: string } | null;
}

export interface OfficialStatus {
  status: 'operational' | 'degraded' | 'partial' | 'major' | 'maintenance' | null;
  description: string;
  since: string | null;
  checked_at: string | null;
  source: string;
  error: string | null;
}

export interface Series {
  service: string;
  from: string;
  step_seconds: number;
  points: [number, number][];
  expected?: number[];
  upper?: number[];
}

/** A gazetteer city as the API names it. */
export interface City {
  geonameid: number;
  name: string;
  country: string;
  region?: string;
  lat: number;
  lon: number;
  population?: number;
}

export interface Place extends Omit<City, 'population'> {
  reports: number;
  expected?: number;
  ratio?: number;
  score?: number;
  significant?: boolean;
  in_footprint?: boolean;
}

export interface PlacesAnswer {
  service: string;
  level: string;
  rank?: string;
  from: string;
  to: string;
  expected_total?: number;
  footprint_excess_share?: number;
  places: Place[];
  scope?: string | null;
}

export interface IncidentCity {
  geonameid: number;
  name: string;
  country: string;
  lat: number;
  lon: number;
  observed: number;
  expected: number;
  score: number;
}

export interface IncidentError {
  text: string;
  code: string | null;
  count: number;
  share: number;
}

export interface Incident {
  id: string;
  service: string;
  state: 'open' | 'resolved';
  started_at: string;
  detected_at: string;
  resolved_at: string | null;
  peak_at: string | null;
  peak_reports_per_min: number | null;
  expected_per_min_at_peak: number | null;
  reports: number;
  origin?: 'internal' | 'external';
  upstream?: { service: string; incident: string } | null;
  related?: string[];
  problems: { problem: string; share: number }[];
  errors?: IncidentError[];
  cities: IncidentCity[];
  scope: string | null;
  /** The followed incident: Statuspage's status and impact, and its updates (oldest first). */
  status?: 'investigating' | 'identified' | 'monitoring' | 'resolved' | 'postmortem';
  impact?: 'none' | 'minor' | 'major' | 'critical' | null;
  updates?: IncidentUpdate[];
  /** Every service it covers (its own first, then those merged in: dependents, or an operator's merge). */
  services?: string[];
  /** Statuspage component ids an operator named; empty: every component. */
  components?: string[];
  /** ISO 3166-2 regions of its footprint. */
  regions?: string[];
  /** The incident this one is part of, where its updates continue. */
  merged_into?: string | null;
  /** The incidents merged into this one. */
  members?: string[];
}

/** A scheduled maintenance window (GET /api/v1/maintenances). */
export interface Maintenance {
  id: string;
  service: string;
  title: string;
  body: string;
  starts_at: string;
  ends_at: string;
  status: 'scheduled' | 'in_progress' | 'completed';
}

export interface IncidentUpdate {
  at: string;
  status: string;
  body: string;
  /** "outagemap" for detection's own updates, else the operator key's name. */
  author: string;
}

export interface ReportAnswer {
  status: 'success' | 'error';
  accepted?: number;
  duplicates?: number;
  rejected?: { line: number; error: string }[];
  errorType?: string;
  error?: string;
}

/** A failed API call: HTTP status, the server's errorType and its message. */
export class ApiError extends Error {
  readonly status: number;
  readonly errorType: string;
  readonly retryAfter: number | null;
  constructor(status: number, errorType: string, message: string, retryAfter: number | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.errorType = errorType;
    this.retryAfter = retryAfter;
  }
}

function retryAfterOf(res: Response): number | null {
  const v = res.headers.get('Retry-After');
  if (!v) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** GET a JSON API path and unwrap the {"status":"success","data":…} envelope. */
export async function getJSON<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal, headers: { Accept: 'application/json' } });
  let body: any = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok || !body || body.status !== 'success') {
    const message = body && typeof body.error === 'string' ? body.error : `HTTP ${res.status} for ${path}`;
    throw new ApiError(res.status, body?.errorType ?? 'http', message, retryAfterOf(res));
  }
  return body.data as T;
}

/** Like getJSON, but null for a 404 (an optional endpoint the server does not have yet). */
export async function getOptional<T>(path: string, signal?: AbortSignal): Promise<T | null> {
  try {
    return await getJSON<T>(path, signal);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === false) continue;
    u.set(k, v === true ? '1' : String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

/** Reads a cookie by name (the server's CSRF cookie `om_csrf`). */
export function readCookie(name: string, cookieString: string): string | null {
  for (const part of cookieString.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return part.slice(eq + 1).trim();
      }
    }
  }
  return null;
}

export interface ReportBody {
  service: string;
  problem: string;
  reporter: string;
  lat?: number;
  lon?: number;
  city?: string;
  country?: string;
  text?: string;
}

/** POST /api/v1/web/reports with the CSRF header. Resolves with the answer; throws ApiError. */
export async function postReport(body: ReportBody): Promise<ReportAnswer> {
  const token = readCookie('om_csrf', document.cookie) ?? '';
  const res = await fetch('/api/v1/web/reports', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token, Accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  let answer: ReportAnswer | null = null;
  try {
    answer = (await res.json()) as ReportAnswer;
  } catch {
    answer = null;
  }
  if (!res.ok || !answer || answer.status !== 'success') {
    const message = answer?.error ?? `HTTP ${res.status}`;
    throw new ApiError(res.status, answer?.errorType ?? 'http', message, retryAfterOf(res));
  }
  return answer;
}
