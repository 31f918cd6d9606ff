// When a callback is due: each request is a BullMQ job whose id is the callback's, the callback's
// interaction is held until the job runs (a slot for tomorrow is never offered today), and then it
// is offered like any other interaction. Real MariaDB and Redis; the job is made due with BullMQ's
// promote instead of waiting for the slot.
import { expect } from 'chai';
import { Callback } from './callback.entity.js';
import { CallbackDueJob } from './due-job.js';
import { requestCallback } from './service.js';
import { asapDue } from './slots.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { accept, api, createInteraction, makeAgent, nextOffer, noOffer, QUEUE, startRoutingServer, uniquePrefix, login, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';

const callbackOf = (t: TestServer, id: string) => t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id });
const journeyOf = async (t: TestServer, interactionId: string) =>
  (await t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId }, order: { seq: 'ASC' } })).map((e) => e.type);

describe('callbacks are scheduled jobs, routed when due', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startRoutingServer();
    admin = await login(t.url);
  });
  after(() => t.stop());

  it('does not offer a slot callback before its time, and offers it when its job runs', async () => {
    const agent = await makeAgent(t.url, admin);
    try {
      const slots = await widget(t.url, 'GET', '/callbacks/slots');
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 1111 2222', message: 'After lunch' }, slot: slots.body.slots[2].start });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const due = new CallbackDueJob(t.sb.contexts.callbacks);
      expect(await due.stateOf(r.body.callbackId), 'the job, under the callback id').to.equal('delayed');
      await noOffer(agent);
      const cb = await callbackOf(t, r.body.callbackId);
      expect(cb.state).to.equal('scheduled');
      expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId })).state).to.equal('new');

      expect(await due.runNow(r.body.callbackId)).to.equal(true);
      const offer = await nextOffer(agent, 15_000);
      expect(offer.interactionId).to.equal(cb.interactionId);
      expect(offer.channel).to.equal('callback');
      await eventually(() => callbackOf(t, cb.id), (c) => c.state === 'queued');
      const journey = await eventually(() => journeyOf(t, cb.interactionId), (j) => j.includes('callback.due'));
      expect(journey.slice(0, 3)).to.deep.equal(['created', 'callback.requested', 'queued']);
      expect(journey).to.include.members(['callback.due', 'offered']);
    } finally {
      agent.socket.close();
    }
  });

  it('routes an "as soon as possible" callback at once', async () => {
    const agent = await makeAgent(t.url, admin);
    try {
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 3333 4444' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const offer = await nextOffer(agent, 15_000);
      expect(offer.interactionId).to.equal((await callbackOf(t, r.body.callbackId)).interactionId);
    } finally {
      agent.socket.close();
    }
  });

  it('queues a callback whose due run died between the row of its interaction and Redis, once', async () => {
    const agent = await makeAgent(t.url, admin);
    try {
      const slots = await widget(t.url, 'GET', '/callbacks/slots');
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 7777 8888' }, slot: slots.body.slots[4].start });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const cb = await callbackOf(t, r.body.callbackId);
      // As the run left them: both rows queued, nothing in Redis yet; the job runs again.
      const db = t.sb.kernel.db;
      await db.query("UPDATE callbacks SET state = 'queued' WHERE id = ?", [cb.id]);
      await db.query("UPDATE interactions SET state = 'queued', queuedAt = ? WHERE id = ? AND state = 'new'", [new Date(), cb.interactionId]);
      expect(await new CallbackDueJob(t.sb.contexts.callbacks).runNow(cb.id)).to.equal(true);
      const offer = await nextOffer(agent, 15_000);
      expect(offer.interactionId).to.equal(cb.interactionId);
      const journey = await eventually(() => journeyOf(t, cb.interactionId), (j) => j.includes('callback.due'));
      expect(journey.filter((type) => type === 'queued')).to.have.length(1);
      // Once in Redis, another run finds nothing to do.
      const i = await db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId });
      expect(await t.sb.contexts.routing.resumeHeld({ ...i, state: 'queued' } as Interaction)).to.equal(null);
    } finally {
      agent.socket.close();
    }
  });

  it('defers a callback whose queue is closed when its job runs, its interaction still held', async () => {
    const slots = await widget(t.url, 'GET', '/callbacks/slots');
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 7777 9999' }, slot: slots.body.slots[7].start });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const cb = await callbackOf(t, r.body.callbackId);
    const db = t.sb.kernel.db;
    const queue = t.sb.contexts.routing.queue((await db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId })).queueId!)!;
    const hours = queue.hours;
    // The queue's hours changed since the slot was chosen: closed from now on.
    t.config.calendars.push({ id: 'closed-from-now', name: 'Closed', timezone: 'UTC', weekly: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }, holidays: [] } as unknown as (typeof t.config.calendars)[number]);
    queue.hours = 'closed-from-now';
    try {
      expect(await new CallbackDueJob(t.sb.contexts.callbacks).runNow(cb.id)).to.equal(true);
      const later = await eventually(() => callbackOf(t, cb.id), (c) => c.jobId !== cb.jobId);
      expect([later.state, later.jobId]).to.deep.equal(['scheduled', `${cb.id}-2`]);
      expect(later.dueAt.getTime()).to.be.greaterThan(Date.now());
      expect((await db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId })).state).to.equal('new');
      expect(await eventually(() => journeyOf(t, cb.interactionId), (j) => j.includes('callback.deferred'))).to.not.include('queued');
    } finally {
      queue.hours = hours;
      t.config.calendars.pop();
    }
  });

  it('makes one callback and one job of a double click', async () => {
    const slots = await widget(t.url, 'GET', '/callbacks/slots');
    const body = { fields: { phone: '+39 06 5555 6666' }, slot: slots.body.slots[5].start };
    // This test's number only: the database is the whole run's.
    const mine = () => t.sb.kernel.db.getRepository(Callback).countBy({ phoneNumber: '+390655556666' });
    expect(await mine()).to.equal(0);
    const [a, b] = await Promise.all([widget(t.url, 'POST', '/callbacks', body), widget(t.url, 'POST', '/callbacks', body)]);
    expect([a.status, b.status].sort()).to.deep.equal([200, 201]);
    expect(a.body.reference).to.equal(b.body.reference);
    expect(await mine()).to.equal(1);
    // And one job: the callback's, under its id, and no later one of the same callback.
    const jobs = await t.sb.kernel.jobs.queue('callback-due').getJobs(['delayed', 'waiting', 'active', 'prioritized']);
    expect(jobs.filter((j) => j.data?.callbackId === a.body.callbackId).map((j) => j.id)).to.deep.equal([a.body.callbackId]);
    // Another slot for the same number is another request.
    const c = await widget(t.url, 'POST', '/callbacks', { ...body, slot: slots.body.slots[6].start });
    expect(c.status).to.equal(201);
    expect(c.body.callbackId).to.not.equal(a.body.callbackId);
  });
});

