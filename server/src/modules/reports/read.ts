import type { DataSource } from 'typeorm';
import { BUCKET_COLUMNS, MEASURES, type Measure, type Selection, type Thresholds } from './measures.js';
import { binRowsSql, bucketRowsSql, withMeasured } from './buckets.js';
import { splitPeriod } from './hours.js';
import type { InteractionGroup, Interval } from './schema.js';

type Column = (typeof BUCKET_COLUMNS)[number];
/** Additive figures of a group: bucket columns, and each measure's histogram (bin → count). */
export interface Totals {
  sums: Record<Column, number>;
  bins: Record<Measure, Map<number, number>>;
}
export type Key = InteractionGroup | Interval;
export interface Filters {
  fromAt: Date;
  toAt: Date;
  queue?: string;
  channel?: string;
  agent?: string;
  website?: string;
}

export const emptyTotals = (): Totals => ({
  sums: Object.fromEntries(BUCKET_COLUMNS.map((c) => [c, 0])) as Record<Column, number>,
  bins: Object.fromEntries(MEASURES.map((m) => [m, new Map<number, number>()])) as Record<Measure, Map<number, number>>,
});

export function addTotals(into: Totals, t: Totals): void {
  for (const c of BUCKET_COLUMNS) into.sums[c] += t.sums[c];
  for (const m of MEASURES) for (const [bin, n] of t.bins[m]) into.bins[m].set(bin, (into.bins[m].get(bin) ?? 0) + n);
}

const TABLE_KEYS: Record<Key, string> = {
  queue: 'queueId',
  channel: 'channel',
  agent: 'agentId',
  website: 'websiteId',
  hour: "DATE_FORMAT(hour, '%Y-%m-%dT%H:00:00.000Z')",
  day: "DATE_FORMAT(hour, '%Y-%m-%dT00:00:00.000Z')",
};
type Row = Record<string, unknown>;
const hourIso = (v: unknown) => (v instanceof Date ? v.toISOString() : `${String(v).replace(' ', 'T')}.000Z`);
const ROW_KEYS: Record<Key, (r: Row) => string> = {
  queue: (r) => String(r.queueId),
  channel: (r) => String(r.channel),
  agent: (r) => String(r.agentId),
  website: (r) => String(r.websiteId),
  hour: (r) => hourIso(r.hour),
  day: (r) => `${hourIso(r.hour).slice(0, 10)}T00:00:00.000Z`,
};

/**
 * The report's additive figures per group of each key asked for: whole clean hours from the
 * buckets, the rest (ragged edges, the current hour, hours changed since they were built) from the
 * recorded rows through the same measures.
 */
export async function totalsByKey(db: DataSource, f: Filters, keys: Key[], t: Thresholds): Promise<Map<Key, Map<string, Totals>>> {
  const out = new Map(keys.map((k) => [k, new Map<string, Totals>()]));
  const group = (key: Key, k: string) => {
    const groups = out.get(key)!;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = emptyTotals()));
    return g;
  };
  const { buckets, raw } = await splitPeriod(db, f.fromAt, f.toAt);
  // Whole days from the daily sums when nothing asks for agents or websites, the rest by the hour.
  const daily = f.agent === undefined && f.website === undefined && keys.every((k) => k === 'queue' || k === 'channel' || k === 'day');
  const { days, hours } = daily ? wholeDays(buckets) : { days: [], hours: buckets };
  // The statements are independent: they run at once on the pool's connections.
  const reads: Promise<void>[] = [];
  for (const [table, times, column, ranges] of [['report_buckets', 'report_bucket_times', 'hour', hours], ['report_days', 'report_day_times', 'day', days]] as const) {
    if (!ranges.length) continue;
    const where = [`(${ranges.map(() => `(${column} >= ? AND ${column} < ?)`).join(' OR ')})`];
    const params: unknown[] = ranges.flat();
    for (const [field, name] of [['queue', 'queueId'], ['channel', 'channel'], ['agent', 'agentId'], ['website', 'websiteId']] as const) {
      if (f[field] === undefined) continue;
      where.push(`${name} = ?`);
      params.push(f[field]);
    }
    for (const key of keys) {
      const k = TABLE_KEYS[key].replace('(hour,', `(${column},`);
      const sums = `SELECT ${k} AS k, ${BUCKET_COLUMNS.map((c) => `SUM(${c}) AS ${c}`).join(', ')} FROM ${table} WHERE ${where.join(' AND ')} GROUP BY k`;
      reads.push(db.query(sums, params).then((rows: Row[]) => {
        for (const r of rows) for (const c of BUCKET_COLUMNS) group(key, String(r.k)).sums[c] += Number(r[c]);
      }));
      const bins = `SELECT ${k} AS k, measure, bin, SUM(n) AS n FROM ${times} WHERE ${where.join(' AND ')} GROUP BY k, measure, bin`;
      reads.push(db.query(bins, params).then((rows: Row[]) => {
        for (const r of rows) addBin(group(key, String(r.k)), r);
      }));
    }
  }
  if (raw.length) {
    const s: Selection = { ranges: raw, queue: f.queue, channel: f.channel, agent: f.agent, website: f.website };
    reads.push(withMeasured(db, s, t, async (qr) => {
      for (const r of (await qr.query(bucketRowsSql)) as Row[]) {
        for (const key of keys) for (const c of BUCKET_COLUMNS) group(key, ROW_KEYS[key](r)).sums[c] += Number(r[c]);
      }
      for (const r of (await qr.query(binRowsSql)) as Row[]) for (const key of keys) addBin(group(key, ROW_KEYS[key](r)), r);
    }));
  }
  await Promise.all(reads);
  return out;
}

const DAY_MS = 86_400_000;

/** Runs of clean hours split into the whole UTC days within them and the hours around. */
function wholeDays(ranges: [Date, Date][]): { days: [Date, Date][]; hours: [Date, Date][] } {
  const days: [Date, Date][] = [];
  const hours: [Date, Date][] = [];
  for (const [a, b] of ranges) {
    const d1 = Math.ceil(a.getTime() / DAY_MS) * DAY_MS;
    const d2 = Math.floor(b.getTime() / DAY_MS) * DAY_MS;
    if (d1 >= d2) {
      hours.push([a, b]);
      continue;
    }
    days.push([new Date(d1), new Date(d2)]);
    if (a.getTime() < d1) hours.push([a, new Date(d1)]);
    if (d2 < b.getTime()) hours.push([new Date(d2), b]);
  }
  return { days, hours };
}

function addBin(g: Totals, r: Row): void {
  const bins = g.bins[r.measure as Measure];
  if (!bins) return;
  const bin = Number(r.bin);
  bins.set(bin, (bins.get(bin) ?? 0) + Number(r.n));
}

/** Nearest-rank percentile from a histogram: the upper bound of the bin holding that rank. */
export function percentileOf(bins: Map<number, number>, pct: number): number | null {
  let count = 0;
  for (const n of bins.values()) count += n;
  if (!count) return null;
  const rank = Math.ceil((pct * count) / 100);
  let seen = 0;
  for (const bin of [...bins.keys()].sort((x, y) => x - y)) {
    seen += bins.get(bin)!;
    if (seen >= rank) return bin;
  }
  return null;
}
