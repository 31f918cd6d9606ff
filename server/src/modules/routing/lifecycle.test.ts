// After the offer: transfer, conference, close with wrap-up, and interactions that cannot be
// queued at all. Real Redis and MySQL; agents act through their desktop socket and the REST API.
import { expect } from 'chai';
import { Interaction } from '../interactions/interaction.entity.js';
import { TestSocket } from '../../test/server.js';
import { ManualClock } from '../../test/clock.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { interactionSteps } from './lifecycle.js';
import { QUEUE, accept, api, createInteraction, login, makeAgent, nextOffer, noOffer, startRoutingServer, stateOf, waitState, type TestAgent, type TestServer } from '../../test/routing.js';

describe('routing: interaction lifecycle', () => {
  let t: TestServer;
  let admin: string;
  const start = async (extra: Record<string, unknown> = {}, clock?: ManualClock) => {
    t = await startRoutingServer(extra, { clock });
    admin = await login(t.url);
  };
  afterEach(() => t?.stop());

  const english = [{ skill: 'english', level: 8 }];
  /** A chat assigned to `a` (the only available agent when it is created). */
  async function assigned(a: TestAgent): Promise<string> {
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const o = await nextOffer(a);
    expect((await accept(t.url, a, o.offerId)).status).to.equal(200);
    return r.interaction.id;
  }
  const row = (id: string) => t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id });

  it('transfers to a named agent who accepts: the first agent lets go, the second owns it', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    const id = await assigned(a);
    const b = await makeAgent(t.url, admin, { skills: english });
    const r = await api(t.url, 'POST', `/api/interactions/${id}/transfer`, { toAgent: b.id }, a.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.interaction).to.include({ ownerId: a.id, transferTo: b.id });
    const o = await nextOffer(b);
    expect(o).to.include({ kind: 'transfer', interactionId: id, fromAgentId: a.id });
    expect((await accept(t.url, b, o.offerId)).status).to.equal(200);
    await a.socket.next((m) => m.type === 'interaction.removed' && m.interactionId === id && m.reason === 'transferred');
    expect((await row(id)).assignedAgentId).to.equal(b.id);
    expect(await stateOf(t.url, a)).to.equal('available');
    expect(await stateOf(t.url, b)).to.equal('busy');
  });

  it('keeps the interaction with the first agent when the named agent declines the transfer', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    const id = await assigned(a);
    const b = await makeAgent(t.url, admin, { skills: english });
    expect((await api(t.url, 'POST', `/api/interactions/${id}/transfer`, { toAgent: b.id }, a.token)).status).to.equal(200);
    const o = await nextOffer(b);
    b.socket.send({ type: 'offer.reject', offerId: o.offerId, ref: 'r1' });
    expect(await b.socket.next((m) => m.ref === 'r1')).to.include({ type: 'ok' });
    const declined = await a.socket.next((m) => m.type === 'transfer.declined');
    expect(declined).to.include({ interactionId: id, agentId: b.id, kind: 'transfer', reason: 'rejected' });
    expect((await row(id)).assignedAgentId).to.equal(a.id);
    expect(await stateOf(t.url, a)).to.equal('busy');
    expect(await stateOf(t.url, b)).to.equal('available');
    const mine = await api(t.url, 'GET', '/api/interactions/mine', undefined, a.token);
    expect(mine.body.interactions.map((i: { id: string; transferTo: string | null }) => [i.id, i.transferTo])).to.deep.equal([[id, null]]);
  });

  it('transfers to a queue: routed again, to someone else than the agent who let go', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    const id = await assigned(a);
    const b = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 5 }] });
    a.socket.send({ type: 'interaction.transfer', interactionId: id, toQueue: QUEUE.chat, ref: 't1' });
    const ok = await a.socket.next((m) => m.ref === 't1');
    expect(ok.type, JSON.stringify(ok)).to.equal('ok');
    const o = await nextOffer(b);
    expect(o.interactionId).to.equal(id);
  });

  it('runs a conference: requested, then active with both agents, then ended by the owner', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    const id = await assigned(a);
    const b = await makeAgent(t.url, admin, { skills: english });
    const req = await api(t.url, 'POST', `/api/interactions/${id}/conference`, { agentId: b.id }, a.token);
    expect(req.status, JSON.stringify(req.body)).to.equal(200);
    expect(req.body.interaction).to.include({ conference: 'requested', conferenceAgentId: b.id });
    const o = await nextOffer(b);
    expect(o.kind).to.equal('conference');
    expect((await accept(t.url, b, o.offerId)).status).to.equal(200);
    const active = await a.socket.next((m) => m.type === 'interaction.updated' && m.interaction.conference === 'active');
    expect(active.interaction).to.include({ state: 'conference', ownerId: a.id, conferenceAgentId: b.id });
    expect(await stateOf(t.url, b)).to.equal('busy');
    // The guest cannot close it; the owner ends the conference and keeps it.
    const guestClose = await api(t.url, 'POST', `/api/interactions/${id}/close`, {}, b.token);
    expect(guestClose.status).to.equal(403);
    const end = await api(t.url, 'DELETE', `/api/interactions/${id}/conference`, undefined, a.token);
    expect(end.status).to.equal(200);
    expect(end.body.interaction).to.include({ state: 'assigned', conference: 'none', ownerId: a.id });
    await b.socket.next((m) => m.type === 'interaction.removed' && m.reason === 'conference-ended');
    expect(await stateOf(t.url, b)).to.equal('available');
    const journey = await t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: id }, order: { seq: 'ASC' } });
    expect(journey.map((e) => e.type)).to.include.members(['conference.requested', 'conference.started', 'conference.ended']);
  });

  it('closes with a disposition, holds the agent in wrap-up for the queue time, then makes them available', async () => {
    // The wrap-up ends when the test moves the clock: on a loaded machine the reads below can
    // take longer than any wrap-up short enough to wait for.
    const clock = new ManualClock(new Date());
    await start({ 'queues.yaml:queues.0.wrapUpSeconds': 2 }, clock);
    const a = await makeAgent(t.url, admin, { skills: english });
    const id = await assigned(a);
    a.socket.send({ type: 'interaction.close', interactionId: id, disposition: 'resolved', ref: 'c1' });
    const ok = await a.socket.next((m) => m.ref === 'c1');
    expect(ok.interaction).to.include({ state: 'closed', dispositionId: 'resolved' });
    // Every tab (the pushed state, a reload's REST read, a new socket's hello) counts down to one moment.
    const pushed = await a.socket.next((m) => m.type === 'agent.state' && m.status.state === 'wrap-up');
    const until = Date.parse(pushed.status.wrapUpUntil);
    expect(until - Date.parse(pushed.status.since)).to.equal(2000);
    const read = await api(t.url, 'GET', `/api/agents/${a.id}/state`, undefined, a.token);
    expect(read.body).to.include({ state: 'wrap-up', wrapUpUntil: pushed.status.wrapUpUntil });
    const tab = await TestSocket.open(t.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${a.token}` });
    expect((await tab.next((m) => m.type === 'hello')).status.wrapUpUntil).to.equal(pushed.status.wrapUpUntil);
    expect((await tab.next((m) => m.type === 'snapshot')).status.wrapUpUntil).to.equal(pushed.status.wrapUpUntil);
    tab.close();
    // No new offer during wrap-up: the slot is still taken.
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    await noOffer(a);
    expect(await stateOf(t.url, a)).to.equal('wrap-up');
    clock.at(3);
    await waitState(t.url, a, 'available', 60_000);
    expect((await api(t.url, 'GET', `/api/agents/${a.id}/state`, undefined, a.token)).body.wrapUpUntil).to.equal(null);
    await nextOffer(a);
    const closed = await row(id);
    expect(closed.state).to.equal('closed');
    expect(closed.closedAt).to.be.instanceOf(Date);
  });

  it('marks an interaction unmanaged outside working hours and says when the queue opens', async () => {
    await start({
      'hours.yaml:calendars.2': { id: 'closed-now', timezone: 'UTC', weekly: {}, holidays: [] },
      'queues.yaml:queues.0.hours': 'closed-now',
    });
    await makeAgent(t.url, admin, { skills: english });
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    expect(r).to.include({ outcome: 'unmanaged', reason: 'outside-hours', nextOpening: null });
    expect(r.interaction.state).to.equal('unmanaged');
    expect((await row(r.interaction.id)).unmanaged).to.equal(true);
  });

  it('marks an interaction unmanaged when no agent who could take it is logged in', async () => {
    await start({ 'queues.yaml:queues.0.relax': [] });
    await makeAgent(t.url, admin, { skills: [{ skill: 'italian', level: 9 }] });
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    expect(r).to.include({ outcome: 'unmanaged', reason: 'no-agent' });
    const journey = await t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: r.interaction.id }, order: { seq: 'ASC' } });
    expect(journey.map((e) => e.type)).to.deep.equal(['created', 'unmanaged']);
  });

  it('refuses to queue beyond the licensed number of concurrent sessions, and accepts again after one ends', async () => {
    await start({ 'switchboard.yaml:licensing.maxConcurrentSessions': 2 });
    await makeAgent(t.url, admin, { skills: english, available: false });
    await makeAgent(t.url, admin, { skills: english });
    const first = await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail });
    await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail });
    const third = await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail });
    expect(third).to.include({ outcome: 'unmanaged', reason: 'licensed-limit' });
    const cancel = await api(t.url, 'POST', `/api/routing/interactions/${first.interaction.id}/cancel`, undefined, admin);
    expect(cancel.status, JSON.stringify(cancel.body)).to.equal(200);
    expect(cancel.body.interaction.state).to.equal('abandoned');
    const fourth = await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail });
    expect(fourth.outcome).to.equal('queued');
  });

  it('limits concurrent chats per website as over capacity', async () => {
    await start({ 'websites/example.yaml:maxConcurrentChats': 1 });
    await makeAgent(t.url, admin, { skills: english, available: false });
    const k = await makeAgent(t.url, admin, { skills: english });
    await api(t.url, 'PUT', '/api/agents/me/state', { state: 'not-ready', reason: 'break' }, k.token);
    const one = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat, websiteId: 'example' });
    const two = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat, websiteId: 'example' });
    expect(one.outcome).to.equal('queued');
    expect(two).to.include({ outcome: 'unmanaged', reason: 'over-capacity' });
  });

  it('takes an interaction out of the queue as unmanaged (timed out) after the queue\'s maximum wait', async () => {
    await start({ 'queues.yaml:queues.4.maxWaitSeconds': 1 });
    const a = await makeAgent(t.url, admin, { skills: english });
    await api(t.url, 'PUT', '/api/agents/me/state', { state: 'not-ready', reason: 'break' }, a.token);
    const events: { type: string; interactionId?: string; reason?: string }[] = [];
    const off = t.sb.kernel.bus.on((e) => events.push(e as never));
    const r = await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail });
    expect(r.outcome).to.equal('queued');
    const until = Date.now() + 60_000;
    while (Date.now() < until && !events.some((e) => e.type === 'interaction.unmanaged' && e.interactionId === r.interaction.id)) await new Promise((res) => setTimeout(res, 100));
    off();
    expect(events.find((e) => e.type === 'interaction.unmanaged')).to.include({ interactionId: r.interaction.id, reason: 'max-wait' });
    expect(await row(r.interaction.id)).to.include({ state: 'unmanaged', unmanaged: true, timedOut: true });
    expect((await t.sb.contexts.routing.position(r.interaction.id)).position).to.equal(null);
    // Not offered once the agent is back. Their offers arrive in order, and going available offers
    // what waits before answering: one for the timed-out interaction would come before the next's.
    await api(t.url, 'PUT', '/api/agents/me/state', { state: 'available' }, a.token);
    const next = await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail });
    expect((await nextOffer(a)).interactionId).to.equal(next.interaction.id);
    expect(a.socket.messages.filter((m) => m.type === 'offer')).to.deep.equal([]);
  });

  it('gives the channel the position and the availability per queue for the widget', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    await api(t.url, 'PUT', '/api/agents/me/state', { state: 'not-ready', reason: 'break' }, a.token);
    await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail });
    const second = await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail });
    expect(second.position).to.equal(2);
    expect(await t.sb.contexts.routing.position(second.interaction.id)).to.include({ state: 'queued', position: 2 });
    const av = await api(t.url, 'GET', '/api/routing/availability?website=example&channel=mail', undefined, admin);
    expect(av.body.queues).to.deep.equal([{ queueId: 'mail', channel: 'mail', open: true, nextOpening: null, agentsAvailable: 0, agentsLoggedIn: 1, waiting: 2 }]);
    await api(t.url, 'PUT', '/api/agents/me/state', { state: 'available' }, a.token);
    await nextOffer(a);
    const av2 = await api(t.url, 'GET', '/api/routing/availability?queue=support-chat', undefined, admin);
    expect(av2.body.queues[0]).to.include({ queueId: 'support-chat', agentsAvailable: 0, agentsLoggedIn: 1 }); // a pending offer: not free
  });

  describe("a call's end", () => {
    /** A phone interaction `a` accepted, and the lifecycle its call's steps go through. */
    async function onTheCall(a: TestAgent) {
      const r = await createInteraction(t.url, admin, { channel: 'phone', queueId: QUEUE.phone });
      const o = await nextOffer(a);
      expect((await accept(t.url, a, o.offerId)).status).to.equal(200);
      return { id: r.interaction.id, steps: interactionSteps(t.sb.contexts.routing, t.sb.kernel.db, t.sb.kernel.clock) };
    }
    /** Counts the writes of the call's step that are not routing's close: of the interaction's row, of the step's entry alone. */
    function callWrites() {
      const records = t.sb.contexts.routing.records;
      const write = records.updateForCall.bind(records);
      const entry = records.journeyOf.bind(records);
      const count = { n: 0, entries: 0 };
      records.updateForCall = (...args) => (count.n++, write(...args));
      records.journeyOf = (...args) => (count.entries++, entry(...args));
      return count;
    }

    it('closes the interaction routing holds by routing\'s close, which writes its row: the agent is freed, the row written once', async () => {
      await start();
      const a = await makeAgent(t.url, admin);
      const { id, steps } = await onTheCall(a);
      const writes = callWrites();
      // The close script says whether an agent holds it: the live state is not read before it.
      const { engine } = t.sb.contexts.routing;
      const live = engine.interactionLive.bind(engine);
      let reads = 0;
      engine.interactionLive = (...args) => (reads++, live(...args));
      try {
        await steps.callStep(id, 'call.ended', { call: 'c1', cause: 'bye' }, { state: 'closed', closedAt: new Date() });
      } finally {
        engine.interactionLive = live;
      }
      expect(reads).to.equal(0);
      expect(writes.n, 'no second close of the row').to.equal(0);
      expect(writes.entries, "the call's end written with the close").to.equal(0);
      expect(await row(id)).to.include({ state: 'closed', timedOut: false, dispositionId: null });
      expect(await t.sb.contexts.routing.engine.interactionLive(id)).to.include({ state: 'closed' });
      expect(await t.sb.contexts.routing.engine.agentLoad(a.id)).to.include({ 'load:phone': '0', 'load:total': '0' });
      const journey = await t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: id }, order: { seq: 'ASC' } });
      expect(journey.slice(-2).map((e) => [e.type, e.agentId, e.data])).to.deep.equal([
        ['closed', a.id, { by: 'system', dispositionId: null, wrapUpUntil: null }],
        ['call.ended', null, { call: 'c1', cause: 'bye' }],
      ]);
    });

    it('closes the row alone while the live state is unreachable, writes its journey entry, and then fails', async () => {
      await start();
      const a = await makeAgent(t.url, admin);
      const { id, steps } = await onTheCall(a);
      const writes = callWrites();
      const { engine } = t.sb.contexts.routing;
      const run = engine.run.bind(engine);
      engine.run = (name, ...args) => (name === 'close' ? Promise.reject(new Error('Redis is away')) : run(name, ...args));
      const endedAt = new Date(Date.now() - 5000);
      let failed: unknown;
      try {
        await steps.callStep(id, 'call.ended', { call: 'c1', cause: 'bye' }, { state: 'closed', closedAt: endedAt }).catch((err: unknown) => (failed = err));
      } finally {
        engine.run = run;
      }
      expect((failed as Error | undefined)?.message).to.equal('Redis is away');
      expect(writes).to.deep.equal({ n: 1, entries: 1 });
      const closed = await row(id);
      expect(closed.state).to.equal('closed');
      expect(closed.closedAt!.getTime()).to.equal(endedAt.getTime());
      expect(await t.sb.kernel.db.getRepository(InteractionEvent).countBy({ interactionId: id, type: 'call.ended' })).to.equal(1);
    });
  });
});