describe('callback due times follow the working hours', () => {
  it('makes "as soon as possible" asked on a closed Sunday due at Monday\'s opening', async () => {
    // Only the callback queue keeps the office calendar (08:30 Europe/Rome on Mondays).
    const t = await startRoutingServer({ 'queues.yaml:queues.3.hours': 'office' });
    try {
      const website = t.config.websites.find((w) => w.id === 'example')!;
      const sunday = new Date('2026-12-06T10:00:00Z');
      expect(asapDue(t.config, website, sunday)?.toISOString()).to.equal('2026-12-07T07:30:00.000Z');
      const r = await requestCallback(t.sb.contexts.callbacks, t.sb.contexts.outbox, website, { fields: { phone: '+39 06 7777 8888' }, slot: 'asap' }, sunday);
      expect(r.dueAt).to.equal('2026-12-07T07:30:00.000Z');
      expect(await new CallbackDueJob(t.sb.contexts.callbacks).stateOf(r.callbackId)).to.equal('delayed');
      // Open now (a weekday morning in Rome): due at once.
      const tuesday = new Date('2026-12-08T09:00:00Z');
      expect(asapDue(t.config, website, tuesday)?.toISOString()).to.equal(tuesday.toISOString());
    } finally {
      await t.stop();
    }
  });
});

describe('scheduled callbacks survive restarts', () => {
  it('keeps the job across a restart, schedules a lost one again from MySQL, and routes it on the new instance', async () => {
    const redisPrefix = uniquePrefix();
    const first = await startRoutingServer({}, { redisPrefix });
    let id: string;
    try {
      const slots = await widget(first.url, 'GET', '/callbacks/slots');
      const r = await widget(first.url, 'POST', '/callbacks', { fields: { phone: '+39 06 9999 0000' }, slot: slots.body.slots[1].start });
      expect(r.status).to.equal(201);
      id = r.body.callbackId;
      // As if Redis had restarted without its append-only file.
      expect(await new CallbackDueJob(first.sb.contexts.callbacks).unschedule(id)).to.equal(true);
    } finally {
      await first.stop();
    }
    const second = await startRoutingServer({}, { redisPrefix });
    try {
      const due = new CallbackDueJob(second.sb.contexts.callbacks);
      expect(await due.stateOf(id)).to.equal('delayed');
      const agent = await makeAgent(second.url, await login(second.url));
      await due.runNow(id);
      const offer = await nextOffer(agent, 15_000);
      expect(offer.interactionId).to.equal((await callbackOf(second, id)).interactionId);
      agent.socket.close();
    } finally {
      await second.stop();
    }
  });
});

describe('callbacks share one capacity with calls', () => {
  it('offers no callback to an agent on a call, nor a call to an agent on a callback, each offered once the other ends', async () => {
    // Preview mode: an accepted callback stays with the agent, undialled, until they act on it.
    const t = await startRoutingServer({ 'queues.yaml:queues.3.callback': { mode: 'preview', attempts: 3, retryMinutes: 5 } });
    try {
      const admin = await login(t.url);
      const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }], capacity: { phone: 1, callback: 1, total: 1 } });
      const call = await createInteraction(t.url, admin, { channel: 'phone', queueId: QUEUE.phone });
      const onCall = await nextOffer(a);
      expect(onCall.interactionId).to.equal(call.interaction.id);
      expect((await accept(t.url, a, onCall.offerId)).status).to.equal(200);

      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 5555 0101' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const cb = await eventually(() => callbackOf(t, r.body.callbackId), (c) => c.state === 'queued');
      await noOffer(a);
      expect((await api(t.url, 'POST', `/api/interactions/${call.interaction.id}/close`, {}, a.token)).status).to.equal(200);
      const callback = await nextOffer(a);
      expect(callback.interactionId).to.equal(cb.interactionId);
      expect((await accept(t.url, a, callback.offerId)).status).to.equal(200);

      const call2 = await createInteraction(t.url, admin, { channel: 'phone', queueId: QUEUE.phone });
      await noOffer(a);
      const closed = await api(t.url, 'POST', `/api/callbacks/${cb.id}/close`, { disposition: 'resolved' }, a.token);
      expect(closed.status, JSON.stringify(closed.body)).to.equal(200);
      const next = await nextOffer(a);
      expect(next.interactionId).to.equal(call2.interaction.id);
      a.socket.close();
    } finally {
      await t.stop();
    }
  });
});
