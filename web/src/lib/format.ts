// Pure formatting helpers: numbers, ratios, times and status texts. No DOM access, so they are
// unit-tested in node (test/unit/format.test.mjs).

export type Status = 'normal' | 'possible' | 'outage';

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** 16464 → "16,464"; null → "–". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return intFmt.format(Math.round(n));
}

/** 16464 → "16.5k" for tight places (sparklines, map labels). */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1e6) return oneFmt.format(n / 1e6) + 'M';
  if (a >= 1e4) return intFmt.format(n / 1e3) + 'k';
  if (a >= 1e3) return oneFmt.format(n / 1e3) + 'k';
  return intFmt.format(n);
}

/**
 * How many times the usual count: observed 41 against expected 3.4 → "×12 usual".
 * Returns "" when there is nothing to say (no baseline, or at or below usual).
 */
export function formatRatio(observed: number, expected: number | null | undefined): string {
  if (expected === null || expected === undefined || !(expected > 0) || !(observed > 0)) return '';
  const r = observed / expected;
  if (r < 1.05) return '';
  if (r < 10) return `×${oneFmt.format(r)} usual`;
  return `×${intFmt.format(r)} usual`;
}

/** 0.6998 → "70%"; 0.0004597 → "<1%". */
export function formatShare(share: number): string {
  if (!Number.isFinite(share) || share <= 0) return '0%';
  if (share < 0.005) return '<1%';
  return `${Math.round(share * 100)}%`;
}

