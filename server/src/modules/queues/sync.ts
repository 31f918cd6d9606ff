import type { DataSource } from 'typeorm';
import { textIn, type Config } from '../../kernel/config/schema.js';
import { QueueRecord, ReasonRecord, SkillRecord, TrunkRecord } from './queue.entity.js';
import { WebsiteRecord } from '../websites/index.js';

/**
 * Mirrors what the administrator owns in config/ into MySQL so records can refer to it.
 * Entries removed from the files are marked inactive, never deleted: past interactions keep
 * pointing at them. Runs in one transaction, so a reload is all-or-nothing.
 */
export async function syncConfig(db: DataSource, c: Config): Promise<void> {
  const now = new Date();
  await db.transaction(async (m) => {
    const upsert = async <T extends { id: string }>(target: new () => T, rows: Partial<T>[], extra: Record<string, unknown> = {}) => {
      const repo = m.getRepository(target);
      await repo.createQueryBuilder().update().set({ active: false } as never).where(Object.keys(extra).length ? extra : '1 = 1').execute();
      if (rows.length) await repo.upsert(rows.map((r) => ({ ...r, ...extra, active: true })) as never, ['id', ...Object.keys(extra)] as never);
    };
    await upsert(SkillRecord, c.skills.map((s) => ({ id: s.id, name: s.name })));
    await upsert(TrunkRecord, c.trunks.map((t) => ({ id: t.id, name: t.name, host: t.host, port: t.port, transport: t.transport, syncedAt: now })));
    await upsert(QueueRecord, c.queues.map((q) => ({ id: q.id, name: textIn(q.name), channel: q.channel, priority: q.priority, settings: q, syncedAt: now })));
    await upsert(WebsiteRecord, c.websites.map((w) => ({ id: w.id, name: w.name, origins: w.origins, settings: w, syncedAt: now })));
    await upsert(ReasonRecord as never, c.reasons.notReady.map((r) => ({ id: r.id, label: textIn(r.label) })), { kind: 'not-ready' });
    await upsert(ReasonRecord as never, [...c.reasons.dispositions, { id: 'timeout', label: 'Timeout' }].map((r) => ({ id: r.id, label: textIn(r.label) })), { kind: 'disposition' });
  });
}
