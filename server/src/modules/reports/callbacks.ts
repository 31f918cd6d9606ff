import type { DataSource } from 'typeorm';
import type { CallbackFigures } from '@switchboard/protocol';
import type { CallbackReportQuery } from './schema.js';

const FIELDS = ['requested', 'reachedFirstAttempt', 'reachedAfterRetries', 'unreached', 'failed', 'cancelled', 'pending'] as const;
export const CALLBACK_FIGURES = FIELDS;

/** Callbacks requested in the period, per queue, from the callbacks and their recorded attempts. */
export async function callbackReport(db: DataSource, q: CallbackReportQuery): Promise<{ groups: (CallbackFigures & { key: string })[]; total: CallbackFigures }> {
  const where = ['cb.createdAt >= ?', 'cb.createdAt < ?'];
  const params: unknown[] = [q.fromAt, q.toAt];
  if (q.queue) {
    where.push('i.queueId = ?');
    params.push(q.queue);
  }
  if (q.website) {
    where.push('i.websiteId = ?');
    params.push(q.website);
  }
  const rows: Record<string, unknown>[] = await db.query(
    `SELECT k, COUNT(*) AS requested, SUM(reachedAt = 1) AS reachedFirstAttempt, SUM(reachedAt > 1) AS reachedAfterRetries,
            SUM(state = 'unreached') AS unreached, SUM(state = 'failed') AS failed, SUM(state = 'cancelled') AS cancelled,
            SUM(reachedAt IS NULL AND state IN ('scheduled', 'queued', 'dialling')) AS pending
       FROM (SELECT COALESCE(i.queueId, '') AS k, cb.state,
                    (SELECT MIN(a.attempt) FROM callback_attempts a WHERE a.callbackId = cb.id AND a.outcome = 'answered') AS reachedAt
               FROM callbacks cb JOIN interactions i ON i.id = cb.interactionId
              WHERE ${where.join(' AND ')}) c
      GROUP BY k WITH ROLLUP`,
    params,
  );
  const figures = (r: Record<string, unknown> | undefined) => Object.fromEntries(FIELDS.map((f) => [f, Number(r?.[f] ?? 0)])) as unknown as CallbackFigures;
  return {
    groups: rows.filter((r) => r.k !== null).map((r) => ({ key: r.k as string, ...figures(r) })).sort((a, b) => a.key.localeCompare(b.key)),
    total: figures(rows.find((r) => r.k === null)),
  };
}