/** "server-connection" → "Server connection". */
export function problemLabel(slug: string): string {
  const known: Record<string, string> = {
    login: 'Login',
    email: 'Email',
    'server-connection': 'Server connection',
    app: 'App',
    website: 'Website',
    other: 'Something else',
    dns: 'DNS',
    api: 'API',
    sms: 'SMS',
    tv: 'TV',
  };
  if (known[slug]) return known[slug];
  const words = slug.split('-').filter(Boolean);
  if (words.length === 0) return slug;
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "dns-hosting" → "DNS & hosting". */
export function categoryLabel(slug: string): string {
  const known: Record<string, string> = {
    ai: 'AI',
    'dns-hosting': 'DNS & hosting',
    isp: 'Internet providers',
    mobile: 'Mobile networks',
    'smart-home': 'Smart home',
  };
  return known[slug] ?? problemLabel(slug);
}

export interface StatusInfo {
  label: string;
  short: string;
  rank: number;
}

export function statusInfo(status: string | null | undefined): StatusInfo {
  switch (status) {
    case 'outage':
      return { label: 'Outage', short: 'Outage', rank: 0 };
    case 'possible':
      return { label: 'Possible problems', short: 'Possible', rank: 1 };
    default:
      return { label: 'Normal', short: 'Normal', rank: 2 };
  }
}

/** Options shared by the time formatters: tests pin the zone, the app uses the browser's. */
export interface TimeOpts {
  timeZone?: string;
}

function parts(ms: number, opts: TimeOpts, withDate: boolean): string {
  const o: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  if (opts.timeZone) o.timeZone = opts.timeZone;
  const time = new Intl.DateTimeFormat('en-US', o).format(ms);
  if (!withDate) return time;
  const d: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric' };
  if (opts.timeZone) d.timeZone = opts.timeZone;
  return `${new Intl.DateTimeFormat('en-US', d).format(ms)}, ${time}`;
}

function dayKey(ms: number, opts: TimeOpts): string {
  const d: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit' };
  if (opts.timeZone) d.timeZone = opts.timeZone;
  return new Intl.DateTimeFormat('en-US', d).format(ms);
}

export function toMs(t: string | number | null | undefined): number | null {
  if (t === null || t === undefined) return null;
  if (typeof t === 'number') return Number.isFinite(t) ? t : null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A time of day in the browser's zone ("14:37"), with the date when it is not on the same
 * day as `nowMs` (the server's clock, which may differ from the browser's): "Nov 27, 14:37".
 */
export function formatTime(t: string | number | null | undefined, nowMs: number, opts: TimeOpts = {}): string {
  const ms = toMs(t);
  if (ms === null) return '–';
  return parts(ms, opts, dayKey(ms, opts) !== dayKey(nowMs, opts));
}

/** Full date and time, for tables and tooltips: "Nov 27, 14:37". */
export function formatDateTime(t: string | number | null | undefined, opts: TimeOpts = {}): string {
  const ms = toMs(t);
  if (ms === null) return '–';
  return parts(ms, opts, true);
}

/** 8 040 000 ms → "2 h 14 min"; 30 000 → "less than a minute". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const min = Math.floor(ms / 60000);
  if (min < 1) return 'less than a minute';
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  const rest = min % 60;
  if (hours < 48) return rest ? `${hours} h ${rest} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  const rh = hours % 24;
  return rh ? `${days} d ${rh} h` : `${days} d`;
}

/** "5 min ago" relative to the server clock. */
export function formatAgo(t: string | number | null | undefined, nowMs: number): string {
  const ms = toMs(t);
  if (ms === null) return '–';
  const d = nowMs - ms;
  if (d < 60000) return 'just now';
  return `${formatDuration(d)} ago`;
}

/**
 * The banner of a service page:
 *   outage   → "User reports indicate problems with Microsoft 365 since 14:37"
 *   possible → "User reports indicate possible problems with Microsoft 365 since 14:37"
 *   normal   → "No current problems at Microsoft 365"
 */
export function bannerText(
  name: string,
  status: string | null | undefined,
  since: string | null | undefined,
  nowMs: number,
  opts: TimeOpts = {},
): string {
  const when = since ? ` since ${formatTime(since, nowMs, opts)}` : '';
  if (status === 'outage') return `User reports indicate problems with ${name}${when}`;
  if (status === 'possible') return `User reports indicate possible problems with ${name}${when}`;
  return `No current problems at ${name}`;
}

const CROWD_WORDS: Record<string, string> = { outage: 'outage', possible: 'possible problems', normal: 'no problems' };

/**
 * Crowd and official status side by side: "crowd: outage for 35 min · official: operational".
 * The official part says when the source could not be read, and is left out when there is none.
 */
export function crowdVersusOfficial(
  crowd: string | null | undefined,
  crowdSince: string | null | undefined,
  official: { status: string | null; error: string | null } | null | undefined,
  nowMs: number,
): string {
  const since = crowdSince ? toMs(crowdSince) : null;
  const word = CROWD_WORDS[crowd ?? 'normal'] ?? 'no problems';
  const lasting = crowd && crowd !== 'normal' && since !== null ? ` for ${formatDuration(nowMs - since)}` : '';
  let text = `crowd: ${word}${lasting}`;
  if (official) {
    text += official.status ? ` · official: ${official.status}` : ' · official: unknown';
    if (official.error) text += ' (the status page could not be read just now)';
  }
  return text;
}

/** "Minneapolis, US — 41 reports, ×12 usual". */
export function cityLine(name: string, country: string, reports: number, expected?: number | null): string {
  const ratio = formatRatio(reports, expected);
  const n = `${formatCount(reports)} ${reports === 1 ? 'report' : 'reports'}`;
  return `${name}, ${country} — ${n}${ratio ? `, ${ratio}` : ''}`;
}

export function scopeLabel(scope: string | null | undefined): string {
  switch (scope) {
    case 'local':
      return 'Local';
    case 'regional':
      return 'Regional';
    case 'national':
      return 'Nationwide';
    case 'multinational':
      return 'Several countries';
    default:
      return 'Not localised';
  }
}

/**
 * Labels for time-axis ticks (epoch seconds): "14:30", with the date on a second line at the
 * first tick and where the day changes ("00:00\nNov 27").
 */
export function axisTimeLabels(splits: number[], opts: TimeOpts = {}): string[] {
  let prevDay = '';
  return splits.map((sec) => {
    const ms = sec * 1000;
    const day = dayKey(ms, opts);
    const time = parts(ms, opts, false);
    const label = day !== prevDay ? `${time}\n${parts(ms, opts, true).split(',')[0]}` : time;
    prevDay = day;
    return label;
  });
}
