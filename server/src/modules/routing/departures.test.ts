// An agent who leaves must not take work with them: whatever way they go (their own logout, a
// supervisor's forced logout, deactivation, their last session expiring), offers and work that
// can go on without them reach other agents, and only a call still going on stays with them.
// Real Redis and MySQL; agents act through the REST API and their desktop sockets.
import { expect } from 'chai';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { Call } from '../calls/call.entity.js';
import { AgentStateChange } from '../agents/agent.entity.js';
import { newId } from '../../kernel/db/ids.js';
import { interactionSteps } from './lifecycle.js';
import { QUEUE, accept, api, createInteraction, login, makeAgent, nextOffer, noOffer, setState, startRoutingServer, stateOf, waitState, type TestAgent, type TestServer } from '../../test/routing.js';

describe('routing: agents leaving with work in hand', () => {
  let t: TestServer;
  let admin: string;
  const start = async (extra: Record<string, unknown> = {}) => {
    t = await startRoutingServer(extra);
    admin = await login(t.url);
  };
  afterEach(() => t?.stop());

  const english = [{ skill: 'english', level: 8 }];
  const one = { chat: 1, total: 1 };
  const row = (id: string) => t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id });
  const journey = async (id: string) => (await t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: id }, order: { seq: 'ASC' } })).map((e) => e.type);
  const live = (id: string) => t.sb.contexts.routing.engine.interactionLive(id);
  const load = (a: TestAgent) => t.sb.contexts.routing.engine.agentLoad(a.id);

  async function assign(a: TestAgent, channel: 'chat' | 'phone' = 'chat'): Promise<string> {
    const r = await createInteraction(t.url, admin, { channel, queueId: QUEUE[channel] });
    const o = await nextOffer(a);
    expect(o.interactionId).to.equal(r.interaction.id);
    expect((await accept(t.url, a, o.offerId)).status).to.equal(200);
    return r.interaction.id;
  }

  it('puts a chat back in its queue ahead of newer arrivals, with its original wait, when its agent logs out', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english, capacity: one });
    const held = await assign(a);
    const queuedAt = (await row(held)).queuedAt!;
    const newer = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    const b = await makeAgent(t.url, admin, { skills: english, capacity: one, available: false });

    // Logging out with an open chat is no longer refused.
    const out = await api(t.url, 'PUT', '/api/agents/me/state', { state: 'logged-out' }, a.token);
    expect(out.status, JSON.stringify(out.body)).to.equal(200);
    expect(out.body).to.include({ state: 'logged-out', wrapUpUntil: null });
    await a.socket.next((m) => m.type === 'interaction.removed' && m.interactionId === held && m.reason === 'transferred');

    const r = await row(held);
    expect(r).to.include({ state: 'queued', assignedAgentId: null });
    expect(r.queuedAt!.getTime()).to.equal(queuedAt.getTime());
    expect(await journey(held)).to.include('requeued');
    expect(await t.sb.contexts.routing.position(held)).to.include({ state: 'queued', position: 1 });
    expect(await t.sb.contexts.routing.position(newer)).to.include({ state: 'queued', position: 2 });
    expect(await load(a)).to.include({ 'load:total': '0', 'load:chat': '0' });
    expect(await t.sb.contexts.routing.engine.interactionsOf(a.id)).to.deep.equal([]);

    // The next agent gets the older one first.
    await setState(t.url, b, 'available');
    expect((await nextOffer(b)).interactionId).to.equal(held);
  });

  it('withdraws a pending offer on logout and offers it to another agent at once', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    const id = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    const o = await nextOffer(a);
    const b = await makeAgent(t.url, admin, { skills: english });
    a.socket.send({ type: 'state.set', state: 'logged-out', ref: 's1' });
    expect(await a.socket.next((m) => m.ref === 's1')).to.deep.include({ type: 'agent.state' });
    await a.socket.next((m) => m.type === 'offer.ended' && m.offerId === o.offerId && m.reason === 'withdrawn');
    const next = await nextOffer(b);
    expect(next.interactionId).to.equal(id);
    expect(await journey(id)).to.include('offer.withdrawn');
    expect(await stateOf(t.url, a)).to.equal('logged-out');
  });

  it("re-routes a deactivated agent's chats and ends their sockets", async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    const held = await assign(a);
    const b = await makeAgent(t.url, admin, { skills: english });
    const closed = a.socket.waitClose();
    const r = await api(t.url, 'PATCH', `/api/agents/${a.id}`, { active: false }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect((await closed).code).to.equal(4001);
    expect((await nextOffer(b)).interactionId).to.equal(held);
    expect((await t.sb.contexts.states.get(a.id)).state).to.equal('logged-out');
    const events = await t.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId: held, type: 'requeued' });
    expect(events.map((e) => e.data)).to.deep.equal([{ reason: 'agent-left', why: 'deactivated', queueId: QUEUE.chat }]);
  });

  it("refuses a plain agent's forced logout of a colleague, and a second logout changes nothing", async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    const held = await assign(a);
    const b = await makeAgent(t.url, admin, { skills: english });
    const forced = await api(t.url, 'POST', `/api/agents/${a.id}/logout`, undefined, b.token);
    expect(forced.status).to.equal(403);
    expect(await row(held)).to.include({ state: 'assigned', assignedAgentId: a.id });
    expect(await stateOf(t.url, a)).to.equal('busy');
    expect((await api(t.url, 'POST', `/api/agents/${'0'.repeat(32)}/logout`, undefined, admin)).status).to.equal(404);

    await setState(t.url, b, 'logged-out');
    const changes = () => t.sb.kernel.db.getRepository(AgentStateChange).countBy({ agentId: b.id });
    const before = await changes();
    expect((await setState(t.url, b, 'logged-out')).state).to.equal('logged-out');
    expect(await changes()).to.equal(before);
  });

  it("re-routes a chat when a supervisor logs its agent out", async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    const held = await assign(a);
    const b = await makeAgent(t.url, admin, { skills: english });
    const r = await api(t.url, 'POST', `/api/agents/${a.id}/logout`, undefined, admin);
    expect(r.status, JSON.stringify(r.body)).to.be.oneOf([200, 204]);
    expect((await nextOffer(b)).interactionId).to.equal(held);
    expect(await row(held)).to.include({ state: 'queued', assignedAgentId: null });
    expect((await t.sb.contexts.states.get(a.id)).state).to.equal('logged-out');
  });

  it('notices an agent whose last session expired and re-routes their chat', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    const held = await assign(a);
    const b = await makeAgent(t.url, admin, { skills: english });
    // What the sessions' TTL does in Redis, without waiting hours for it.
    const redis = t.sb.kernel.redis;
    const ids = await redis.client.smembers(redis.key('agent-sessions', a.id));
    expect(ids).to.have.length(1);
    await redis.client.del(redis.key('session', ids[0]!));
    expect((await nextOffer(b, 10000)).interactionId).to.equal(held);
    expect((await t.sb.contexts.states.get(a.id)).state).to.equal('logged-out');
    const events = await t.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId: held, type: 'requeued' });
    expect(events.map((e) => (e.data as { why: string }).why)).to.deep.equal(['session-expired']);
    // An agent who still has a session is left alone (Available, with the offer pending).
    expect(await stateOf(t.url, b)).to.equal('available');
  });

  it('leaves a phone interaction with a live call to its agent until the call ends, then frees the slot without wrap-up', async () => {
    await start({ 'queues.yaml:queues.1.wrapUpSeconds': 20 });
    const a = await makeAgent(t.url, admin);
    const id = await assign(a, 'phone');
    await t.sb.kernel.db.getRepository(Call).insert({ id: newId(), interactionId: id, kind: 'widget', video: false, trunkId: null, setupAt: new Date(), answeredAt: new Date(), endedAt: null, endCause: null });
    const b = await makeAgent(t.url, admin);
    expect((await setState(t.url, a, 'logged-out')).state).to.equal('logged-out');
    await noOffer(b);
    expect(await row(id)).to.include({ state: 'assigned', assignedAgentId: a.id });
    expect(await live(id)).to.include({ state: 'assigned', owner: a.id });
    expect(await load(a)).to.include({ 'load:phone': '1' });

    // The call ends (the step the calls module writes for it): the interaction closes, the slot is free.
    await t.sb.kernel.db.getRepository(Call).update({ interactionId: id }, { endedAt: new Date() });
    const steps = interactionSteps(t.sb.contexts.routing, t.sb.kernel.db, t.sb.kernel.clock);
    await steps.callStep(id, 'call.ended', { call: newId() }, { state: 'closed', closedAt: new Date() });
    expect(await live(id)).to.include({ state: 'closed' });
    expect(await load(a)).to.include({ 'load:phone': '0', 'load:total': '0' });
    expect((await row(id)).state).to.equal('closed');
    expect(await t.sb.contexts.states.get(a.id)).to.include({ state: 'logged-out' });
  });

  it('re-routes a phone interaction without a live call like any other work', async () => {
    await start();
    const a = await makeAgent(t.url, admin);
    const id = await assign(a, 'phone');
    const b = await makeAgent(t.url, admin);
    await setState(t.url, a, 'logged-out');
    expect((await nextOffer(b)).interactionId).to.equal(id);
  });

  it('tells the owner an invitation was not taken when the invited agent logs out, and withdraws a transfer its owner leaves behind', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: english });
    const id = await assign(a);
    const b = await makeAgent(t.url, admin, { skills: english });
    expect((await api(t.url, 'POST', `/api/interactions/${id}/conference`, { agentId: b.id }, a.token)).status).to.equal(200);
    await nextOffer(b);
    await setState(t.url, b, 'logged-out');
    expect(await a.socket.next((m) => m.type === 'transfer.declined')).to.include({ interactionId: id, agentId: b.id, kind: 'conference', reason: 'withdrawn' });
    expect(await live(id)).to.include({ state: 'assigned', owner: a.id, pending: '' });
    expect(await load(b)).to.include({ 'load:total': '0' });

    // The other way round: a offers it to c, then leaves; the offer goes and the chat is queued for anyone but a.
    const c = await makeAgent(t.url, admin, { skills: english, capacity: one });
    expect((await api(t.url, 'POST', `/api/interactions/${id}/transfer`, { toAgent: c.id }, a.token)).status).to.equal(200);
    const o = await nextOffer(c);
    await setState(t.url, a, 'logged-out');
    await c.socket.next((m) => m.type === 'offer.ended' && m.offerId === o.offerId && m.reason === 'withdrawn');
    // c is free again and the chat waits in its queue: c gets it as a normal offer.
    const again = await nextOffer(c);
    expect(again).to.include({ interactionId: id, kind: 'route' });
  });

  describe('in a conference', () => {
    async function conference(): Promise<{ a: TestAgent; b: TestAgent; id: string }> {
      const a = await makeAgent(t.url, admin, { skills: english });
      const id = await assign(a);
      const b = await makeAgent(t.url, admin, { skills: english });
      expect((await api(t.url, 'POST', `/api/interactions/${id}/conference`, { agentId: b.id }, a.token)).status).to.equal(200);
      const o = await nextOffer(b);
      expect((await accept(t.url, b, o.offerId)).status).to.equal(200);
      await a.socket.next((m) => m.type === 'interaction.updated' && m.interaction.conference === 'active');
      return { a, b, id };
    }

    it('hands the interaction to the guest when the owner logs out', async () => {
      await start();
      const { a, b, id } = await conference();
      await setState(t.url, a, 'logged-out');
      const upd = await b.socket.next((m) => m.type === 'interaction.updated' && m.interaction.id === id && m.interaction.ownerId === b.id);
      expect(upd.interaction).to.include({ state: 'assigned', conference: 'none', conferenceAgentId: null });
      await a.socket.next((m) => m.type === 'interaction.removed' && m.interactionId === id && m.reason === 'transferred');
      expect(await row(id)).to.include({ state: 'assigned', assignedAgentId: b.id });
      expect(await load(b)).to.include({ 'load:chat': '1', 'load:total': '1' });
      expect(await stateOf(t.url, b)).to.equal('busy');
      // The new owner can close it.
      expect((await api(t.url, 'POST', `/api/interactions/${id}/close`, {}, b.token)).status).to.equal(200);
    });

    it('keeps the interaction with the owner when the guest logs out', async () => {
      await start();
      const { a, b, id } = await conference();
      await setState(t.url, b, 'logged-out');
      const upd = await a.socket.next((m) => m.type === 'interaction.updated' && m.interaction.id === id && m.interaction.conference === 'none');
      expect(upd.interaction).to.include({ state: 'assigned', ownerId: a.id });
      await b.socket.next((m) => m.type === 'interaction.removed' && m.interactionId === id && m.reason === 'conference-ended');
      expect(await load(b)).to.include({ 'load:total': '0' });
      expect(await row(id)).to.include({ state: 'assigned', assignedAgentId: a.id });
      await waitState(t.url, a, 'busy');
    });
  });
});
