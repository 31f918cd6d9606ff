import type { HoursStatus } from '@switchboard/protocol';
import type { WEEKDAYS} from '../../kernel/config/schema.js';
import { type Calendar } from '../../kernel/config/schema.js';

interface LocalParts {
  date: string; // YYYY-MM-DD
  weekday: (typeof WEEKDAYS)[number];
  minutes: number; // since local midnight
}

// A table of constants filled on first use, not state: each zone's formatter is a pure function of
// the zone, made once and never replaced, so no server and no request can see another's effect.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' });
    formatters.set(tz, f);
  }
  return f;
}

function parts(instant: Date, tz: string): LocalParts & { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const p = Object.fromEntries(formatter(tz).formatToParts(instant).map((x) => [x.type, x.value]));
  const y = Number(p.year), mo = Number(p.month), d = Number(p.day), h = Number(p.hour), mi = Number(p.minute), s = Number(p.second);
  return { y, mo, d, h, mi, s, date: `${p.year}-${p.month}-${p.day}`, weekday: p.weekday!.toLowerCase().slice(0, 3) as LocalParts['weekday'], minutes: h * 60 + mi };
}

/** The UTC instant of a wall-clock time in a zone (DST-aware: re-checks the offset once). */
function instantOf(date: string, minutes: number, tz: string): Date {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, mo - 1, d, Math.floor(minutes / 60), minutes % 60);
  const offset = (t: number) => {
    const p = parts(new Date(t), tz);
    return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - t;
  };
  let t = guess - offset(guess);
  t = guess - offset(t);
  return new Date(t);
}

const toMinutes = (hhmm: string) => (hhmm === '24:00' ? 1440 : Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)));

function rangesFor(cal: Calendar, date: string, weekday: LocalParts['weekday']): [number, number][] {
  const holiday = cal.holidays.find((h) => h.date === date);
  const list = holiday ? (holiday.open ?? []) : cal.weekly[weekday];
  return list.map((r) => [toMinutes(r.slice(0, 5)), toMinutes(r.slice(6))] as [number, number]).sort((a, b) => a[0] - b[0]);
}

export type { HoursStatus } from '@switchboard/protocol';

export function hoursStatus(cal: Calendar | undefined, now: Date = new Date()): HoursStatus {
  if (!cal) return { open: true, closesAt: null, nextOpening: null };
  const here = parts(now, cal.timezone);
  const today = rangesFor(cal, here.date, here.weekday);
  const current = today.find(([a, b]) => here.minutes >= a && here.minutes < b);
  if (current) return { open: true, closesAt: instantOf(here.date, current[1], cal.timezone).toISOString(), nextOpening: null };
  for (let i = 0; i <= 31; i++) {
    // Noon avoids DST edges when stepping days.
    const day = parts(new Date(instantOf(here.date, 12 * 60, cal.timezone).getTime() + i * 86400000), cal.timezone);
    for (const [a] of rangesFor(cal, day.date, day.weekday)) {
      if (i === 0 && a <= here.minutes) continue;
      return { open: false, closesAt: null, nextOpening: instantOf(day.date, a, cal.timezone).toISOString() };
    }
  }
  return { open: false, closesAt: null, nextOpening: null };
}
