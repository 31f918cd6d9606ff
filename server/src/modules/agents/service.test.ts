import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { migratedDatabase } from '../../test/database.js';
import { newId } from '../../kernel/db/ids.js';
import type { Config } from '../../kernel/config/schema.js';
import type { EventBus } from '../../kernel/bus.js';
import { Agent } from './agent.entity.js';
import { AgentService } from './service.js';
import type { SessionStore } from './sessions.js';

describe('agent accounts: an agent read by id', () => {
  let drop: (() => Promise<void>) | undefined;
  let db: DataSource;
  let agents: AgentService;

  before(async () => {
    ({ db, drop } = await migratedDatabase('agentget'));
    agents = new AgentService(db, {} as SessionStore, {} as EventBus, () => ({}) as Config);
  });
  after(async () => {
    await drop?.();
  });

  it('reads an agent as the ORM does: every column and its type', async () => {
    const sets: Partial<Agent>[] = [
      { email: null, extension: null, capacity: { phone: 1, video: 0, chat: 3, callback: 1, mail: 2, total: 4 }, active: true, bootstrapped: false, lastLoginAt: null },
      { email: 'ann@example.com', extension: '201', capacity: { phone: 0, video: 1, chat: 0, callback: 0, mail: 0, total: 1 }, active: false, bootstrapped: true, lastLoginAt: new Date('2026-12-05T10:11:12.345Z') },
    ];
    for (const [n, set] of sets.entries()) {
      const id = newId();
      await db.getRepository(Agent).insert({ id, username: `a${n}`, displayName: `Ann « ${n} »`, role: 'agent', passwordHash: 'x', ...set });
      const got = await agents.get(id);
      expect(got).to.be.instanceOf(Agent);
      expect(got).to.deep.equal(await db.getRepository(Agent).findOneBy({ id }));
    }
    const unknown = await agents.get(newId()).catch((err: Error & { status?: number }) => err);
    expect(unknown).to.include({ status: 404 });
  });
});
