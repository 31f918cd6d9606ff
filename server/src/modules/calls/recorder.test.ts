// The call recorder's statements write a leg and its call together: each record column a leg's
// answer or end sets, and the call's first-wins columns, against the rows they leave.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { LegInfo } from '@switchboard/sip';
import { migratedDatabase } from '../../test/database.js';
import { createLogger } from '../../kernel/logger.js';
import { newId } from '../../kernel/db/ids.js';
import { Interaction } from '../interactions/index.js';
import { Call, CallLeg } from './call.entity.js';
import { MysqlCallRecorder } from './recorder.js';

describe('call recorder: a leg and its call in one statement', () => {
  let drop: (() => Promise<void>) | undefined;
  let db: DataSource;
  const log = createLogger('silent');

  before(async () => {
    ({ db, drop } = await migratedDatabase('callrec'));
  });
  after(async () => {
    await drop?.();
  });

  const t = (s: number) => new Date(Date.UTC(2026, 11, 6, 10, 0, s, 123));
  const hex = (uuid: string) => uuid.replace(/-/g, '');
  const leg = (callSessionId: string, more: Partial<LegInfo> = {}): LegInfo => {
    const legId = randomUUID();
    return { legId, callSessionId, kind: 'originate', direction: 'outbound', callId: `${legId}@test`, localTag: 'lt', from: 'sip:switchboard@127.0.0.1', to: 'sip:201@127.0.0.1', createdAt: t(0), ...more };
  };
  const call = (id: string) => db.getRepository(Call).findOneByOrFail({ id: hex(id) });
  const row = async (l: LegInfo) => {
    const r = await db.getRepository(CallLeg).findOneByOrFail({ id: hex(l.legId) });
    return { ringingAt: r.ringingAt, answeredAt: r.answeredAt, remoteTag: r.remoteTag, endedAt: r.endedAt, cause: r.cause, finalStatus: r.finalStatus };
  };
  const open = { ringingAt: null, answeredAt: null, remoteTag: null, endedAt: null, cause: null, finalStatus: null };

  /** A visitor's call handed by the PBX to an agent whose leg another instance records. */
  const handedOver = async () => {
    const interactionId = newId();
    await db.getRepository(Interaction).insert(db.getRepository(Interaction).create({
      id: interactionId, channel: 'phone', direction: 'inbound', state: 'queued', queueId: 'sales', websiteId: 'site', contactId: null, assignedAgentId: null,
      routingVariables: {}, subject: null, dispositionId: null, unmanaged: false, offline: false, timedOut: false, visitorTokenHash: null, queuedAt: null, assignedAt: null, closedAt: null,
    }));
    const [here, there] = [new MysqlCallRecorder(db, log), new MysqlCallRecorder(db, log)];
    const visitor = randomUUID();
    const [a, b] = [leg(visitor, { kind: 'widget', interactionId, direction: 'inbound' }), leg(visitor, { kind: 'widget', interactionId })];
    await here.legCreated(a);
    await here.legCreated(b);
    const agent = leg(randomUUID(), { kind: 'inbound', interactionId, direction: 'inbound' });
    await there.legCreated(agent);
    expect(await there.callOf(agent.callSessionId)).to.equal(hex(visitor));
    return { here, there, visitor, a, b, agent };
  };

  it("writes a leg's answer with the call's first answer, which a later leg's does not move", async () => {
    const recorder = new MysqlCallRecorder(db, log);
    const session = randomUUID();
    const [a, b] = [leg(session), leg(session, { to: 'sip:0612345678@127.0.0.1' })];
    await recorder.legCreated(a);
    await recorder.legRinging(a.legId, t(1));
    await recorder.legAnswered(a.legId, t(2), 'tag-a');
    expect(await row(a)).to.deep.equal({ ...open, ringingAt: t(1), answeredAt: t(2), remoteTag: 'tag-a' });
    expect((await call(session)).answeredAt).to.deep.equal(t(2));
    await recorder.legCreated(b);
    await recorder.legAnswered(b.legId, t(3), 'tag-b');
    expect(await row(b)).to.deep.equal({ ...open, answeredAt: t(3), remoteTag: 'tag-b' });
    expect((await call(session)).answeredAt).to.deep.equal(t(2));
  });

  /** The statements `fn` sends, by text. */
  const sent = async (fn: () => Promise<unknown>): Promise<string[]> => {
    type Send = (sql: string, ...rest: unknown[]) => unknown;
    const driver = db.driver as unknown as { obtainMasterConnection(): Promise<{ execute: Send; query: Send; release(): void }> };
    const obtain = driver.obtainMasterConnection;
    const texts: string[] = [];
    driver.obtainMasterConnection = async function (this: unknown) {
      const c = await obtain.call(this);
      const counted = (send: Send): Send => (sql, ...rest) => (texts.push(sql), send.call(c, sql, ...rest));
      // Released as itself: the pool must not keep the counting one.
      return Object.assign(Object.create(c) as object, { execute: counted(c.execute), query: counted(c.query), release: () => c.release() }) as typeof c;
    };
    try {
      await fn();
    } finally {
      driver.obtainMasterConnection = obtain;
    }
    return texts;
  };

  it("writes a leg's ringing with its answer, or with its end when it never answered, in no statement of its own", async () => {
    const recorder = new MysqlCallRecorder(db, log);
    const session = randomUUID();
    const [a, b] = [leg(session), leg(session)];
    await recorder.legCreated(a);
    await recorder.legCreated(b);
    const statements = await sent(async () => {
      await recorder.legRinging(a.legId, t(1));
      await recorder.legAnswered(a.legId, t(2), 'tag-a');
      await recorder.legRinging(b.legId, t(3));
      await recorder.legRinging(b.legId, t(4));
      await recorder.legsEnded([a.legId, b.legId], t(5), 'canceled', 487);
    });
    expect(statements, statements.join("\n")).to.have.length(2);
    expect(await row(a)).to.deep.equal({ ...open, ringingAt: t(1), answeredAt: t(2), remoteTag: 'tag-a', endedAt: t(5), cause: 'canceled', finalStatus: 487 });
    expect(await row(b)).to.deep.equal({ ...open, ringingAt: t(4), endedAt: t(5), cause: 'canceled', finalStatus: 487 });
    expect(await call(session)).to.deep.include({ answeredAt: t(2), endedAt: t(5), endCause: 'canceled' });
  });

  it('writes a leg that answered before it was recorded answered, and the call with it when that was its first answer', async () => {
    const recorder = new MysqlCallRecorder(db, log);
    const session = randomUUID();
    const [a, b] = [leg(session, { ringingAt: t(1), answeredAt: t(2), remoteTag: 'tag-a' }), leg(session, { answeredAt: t(3), remoteTag: 'tag-b' })];
    const first = await sent(() => recorder.legCreated(a));
    expect(first.filter((x) => !x.startsWith('INSERT IGNORE INTO calls'))).to.have.length(2);
    expect(await row(a)).to.deep.equal({ ...open, ringingAt: t(1), answeredAt: t(2), remoteTag: 'tag-a' });
    expect((await call(session)).answeredAt).to.deep.equal(t(2));
    expect(await sent(() => recorder.legCreated(b))).to.have.length(1);
    expect(await row(b)).to.deep.equal({ ...open, answeredAt: t(3), remoteTag: 'tag-b' });
    expect((await call(session)).answeredAt).to.deep.equal(t(2));
  });

  it('writes the ringing of a leg that answered before it was written with its answer, on the first answer of the call and on a later one', async () => {
    const recorder = new MysqlCallRecorder(db, log);
    const session = randomUUID();
    const [a, b] = [leg(session), leg(session)];
    await recorder.legCreated(a);
    await recorder.legCreated(b);
    await recorder.legAnswered(a.legId, t(2), 'tag-a', t(1));
    await recorder.legAnswered(b.legId, t(4), 'tag-b', t(3));
    expect(await row(a)).to.deep.equal({ ...open, ringingAt: t(1), answeredAt: t(2), remoteTag: 'tag-a' });
    expect(await row(b)).to.deep.equal({ ...open, ringingAt: t(3), answeredAt: t(4), remoteTag: 'tag-b' });
    expect((await call(session)).answeredAt).to.deep.equal(t(2));
  });

  it('keeps the first answer of a call whose legs two instances record', async () => {
    const { here, there, visitor, a, agent } = await handedOver();
    await here.legAnswered(a.legId, t(2), 'tag-a');
    await there.legAnswered(agent.legId, t(3), 'tag-agent');
    expect(await row(agent)).to.deep.equal({ ...open, answeredAt: t(3), remoteTag: 'tag-agent' });
    expect((await call(visitor)).answeredAt).to.deep.equal(t(2));
  });

  it("writes a leg's end, the call's cause from its first leg to end, and the call's end with its last leg", async () => {
    const recorder = new MysqlCallRecorder(db, log);
    const session = randomUUID();
    const [a, b] = [leg(session), leg(session)];
    await recorder.legCreated(a);
    await recorder.legCreated(b);
    await recorder.legEnded({ legId: b.legId, at: t(5), cause: 'callee-hangup', status: 200 });
    expect(await row(b)).to.deep.equal({ ...open, endedAt: t(5), cause: 'callee-hangup', finalStatus: 200 });
    expect(await row(a)).to.deep.equal(open);
    expect(await call(session)).to.include({ endedAt: null, endCause: 'callee-hangup' });
    await recorder.legEnded({ legId: a.legId, at: t(6), cause: 'caller-hangup' });
    expect(await row(a)).to.deep.equal({ ...open, endedAt: t(6), cause: 'caller-hangup' });
    expect(await call(session)).to.deep.include({ endedAt: t(6), endCause: 'callee-hangup' });
  });

  it('ends the legs of a call torn down together in one write, and the call with them', async () => {
    const recorder = new MysqlCallRecorder(db, log);
    const session = randomUUID();
    const [a, b] = [leg(session), leg(session)];
    await recorder.legCreated(a);
    await recorder.legCreated(b);
    await recorder.legsEnded([a.legId, b.legId], t(7), 'caller-hangup', 200);
    for (const l of [a, b]) expect(await row(l)).to.deep.equal({ ...open, endedAt: t(7), cause: 'caller-hangup', finalStatus: 200 });
    expect(await call(session)).to.deep.include({ endedAt: t(7), endCause: 'caller-hangup' });
  });

  it('keeps the end and cause of a call another instance ended as lost', async () => {
    const recorder = new MysqlCallRecorder(db, log);
    const session = randomUUID();
    const [a, b] = [leg(session), leg(session)];
    await recorder.legCreated(a);
    await recorder.legCreated(b);
    await new MysqlCallRecorder(db, log).callLost(session, t(8), 'server-lost');
    await recorder.legsEnded([a.legId, b.legId], t(9), 'caller-hangup', 200);
    expect(await row(a)).to.deep.equal({ ...open, endedAt: t(9), cause: 'caller-hangup', finalStatus: 200 });
    expect(await call(session)).to.deep.include({ endedAt: t(8), endCause: 'server-lost' });
  });

  it("takes no cause from a leg a transfer replaced, nor from the agent's session of a handed-over call; the call ends with its last leg on either instance", async () => {
    const transferred = new MysqlCallRecorder(db, log);
    const session = randomUUID();
    const [x, y] = [leg(session), leg(session)];
    await transferred.legCreated(x);
    await transferred.legCreated(y);
    await transferred.legEnded({ legId: y.legId, at: t(4), cause: 'transferred' });
    expect(await row(y)).to.deep.equal({ ...open, endedAt: t(4), cause: 'transferred' });
    expect(await call(session)).to.include({ endedAt: null, endCause: null });

    const { here, there, visitor, a, b, agent } = await handedOver();
    await there.legEnded({ legId: agent.legId, at: t(5), cause: 'callee-hangup', status: 200 });
    expect(await row(agent)).to.deep.equal({ ...open, endedAt: t(5), cause: 'callee-hangup', finalStatus: 200 });
    expect(await call(visitor)).to.include({ endedAt: null, endCause: null });
    await here.legsEnded([a.legId, b.legId], t(6), 'caller-hangup', 200);
    expect(await call(visitor)).to.deep.include({ endedAt: t(6), endCause: 'caller-hangup' });
  });
});
