// The routing decision against real Redis and MySQL: who gets the offer, in which order, and what
// happens when it is rejected or left to ring. Each test gets its own server and Redis prefix, so
// no queue or agent state leaks between tests.
import { expect } from 'chai';
import { AgentStateChange } from '../agents/agent.entity.js';
import { Offer } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import {
  QUEUE, accept, api, createInteraction, login, makeAgent, noOffer, nextOffer, setState, startRoutingServer, stateOf, type TestServer,
} from '../../test/routing.js';

describe('routing: who gets the offer', function () {
  // Offers ring out after 5 s; several such waits in one test under a loaded machine.
  this.timeout(90_000);
  let t: TestServer;
  let admin: string;
  const start = async (extra: Record<string, unknown> = {}) => {
    t = await startRoutingServer(extra);
    admin = await login(t.url);
  };
  afterEach(() => t?.stop());

  it('offers a chat to the agent with the best matching skill, not to the one below the required level', async () => {
    await start();
    const low = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 3 }] });
    const good = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 6 }] });
    const best = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat, subject: 'Where is my order?' });
    expect(r.outcome).to.equal('queued');
    const offer = await nextOffer(best);
    expect(offer.interactionId).to.equal(r.interaction.id);
    expect(offer.kind).to.equal('route');
    await noOffer(good, 300);
    await noOffer(low, 300);
  });

  it('breaks a tie in skill by giving the offer to the agent idle the longest', async () => {
    await start();
    const first = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 7 }] });
    await new Promise((r) => setTimeout(r, 20));
    const second = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 7 }] });
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    await nextOffer(first);
    await noOffer(second, 300);
  });

  it('serves the higher priority first when an agent becomes available, across queues and inside one', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }], available: false });
    // a mail is present before anyone is available, so it would be unmanaged: keep a second agent online but not ready
    const keeper = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    await setState(t.url, keeper, 'not-ready', 'break');
    await setState(t.url, a, 'not-ready', 'break');
    const mail = await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail }); // queue priority 2
    const chatLow = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat }); // priority 5
    const chatHigh = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat, priority: 9 });
    expect([mail.position, chatLow.position, chatHigh.position]).to.deep.equal([1, 1, 1]);
    await setState(t.url, a, 'available');
    const o1 = await nextOffer(a);
    expect(o1.interactionId).to.equal(chatHigh.interaction.id);
    expect((await accept(t.url, a, o1.offerId)).status).to.equal(200);
    const o2 = await nextOffer(a);
    expect(o2.interactionId).to.equal(chatLow.interaction.id);
    expect((await accept(t.url, a, o2.offerId)).status).to.equal(200);
    const o3 = await nextOffer(a);
    expect(o3.interactionId).to.equal(mail.interaction.id);
  });

  it('relaxes the required level after the configured wait, then offers to the less skilled agent', async () => {
    await start({ 'queues.yaml:queues.0.relax': [{ afterSeconds: 2, minLevelDrop: 3 }] });
    const junior = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 2 }] });
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    await noOffer(junior, 1200);
    const offer = await nextOffer(junior);
    expect(offer.kind).to.equal('route');
  });

  it('keeps one capacity across channels: no chat for an agent on a call, and never more than the limits', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }], capacity: { chat: 2, phone: 1, total: 3 } });
    const call = await createInteraction(t.url, admin, { channel: 'phone', queueId: QUEUE.phone });
    const o = await nextOffer(a);
    expect(o.interactionId).to.equal(call.interaction.id);
    expect((await accept(t.url, a, o.offerId)).status).to.equal(200);
    expect(await stateOf(t.url, a)).to.equal('busy');
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    await noOffer(a, 800); // on a call, and support-chat does not allow chats during calls
    const call2 = await createInteraction(t.url, admin, { channel: 'phone', queueId: QUEUE.phone });
    await noOffer(a, 500); // phone capacity is 1
    const closed = await api(t.url, 'POST', `/api/interactions/${call.interaction.id}/close`, {}, a.token);
    expect(closed.status, JSON.stringify(closed.body)).to.equal(200);
    // Off the call: the waiting call (priority 7) comes before the chat (5); once on it, no chat again.
    const o2 = await nextOffer(a);
    expect(o2.interactionId).to.equal(call2.interaction.id);
    expect((await accept(t.url, a, o2.offerId)).status).to.equal(200);
    await noOffer(a, 800);
    const view = (await api(t.url, 'GET', '/api/routing/agents', undefined, admin)).body.agents.find((x: { agentId: string }) => x.agentId === a.id);
    expect(view.load).to.deep.include({ phone: 1, total: 1 });
    expect(view.pendingOfferId).to.equal(null);
  });

  it('never offers more chats than the chat limit, and the next one when a chat closes', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }], capacity: { chat: 2, total: 4 } });
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) ids.push((await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id);
    for (let n = 0; n < 2; n++) {
      const o = await nextOffer(a);
      expect(o.interactionId).to.equal(ids[n]);
      expect((await accept(t.url, a, o.offerId)).status).to.equal(200);
    }
    await noOffer(a, 800);
    expect(await stateOf(t.url, a)).to.equal('busy');
    expect((await api(t.url, 'POST', `/api/interactions/${ids[0]}/close`, { disposition: 'resolved' }, a.token)).status).to.equal(200);
    const third = await nextOffer(a);
    expect(third.interactionId).to.equal(ids[2]);
  });

  it('puts an agent who lets an offer ring out in RONA and offers it to the next agent', async () => {
    await start();
    const sleepy = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    const other = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 6 }] });
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const first = await nextOffer(sleepy);
    const ended = await sleepy.socket.next((m) => m.type === 'offer.ended', 20_000);
    expect(ended).to.include({ offerId: first.offerId, reason: 'timeout' });
    expect(await stateOf(t.url, sleepy)).to.equal('rona');
    const second = await nextOffer(other);
    expect(second.interactionId).to.equal(r.interaction.id);
    // Too late: the first offer is gone, and the agent stays in RONA until they choose Available.
    const late = await accept(t.url, sleepy, first.offerId);
    expect(late.status).to.equal(409);
    expect(late.body.error.code).to.equal('offer_closed');
    expect((await accept(t.url, other, second.offerId)).status).to.equal(200);
    const taken = await sleepy.socket.next((m) => m.type === 'offer.ended' && m.reason === 'taken');
    expect(taken.byAgentId).to.equal(other.id);
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    await noOffer(sleepy, 600);
    await setState(t.url, sleepy, 'available');
    await nextOffer(sleepy);
    const offers = await t.sb.kernel.db.getRepository(Offer).findBy({ interactionId: r.interaction.id });
    expect(offers.map((o) => o.state).sort()).to.deep.equal(['accepted', 'timeout']);
    const states = await t.sb.kernel.db.getRepository(AgentStateChange).find({ where: { agentId: sleepy.id }, order: { seq: 'ASC' } });
    expect(states.map((s) => s.state)).to.include('rona');
  });

  it('moves a rejected offer to another agent and not back to the one who rejected it during the cool-down', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    const b = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 6 }] });
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const o = await nextOffer(a);
    const rej = await api(t.url, 'POST', `/api/offers/${o.offerId}/reject`, undefined, a.token);
    expect(rej.status).to.equal(204);
    expect(await stateOf(t.url, a)).to.equal('available');
    const o2 = await nextOffer(b);
    expect(o2.interactionId).to.equal(r.interaction.id);
    expect((await api(t.url, 'POST', `/api/offers/${o2.offerId}/reject`, undefined, b.token)).status).to.equal(204);
    await noOffer(a, 600);
    const pos = await t.sb.contexts.routing.position(r.interaction.id);
    expect(pos).to.include({ state: 'queued', position: 1 });
    const journey = await t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: r.interaction.id }, order: { seq: 'ASC' } });
    expect(journey.map((e) => e.type)).to.deep.equal(['created', 'queued', 'offered', 'offer.rejected', 'offered', 'offer.rejected']);
  });

  it('makes an agent Not ready (missed-offers) instead of RONA after the configured number of missed offers', async () => {
    await start({ 'queues.yaml:queues.0.autoNotReadyAfterMissed': 1 });
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    await nextOffer(a);
    await a.socket.next((m) => m.type === 'offer.ended' && m.reason === 'timeout', 20_000);
    const status = (await api(t.url, 'GET', `/api/agents/${a.id}/state`, undefined, a.token)).body;
    expect(status).to.include({ state: 'not-ready', reason: 'missed-offers' });
  });

  it('withdraws a pending offer when the agent leaves Available and offers it to the next agent', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    const b = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 6 }] });
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const o = await nextOffer(a);
    await setState(t.url, a, 'not-ready', 'lunch');
    expect(await a.socket.next((m) => m.type === 'offer.ended')).to.include({ offerId: o.offerId, reason: 'withdrawn' });
    const o2 = await nextOffer(b);
    expect(o2.interactionId).to.equal(r.interaction.id);
    expect((await accept(t.url, b, o2.offerId)).status).to.equal(200);
    expect(await stateOf(t.url, b)).to.equal('busy');
  });
});
