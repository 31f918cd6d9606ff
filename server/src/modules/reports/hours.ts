import type { DataSource } from 'typeorm';

export const HOUR_MS = 3_600_000;
export const floorHour = (d: Date) => new Date(Math.floor(d.getTime() / HOUR_MS) * HOUR_MS);
export const ceilHour = (d: Date) => new Date(Math.ceil(d.getTime() / HOUR_MS) * HOUR_MS);

/** [from, to) split into the runs of whole hours the buckets hold clean, and the rest. */
export async function splitPeriod(db: DataSource, from: Date, to: Date): Promise<{ buckets: [Date, Date][]; raw: [Date, Date][] }> {
  const a = ceilHour(from);
  const b = floorHour(to);
  const clean: { hour: Date }[] = a < b
    ? await db.query('SELECT hour FROM report_hours WHERE hour >= ? AND hour < ? AND dirty = 0 AND builtAt IS NOT NULL ORDER BY hour', [a, b])
    : [];
  const buckets: [Date, Date][] = [];
  for (const { hour } of clean) {
    const last = buckets[buckets.length - 1];
    if (last && last[1].getTime() === hour.getTime()) last[1] = new Date(hour.getTime() + HOUR_MS);
    else buckets.push([hour, new Date(hour.getTime() + HOUR_MS)]);
  }
  const raw: [Date, Date][] = [];
  let at = from;
  for (const [s, e] of buckets) {
    if (s > at) raw.push([at, s]);
    at = e;
  }
  if (at < to) raw.push([at, to]);
  return { buckets, raw };
}

