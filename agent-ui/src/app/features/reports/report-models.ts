export const GROUPS = ['queue', 'channel', 'agent', 'website'] as const;
export type GroupBy = (typeof GROUPS)[number];
export const INTERVALS = ['hour', 'day'] as const;
export type Interval = (typeof INTERVALS)[number];
export const PRESETS = ['today', 'yesterday', 'week', 'month'] as const;
export type Preset = (typeof PRESETS)[number];

export const CHANNELS = ['phone', 'video', 'chat', 'callback', 'mail'] as const;
/** What a report is narrowed to; absent is everything. */
export const FILTERS = ['queue', 'channel', 'agent', 'website'] as const;
export type FilterField = (typeof FILTERS)[number];

export interface ReportFilter extends Partial<Record<FilterField, string>> {
  from: string;
  to: string;
  groupBy: GroupBy;
  interval: Interval;
}

/** The outcomes a stacked bar is made of: together they are what was offered. */
export const OUTCOMES = ['answered', 'abandoned', 'unmanaged'] as const;
/** The times shown as average and p90 per group. */
export const TIMES = ['timeToAnswer', 'handleTime', 'wrapUp', 'abandonedAfter', 'firstResponse', 'resolution'] as const;
/** A callback's end, in the order its stacked bar shows them: together they are what was requested. */
export const CALLBACK_OUTCOMES = ['reachedFirstAttempt', 'reachedAfterRetries', 'unreached', 'failed', 'cancelled', 'pending'] as const;
export const AGENT_STATES = ['available', 'busy', 'wrapUp', 'rona', 'notReady'] as const;

const day = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const daysBefore = (d: Date, n: number) => new Date(d.getFullYear(), d.getMonth(), d.getDate() - n);

/** A preset as dates (the server takes `to` as the whole day): "7 days" ends today, "month" is the month so far. */
export function presetPeriod(preset: Preset, now: Date): { from: string; to: string } {
  switch (preset) {
    case 'today':
      return { from: day(now), to: day(now) };
    case 'yesterday':
      return { from: day(daysBefore(now, 1)), to: day(daysBefore(now, 1)) };
    case 'week':
      return { from: day(daysBefore(now, 6)), to: day(now) };
    case 'month':
      return { from: day(new Date(now.getFullYear(), now.getMonth(), 1)), to: day(now) };
  }
}

/**
 * The query of a report route: the period and the filters that route takes (the agents report is
 * narrowed by agent only, callbacks by queue and website). CSV links and JSON calls share it.
 */
export function filterQuery(f: ReportFilter, fields: readonly FilterField[] = FILTERS): string {
  const p = new URLSearchParams({ from: f.from, to: f.to });
  for (const k of fields) if (f[k]) p.set(k, f[k]);
  return p.toString();
}

export function reportQuery(f: ReportFilter, withSeries: boolean): string {
  const p = new URLSearchParams(filterQuery(f));
  p.set('groupBy', f.groupBy);
  if (withSeries) p.set('interval', f.interval);
  return p.toString();
}

export function periodQuery(f: Pick<ReportFilter, 'from' | 'to'>): string {
  return new URLSearchParams({ from: f.from, to: f.to }).toString();
}

/** A time-to-answer bin's label, short enough for an axis: "≤ 30 s", "≤ 1.5 min", "> 10 min" for the last. */
export function binLabel(upTo: number | null, previous: number | null): string {
  const short = (s: number) => (s < 60 ? `${s} s` : `${Math.round((s / 60) * 10) / 10} min`);
  return upTo === null ? `> ${short(previous ?? 0)}` : `≤ ${short(upTo)}`;
}

/** A series point's label: the hour in the browser's time zone, or the (UTC) day. */
export function bucketLabel(at: string, interval: Interval, locale: string): string {
  const d = new Date(at);
  return interval === 'hour'
    ? d.toLocaleString(locale, { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(locale, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' });
}

/** Seconds as "1 h 02 min", "3 min 05 s", "12 s"; a dash when nothing was measured. */
export function seconds(v: number | null): string {
  if (v === null) return '—';
  const s = Math.round(v);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m) return `${m} min ${String(r).padStart(2, '0')} s`;
  return `${r} s`;
}

export function percent(v: number | null): string {
  return v === null ? '—' : `${Math.round(v * 1000) / 10} %`;
}

/** An average rating (1–5) to one decimal; a dash when nobody rated. */
export function rating(v: number | null): string {
  return v === null ? '—' : (Math.round(v * 10) / 10).toFixed(1);
}
