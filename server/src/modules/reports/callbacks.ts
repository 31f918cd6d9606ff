import type { DataSource, QueryRunner } from 'typeorm';
import type { CallbackFigures } from '@switchboard/protocol';
import type { CallbackReportQuery } from './schema.js';
import { splitPeriod } from './hours.js';

const FIELDS = ['requested', 'reachedFirstAttempt', 'reachedAfterRetries', 'unreached', 'failed', 'cancelled', 'pending'] as const;
export const CALLBACK_FIGURES = FIELDS;

/** Each callback requested in the ranges ([from, to) of createdAt) with its queue, website and outcome. */
function outcomesSql(ranges: number, filters: string[]): string {
  return `SELECT DATE_FORMAT(cb.createdAt, '%Y-%m-%d %H:00:00') AS hour, COALESCE(i.queueId, '') AS queueId, COALESCE(i.websiteId, '') AS websiteId, cb.state,
      (SELECT MIN(a.attempt) FROM callback_attempts a WHERE a.callbackId = cb.id AND a.outcome = 'answered') AS reachedAt
    FROM callbacks cb JOIN interactions i ON i.id = cb.interactionId
    WHERE (${Array.from({ length: ranges }, () => '(cb.createdAt >= ? AND cb.createdAt < ?)').join(' OR ')})${filters.map((f) => ` AND ${f}`).join('')}`;
}
const COUNTS = `COUNT(*) AS requested, COALESCE(SUM(reachedAt = 1), 0) AS reachedFirstAttempt, COALESCE(SUM(reachedAt > 1), 0) AS reachedAfterRetries,
  SUM(state = 'unreached') AS unreached, SUM(state = 'failed') AS failed, SUM(state = 'cancelled') AS cancelled,
  SUM(reachedAt IS NULL AND state IN ('scheduled', 'queued', 'dialling')) AS pending`;

/** Replaces the callbacks' hourly outcome counts of [a, b) (inside the caller's transaction). */
export async function buildCallbackHours(qr: QueryRunner, a: Date, b: Date): Promise<void> {
  await qr.query('DELETE FROM report_callback_hours WHERE hour >= ? AND hour < ?', [a, b]);
  await qr.query(
    `INSERT INTO report_callback_hours (hour, queueId, websiteId, ${FIELDS.join(', ')})
     SELECT hour, queueId, websiteId, ${COUNTS} FROM (${outcomesSql(1, [])}) c GROUP BY hour, queueId, websiteId`,
    [a, b],
  );
}

/**
 * Callbacks requested in the period, per queue, from the callbacks and their recorded attempts:
 * whole clean hours from the hourly buckets, the rest from the rows (all of them with `useBuckets`
 * false: the reference).
 */
export async function callbackReport(db: DataSource, q: CallbackReportQuery, useBuckets = true): Promise<{ groups: (CallbackFigures & { key: string })[]; total: CallbackFigures }> {
  const { buckets, raw } = useBuckets ? await splitPeriod(db, q.fromAt, q.toAt) : { buckets: [], raw: [[q.fromAt, q.toAt]] as [Date, Date][] };
  const rows: Record<string, unknown>[] = [];
  const filter = (queue: string, website: string) => {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [[queue, q.queue], [website, q.website]] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    return { where, params };
  };
  if (buckets.length) {
    const f = filter('queueId', 'websiteId');
    rows.push(...(await db.query(
      `SELECT queueId AS k, ${FIELDS.map((x) => `SUM(${x}) AS ${x}`).join(', ')} FROM report_callback_hours
        WHERE (${buckets.map(() => '(hour >= ? AND hour < ?)').join(' OR ')})${f.where.map((w) => ` AND ${w}`).join('')} GROUP BY k`,
      [...buckets.flat(), ...f.params],
    )));
  }
  if (raw.length) {
    const f = filter('i.queueId', 'i.websiteId');
    rows.push(...(await db.query(`SELECT queueId AS k, ${COUNTS} FROM (${outcomesSql(raw.length, f.where)}) c GROUP BY k`, [...raw.flat(), ...f.params])));
  }
  const byQueue = new Map<string, CallbackFigures & { key: string }>();
  const total = Object.fromEntries(FIELDS.map((x) => [x, 0])) as unknown as CallbackFigures;
  for (const r of rows) {
    const key = String(r.k);
    const g = byQueue.get(key) ?? { key, ...(Object.fromEntries(FIELDS.map((x) => [x, 0])) as unknown as CallbackFigures) };
    byQueue.set(key, g);
    for (const x of FIELDS) {
      g[x] += Number(r[x] ?? 0);
      total[x] += Number(r[x] ?? 0);
    }
  }
  return { groups: [...byQueue.values()].sort((a, b) => a.key.localeCompare(b.key)), total };
}
