import type { CallbacksKit } from './types.js';

export interface CallbackSummary {
  queueId: string;
  /** Scheduled, by the hour they fall due (ISO hour start → count), for the next 24 hours. */
  scheduledByHour: Record<string, number>;
  /** Routed and waiting for an agent, or being dialled. */
  dueNow: number;
  /** Scheduled with a due time more than a minute ago: their job should have run. */
  overdue: number;
  /** Today's (UTC) ends: completed, unreached, cancelled, failed, closed. */
  today: Record<string, number>;
}

/** What a supervisor sees of callbacks, per callback queue; read from MySQL, the record. */
export async function callbackSummary(s: CallbacksKit, now = new Date()): Promise<CallbackSummary[]> {
  const queues = s.config().queues.filter((q) => q.channel === 'callback').map((q) => q.id);
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const rows: { queueId: string; state: string; dueAt: Date; updatedAt: Date }[] = await s.db.query(
    `SELECT i.queueId, c.state, c.dueAt, c.updatedAt FROM callbacks c JOIN interactions i ON i.id = c.interactionId
      WHERE c.state IN ('scheduled', 'queued', 'dialling') OR c.updatedAt >= ?`,
    [day],
  );
  return queues.map((queueId) => {
    const mine = rows.filter((r) => r.queueId === queueId);
    const scheduledByHour: Record<string, number> = {};
    for (const r of mine.filter((x) => x.state === 'scheduled' && new Date(x.dueAt).getTime() < now.getTime() + 86_400_000)) {
      const h = new Date(r.dueAt);
      h.setUTCMinutes(0, 0, 0);
      scheduledByHour[h.toISOString()] = (scheduledByHour[h.toISOString()] ?? 0) + 1;
    }
    const today: Record<string, number> = {};
    for (const r of mine.filter((x) => ['completed', 'unreached', 'cancelled', 'failed', 'closed'].includes(x.state))) today[r.state] = (today[r.state] ?? 0) + 1;
    return {
      queueId,
      scheduledByHour,
      dueNow: mine.filter((r) => r.state === 'queued' || r.state === 'dialling').length,
      overdue: mine.filter((r) => r.state === 'scheduled' && new Date(r.dueAt).getTime() < now.getTime() - 60_000).length,
      today,
    };
  });
}
