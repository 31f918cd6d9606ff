// The visitor's side of a callback after asking: where it stands, and cancelling it — which
// removes its job and closes its interaction, and is refused once dialling has begun. Every
// malformed id is refused naming the field; an unknown one is 404.
import { expect } from 'chai';
import { Callback } from './callback.entity.js';
import { CallbackDueJob } from './due-job.js';
import { CallbackDialJob } from './dial-job.js';
import { CustomerFirstJob } from './customer-first.js';
import { CallbackAttempt } from './attempt.entity.js';
import type { JobRun } from '../../kernel/jobs/job.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { startRoutingServer, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';

describe('callbacks: status and cancel for the visitor', () => {
  let t: TestServer;
  before(async () => {
    t = await startRoutingServer();
  });
  after(() => t.stop());
  const interactionOf = async (id: string) => t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: (await t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id })).interactionId });

  it('shows a scheduled callback, cancels it (job removed, interaction closed unoffered), and cancelling again changes nothing', async () => {
    const slots = await widget(t.url, 'GET', '/callbacks/slots');
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 5050 1111' }, slot: slots.body.slots[2].start });
    expect(r.status).to.equal(201);
    const status = await widget(t.url, 'GET', `/callbacks/${r.body.callbackId}`);
    expect(status.status).to.equal(200);
    expect(status.body).to.deep.include({ reference: r.body.reference, state: 'scheduled', asap: false, attempts: 0 });
    expect(JSON.stringify(status.body)).to.not.contain('5050');

    const c = await widget(t.url, 'POST', `/callbacks/${r.body.callbackId}/cancel`);
    expect(c.status, JSON.stringify(c.body)).to.equal(200);
    expect(c.body.state).to.equal('cancelled');
    expect(await new CallbackDueJob(t.sb.contexts.callbacks).stateOf(r.body.callbackId)).to.equal(null);
    expect((await interactionOf(r.body.callbackId)).state).to.equal('closed');
    const again = await widget(t.url, 'POST', `/callbacks/${r.body.callbackId}/cancel`);
    expect([again.status, again.body.state]).to.deep.equal([200, 'cancelled']);
  });

  it('takes a due callback out of its queue', async () => {
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 5050 2222' }, slot: 'asap' });
    await eventually(() => t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId }), (cb) => cb.state === 'queued');
    const c = await widget(t.url, 'POST', `/callbacks/${r.body.callbackId}/cancel`);
    expect(c.status, JSON.stringify(c.body)).to.equal(200);
    expect(['abandoned', 'closed']).to.include((await interactionOf(r.body.callbackId)).state);
  });

  it('closes, never queued, a callback cancelled while its due job queues it', async () => {
    // The cancel comes while the due job's entry into the queue (Redis) runs, the interaction's
    // row already taken out of its hold: withdraw() marks the callback cancelled and, the queueing
    // not in Redis yet, marks the interaction there and closes it; the queueing refuses it.
    const { engine } = t.sb.contexts.routing;
    const run = engine.run.bind(engine);
    const db = t.sb.kernel.db;
    let cancelling: Promise<{ status: number }> | undefined;
    engine.run = (async (name, args, now) => {
      if (name === 'enqueue' && !cancelling && args[2] === 'callback') {
        const [cb] = (await db.query('SELECT id FROM callbacks WHERE interactionId = ?', [args[0]])) as { id: string }[];
        cancelling = widget(t.url, 'POST', `/callbacks/${cb!.id}/cancel`);
        await cancelling;
      }
      return run(name, args, now);
    }) as typeof engine.run;
    try {
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 5050 5555' }, slot: 'asap' });
      expect(r.status).to.equal(201);
      await eventually(async () => cancelling, (c) => !!c);
      expect((await cancelling!).status).to.equal(200);
      expect((await db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId })).state).to.equal('cancelled');
      await eventually(() => new CallbackDueJob(t.sb.contexts.callbacks).stateOf(r.body.callbackId), (s) => s === 'completed' || s === null);
      const i = await interactionOf(r.body.callbackId);
      expect([i.state, i.queuedAt]).to.deep.equal(['closed', null]);
      expect((await engine.interactionLive(i.id)).state, 'never in the queue').to.equal(undefined);
      const steps = (await db.getRepository(InteractionEvent).find({ where: { interactionId: i.id }, order: { seq: 'ASC' } })).map((e) => e.type);
      expect(steps).to.include('closed').and.not.include('queued');
    } finally {
      engine.run = run;
    }
  });

  it('refuses to cancel once dialling has begun', async () => {
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 5050 3333' }, slot: 'asap' });
    await eventually(() => t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId }), (cb) => cb.state === 'queued');
    await t.sb.kernel.db.getRepository(Callback).update({ id: r.body.callbackId }, { state: 'dialling' });
    const c = await widget(t.url, 'POST', `/callbacks/${r.body.callbackId}/cancel`);
    expect(c.status).to.equal(409);
    expect(c.body.error.message).to.contain('dialling');
  });

  it('a cancel made after the accept read the callback is seen by its dial: not dialled, the attempt recorded as cancelled', async () => {
    // The accept's read rides in the dial job (DialKnown); the customer cancels before the job runs.
    const db = t.sb.kernel.db;
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 5050 6666' }, slot: 'asap' });
    const cb = await eventually(() => db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId }), (c) => c.state === 'queued');
    const [agent] = (await db.query('SELECT id, displayName FROM agents LIMIT 1')) as { id: string; displayName: string }[];
    const i = await interactionOf(cb.id);
    const known = { interactionId: cb.interactionId, jobId: cb.jobId, phoneNumber: cb.phoneNumber, contactId: i.contactId, queueId: i.queueId, agent: { extension: '1000', displayName: agent!.displayName } };
    expect((await widget(t.url, 'POST', `/callbacks/${cb.id}/cancel`)).status).to.equal(200);
    await new CallbackDialJob(t.sb.contexts.callbacks, () => undefined).perform({ callbackId: cb.id, attempt: 1, agentId: agent!.id, known }, {} as JobRun);
    const after = await db.getRepository(Callback).findOneByOrFail({ id: cb.id });
    expect([after.state, after.attempts]).to.deep.equal(['cancelled', 0]);
    const attempts = await db.getRepository(CallbackAttempt).findBy({ callbackId: cb.id });
    expect(attempts.map((a) => [a.outcome, a.cause])).to.deep.equal([['cancelled', 'callback was cancelled']]);
  });

  it('a customer-first attempt whose callback was cancelled before it ran calls nobody: recorded cancelled, without a call', async () => {
    const db = t.sb.kernel.db;
    const kit = t.sb.contexts.callbacks;
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 5050 7777' }, slot: 'asap' });
    const cb = await eventually(() => db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId }), (c) => c.state === 'queued');
    expect((await widget(t.url, 'POST', `/callbacks/${cb.id}/cancel`)).status).to.equal(200);
    const job = new CustomerFirstJob(kit, { ...kit, retry: () => Promise.reject(new Error('a cancelled callback is not retried')) });
    await job.perform({ callbackId: cb.id, attempt: 1 }, {} as JobRun);
    expect((await db.getRepository(Callback).findOneByOrFail({ id: cb.id })).state).to.equal('cancelled');
    const attempts = await db.getRepository(CallbackAttempt).findBy({ callbackId: cb.id });
    expect(attempts.map((a) => [a.outcome, a.cause, a.callId])).to.deep.equal([['cancelled', 'callback was cancelled', null]]);
  });

  it('refuses malformed ids naming the field, answers 404 for unknown ones and 403 to other origins', async () => {
    for (const bad of ['abc', 'CB-12345678', 'Z'.repeat(32), '0'.repeat(33), "1' OR '1'='1", '%3Cscript%3E', '..%2F..%2Fadmin']) {
      for (const [method, p] of [['GET', `/callbacks/${bad}`], ['POST', `/callbacks/${bad}/cancel`]] as const) {
        const r = await widget(t.url, method, p);
        expect(r.status, `${method} ${p}`).to.equal(400);
        expect(r.body.error.fields[0].field).to.equal('callbackId');
      }
    }
    const unknown = 'f'.repeat(32);
    expect((await widget(t.url, 'GET', `/callbacks/${unknown}`)).status).to.equal(404);
    expect((await widget(t.url, 'POST', `/callbacks/${unknown}/cancel`)).status).to.equal(404);
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 5050 4444' }, slot: 'asap' });
    expect((await widget(t.url, 'POST', `/callbacks/${r.body.callbackId}/cancel`, undefined, undefined, 'http://evil.example')).status).to.equal(403);
    expect((await widget(t.url, 'GET', `/callbacks/${r.body.callbackId}`)).body.state).to.not.equal('cancelled');
  });
});
