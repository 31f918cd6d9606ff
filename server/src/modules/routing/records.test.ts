import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { migratedDatabase } from '../../test/database.js';
import { newId } from '../../kernel/db/ids.js';
import { Interaction, Offer } from '../interactions/index.js';
import { systemClock } from '../../kernel/clock.js';
import { RoutingRecords } from './records.js';
import { JourneyWriter } from './journey-writer.js';
import { Contact } from '../contacts/index.js';
import { InteractionEvent } from '../journey/index.js';

describe('routing records as SQL', () => {
  let drop: (() => Promise<void>) | undefined;
  let db: DataSource;
  let records: RoutingRecords;
  const agent = newId();

  before(async () => {
    ({ db, drop } = await migratedDatabase('rtrecords'));
    await db.query("INSERT INTO agents (id, username, displayName, role, passwordHash, capacity) VALUES (?, 'a', 'Agent', 'agent', 'x', '{}')", [agent]);
    records = new RoutingRecords(db, async () => []);
  });
  after(async () => {
    await drop?.();
  });

  const at = new Date('2026-12-05T10:11:12.345Z');
  const insert = async (set: { vars: Record<string, string>; flags: boolean; times: Date | null; subject: string | null }) => {
    const i = db.getRepository(Interaction).create({
      id: newId(), channel: 'chat', direction: 'inbound', state: 'queued', queueId: 'sales', websiteId: 'site', contactId: null, assignedAgentId: set.times ? agent : null,
      routingVariables: set.vars, subject: set.subject, dispositionId: null, unmanaged: set.flags, offline: set.flags, timedOut: set.flags, visitorTokenHash: set.flags ? 'f'.repeat(64) : null,
      queuedAt: set.times, assignedAt: set.times, closedAt: null,
    });
    await db.getRepository(Interaction).insert(i);
    return i.id;
  };

  it('reads an interaction as the ORM does: every column and its type', async () => {
    const sets: Parameters<typeof insert>[0][] = [
      { vars: {}, flags: false, times: null, subject: null },
      { vars: { plan: 'gold', n: '3' }, flags: true, times: at, subject: 'after 5 « please »' },
    ];
    for (const set of sets) {
      const id = await insert(set);
      const got = await records.get(id);
      expect(got).to.be.instanceOf(Interaction);
      expect(got).to.deep.equal(await db.getRepository(Interaction).findOneBy({ id }));
    }
    expect(await records.get(newId())).to.equal(null);
  });

  it('writes a patch as the ORM does: booleans, dates, nulls, and the columns left undefined untouched', async () => {
    const id = await insert({ vars: {}, flags: false, times: null, subject: null });
    const twin = await insert({ vars: {}, flags: false, times: null, subject: null });
    const patch = { state: 'assigned' as const, assignedAgentId: agent, assignedAt: at, timedOut: true, unmanaged: undefined, queuedAt: null };
    await records.update(id, patch);
    await db.getRepository(Interaction).update({ id: twin }, patch);
    const [mine, theirs] = await Promise.all([db.getRepository(Interaction).findOneByOrFail({ id }), db.getRepository(Interaction).findOneByOrFail({ id: twin })]);
    expect({ ...mine, id: twin, createdAt: null, updatedAt: null }).to.deep.equal({ ...theirs, createdAt: null, updatedAt: null });
    expect(mine.timedOut).to.equal(true);
    expect(mine.assignedAt).to.deep.equal(at);
  });

  it('writes a conditional change only while the row is in one of the states named, and says whether it did', async () => {
    const id = await insert({ vars: {}, flags: false, times: null, subject: null });
    expect(await records.updateIf(id, ['offered', 'assigned'], { state: 'closed', closedAt: at })).to.equal(false);
    expect((await db.getRepository(Interaction).findOneByOrFail({ id })).state).to.equal('queued');
    expect(await records.updateIf(id, 'queued', { state: 'offered' })).to.equal(true);
    expect(await records.updateIf(id, ['queued', 'offered'], { state: 'closed', closedAt: at })).to.equal(true);
    const row = await db.getRepository(Interaction).findOneByOrFail({ id });
    expect(row.state).to.equal('closed');
    expect(row.closedAt).to.deep.equal(at);
    expect(await records.updateIf(id, ['queued', 'offered'], { state: 'assigned' })).to.equal(false);
    expect(await records.updateIf(newId(), 'queued', { state: 'offered' })).to.equal(false);
  });

  it('writes an offer and its end as the ORM did: pending, its times, then its state and when it was answered', async () => {
    const interactionId = await insert({ vars: {}, flags: false, times: null, subject: null });
    const timed = new RoutingRecords(db, async () => [], { ...systemClock, now: () => at });
    const offerId = newId();
    await timed.offerCreated({ offerId, interactionId, agentId: agent, kind: 'transfer', expiresAt: at.getTime() + 30_000 });
    const row = await db.getRepository(Offer).findOneByOrFail({ id: offerId });
    expect({ ...row, seq: undefined }).to.deep.equal(Object.assign(new Offer(), { id: offerId, interactionId, agentId: agent, state: 'pending', kind: 'transfer', offeredAt: at, expiresAt: new Date(at.getTime() + 30_000), respondedAt: null, seq: undefined }));
    expect(await timed.pendingOffers(interactionId)).to.have.length(1);
    await timed.offerEnded(offerId, 'accepted');
    const ended = await db.getRepository(Offer).findOneByOrFail({ id: offerId });
    expect([ended.state, ended.respondedAt]).to.deep.equal(['accepted', at]);
    expect(await timed.pendingOffers(interactionId)).to.have.length(0);
  });

  it('accepts an offer and writes the change only while the interaction is in one of the states named, in one statement; without the offer\'s row, the change alone', async () => {
    const timed = new RoutingRecords(db, async () => [], { ...systemClock, now: () => at });
    const offered = async (state: string) => {
      const id = await insert({ vars: {}, flags: false, times: null, subject: null });
      await db.query('UPDATE interactions SET state = ? WHERE id = ?', [state, id]);
      const offerId = newId();
      await timed.offerCreated({ offerId, interactionId: id, agentId: agent, kind: 'route', expiresAt: at.getTime() + 30_000 });
      return { i: (await timed.get(id))!, offerId };
    };
    const patch = { state: 'assigned' as const, assignedAgentId: agent, assignedAt: at };
    const row = (id: string) => db.getRepository(Interaction).findOneByOrFail({ id });
    const offer = async (id: string) => { const o = await db.getRepository(Offer).findOneByOrFail({ id }); return [o.state, o.respondedAt]; };

    const open = await offered('offered');
    expect(await timed.acceptOffer(open.offerId, open.i, ['queued', 'offered'], patch)).to.equal(true);
    expect([open.i.state, open.i.assignedAgentId, open.i.assignedAt]).to.deep.equal(['assigned', agent, at]);
    const written = await row(open.i.id);
    expect([written.state, written.assignedAgentId, written.assignedAt]).to.deep.equal(['assigned', agent, at]);
    expect(await offer(open.offerId)).to.deep.equal(['accepted', at]);

    const closed = await offered('closed');
    expect(await timed.acceptOffer(closed.offerId, closed.i, ['queued', 'offered'], patch)).to.equal(false);
    expect(closed.i.state).to.equal('closed');
    expect([(await row(closed.i.id)).state, (await row(closed.i.id)).assignedAgentId]).to.deep.equal(['closed', null]);
    expect(await offer(closed.offerId)).to.deep.equal(['accepted', at]);

    const lost = await offered('offered');
    await db.query('DELETE FROM offers WHERE id = ?', [lost.offerId]);
    expect(await timed.acceptOffer(lost.offerId, lost.i, ['queued', 'offered'], patch)).to.equal(true);
    expect((await row(lost.i.id)).state).to.equal('assigned');
  });

  it('records an offer pending while its interaction is open, withdrawn once it was closed, and leaves the row as it was', async () => {
    const timed = new RoutingRecords(db, async () => [], { ...systemClock, now: () => at });
    const made = async (state: string) => {
      const id = await insert({ vars: {}, flags: false, times: null, subject: null });
      await db.query('UPDATE interactions SET state = ? WHERE id = ?', [state, id]);
      const offerId = newId();
      const pending = await timed.offerCreatedIf({ offerId, interactionId: id, agentId: agent, kind: 'route', expiresAt: at.getTime() + 30_000 }, ['queued', 'offered']);
      const o = await db.getRepository(Offer).findOneByOrFail({ id: offerId });
      const i = await db.getRepository(Interaction).findOneByOrFail({ id });
      return [pending, o.state, o.interactionId === id, o.agentId, o.offeredAt, o.expiresAt, o.respondedAt, i.state];
    };
    const expires = new Date(at.getTime() + 30_000);
    expect(await made('queued')).to.deep.equal([true, 'pending', true, agent, at, expires, null, 'queued']);
    expect(await made('abandoned')).to.deep.equal([false, 'withdrawn', true, agent, at, expires, at, 'abandoned']);
  });

  it("writes a journey entry taking the contact from the interaction's row, together with others and in their order, and none without the row", async () => {
    const contactId = newId();
    await db.getRepository(Contact).insert({ id: contactId, name: 'Ada', email: null, phone: null, customFields: {} });
    const id = await insert({ vars: {}, flags: false, times: null, subject: null });
    await db.query('UPDATE interactions SET contactId = ? WHERE id = ?', [contactId, id]);
    const missing = newId();
    // Sent at once: the first goes alone, the others together in one statement (journey-writer.ts).
    // Counted where the writer sends them: as text or prepared (kernel/db/statements.ts).
    const inserts: unknown[][] = [];
    const writer = JourneyWriter.prototype as unknown as { insert: (rows: unknown[]) => Promise<unknown> };
    const send = writer.insert;
    writer.insert = function (this: unknown, rows: unknown[]) {
      inserts.push(rows);
      return send.call(this, rows);
    };
    const uncount = [() => void (writer.insert = send)];
    await Promise.all([
      records.journeyOf(id, 'call.ringing', null, { call: 'c1' }, undefined, at),
      records.journey({ id, contactId: null }, 'call.held', agent, { n: 1 }, undefined, at),
      records.journeyOf(id, 'call.answered', null, { call: 'c1' }, undefined, at),
      records.journeyOf(missing, 'call.ended', null, {}, undefined, at),
      records.journey({ id, contactId }, 'call.ended', null, { call: 'c1', cause: 'bye' }, undefined, at),
    ]).finally(() => uncount.forEach((f) => f()));
    expect(inserts).to.have.length(2);
    const rows = await db.getRepository(InteractionEvent).find({ where: [{ interactionId: id }, { interactionId: missing }], order: { seq: 'ASC' } });
    expect(rows.map((r) => [r.interactionId, r.contactId, r.agentId, r.type, r.data, r.at])).to.deep.equal([
      [id, contactId, null, 'call.ringing', { call: 'c1' }, at],
      [id, null, agent, 'call.held', { n: 1 }, at],
      [id, contactId, null, 'call.answered', { call: 'c1' }, at],
      [id, contactId, null, 'call.ended', { call: 'c1', cause: 'bye' }, at],
    ]);
  });

  it("writes a call's change unless the interaction is closed or a chat, in the caller's transaction", async () => {
    const call = await insert({ vars: {}, flags: false, times: null, subject: null });
    const chat = await insert({ vars: {}, flags: false, times: null, subject: null });
    await db.query("UPDATE interactions SET channel = 'chat' WHERE id = ?", [chat]);
    await db.query("UPDATE interactions SET channel = 'voice' WHERE id = ?", [call]);
    const closed = await insert({ vars: {}, flags: false, times: null, subject: null });
    await db.query("UPDATE interactions SET channel = 'voice', state = 'closed' WHERE id = ?", [closed]);
    for (const id of [call, chat, closed]) await db.transaction((m) => records.updateForCall(id, { state: 'assigned', assignedAt: at }, m));
    const states = async (id: string) => { const r = await db.getRepository(Interaction).findOneByOrFail({ id }); return [r.state, r.assignedAt]; };
    expect(await states(call)).to.deep.equal(['assigned', at]);
    expect(await states(chat)).to.deep.equal(['queued', null]);
    expect(await states(closed)).to.deep.equal(['closed', null]);
  });
});
