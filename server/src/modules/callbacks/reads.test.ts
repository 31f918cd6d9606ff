import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { migratedDatabase } from '../../test/database.js';
import { newId } from '../../kernel/db/ids.js';
import { Interaction } from '../interactions/index.js';
import { Callback } from './callback.entity.js';
import { callbackWithInteraction } from './reads.js';

describe('callback reads', () => {
  let drop: (() => Promise<void>) | undefined;
  let db: DataSource;
  const agent = newId();

  before(async () => {
    ({ db, drop } = await migratedDatabase('cbreads'));
    await db.query("INSERT INTO agents (id, username, displayName, role, passwordHash, capacity) VALUES (?, 'a', 'Agent', 'agent', 'x', '{}')", [agent]);
  });
  after(async () => {
    await drop?.();
  });

  const viaOrm = (id: string) => db.getRepository(Callback).createQueryBuilder('c').leftJoinAndSelect('c.interaction', 'i').where('c.id = :id', { id }).getOne();

  it('reads a callback with its interaction as the ORM does: every column, its type and the relation', async () => {
    const at = new Date('2026-12-05T10:11:12.345Z');
    for (const [n, set] of [
      { asap: true, message: null, slotStart: null, slotEnd: null, lastCause: null, language: null, tokenHash: null, jobId: null, vars: {}, flags: false, times: null },
      { asap: false, message: 'after 5 « please »', slotStart: at, slotEnd: new Date(at.getTime() + 3600_000), lastCause: '486 busy', language: 'fr', tokenHash: 'f'.repeat(64), jobId: 'x-2', vars: { plan: 'gold', n: '3' }, flags: true, times: at },
    ].entries()) {
      const interaction = db.getRepository(Interaction).create({
        id: newId(), channel: 'callback', direction: 'inbound', state: 'new', queueId: 'sales', websiteId: 'site', contactId: null, assignedAgentId: set.times ? agent : null,
        routingVariables: set.vars, subject: set.message, dispositionId: null, unmanaged: set.flags, offline: set.flags, timedOut: set.flags, visitorTokenHash: null,
        queuedAt: set.times, assignedAt: set.times, closedAt: null,
      });
      await db.getRepository(Interaction).insert(interaction);
      const id = newId();
      await db.getRepository(Callback).insert({
        id, interactionId: interaction.id, phoneNumber: `+3312345678${n}`, message: set.message, asap: set.asap, slotStart: set.slotStart, slotEnd: set.slotEnd,
        dueAt: at, state: 'queued', attempts: n, jobId: set.jobId, lastCause: set.lastCause, language: set.language, tokenHash: set.tokenHash,
      });
      const expected = await viaOrm(id);
      const got = await callbackWithInteraction(db, id);
      expect(got).to.be.instanceOf(Callback);
      expect(got!.interaction).to.be.instanceOf(Interaction);
      expect(got).to.deep.equal(expected);
    }
  });

  it('reads no callback when there is none', async () => {
    expect(await viaOrm(newId())).to.equal(null);
    expect(await callbackWithInteraction(db, newId())).to.equal(null);
  });
});
