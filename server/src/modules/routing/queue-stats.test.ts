// The supervisor's queue statistics: which logged-in agents count for a queue (its channel in their
// capacity, its skills at the level of its most relaxed step), by state, and which of them could
// take one more of it now (free, no pending offer, under capacity, not on a call for a chat).
import { expect } from 'chai';
import { QUEUE, accept, api, createInteraction, login, makeAgent, nextOffer, setState, startRoutingServer, type TestServer } from '../../test/routing.js';

describe('routing: queue statistics', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    // Chat: English at 5, relaxed to 2 at most (no step for any agent); offers wait until answered.
    t = await startRoutingServer({
      'queues.yaml:queues.0.relax': [{ afterSeconds: 30, minLevelDrop: 3 }],
      'queues.yaml:queues.0.offerTimeoutSeconds': 600,
      'queues.yaml:queues.1.offerTimeoutSeconds': 600,
    });
    admin = await login(t.url);
  });
  after(() => t.stop());
  const english = (level: number) => [{ skill: 'english', level }];

  it('counts the agents of each queue by state, those free for it now, and its pending offers', async () => {
    // On a phone call: counts for chat, busy, but takes no chat (chats wait while agents are on calls).
    const onCall = await makeAgent(t.url, admin, { skills: english(5) });
    await createInteraction(t.url, admin, { channel: 'phone', queueId: QUEUE.phone });
    expect((await accept(t.url, onCall, (await nextOffer(onCall)).offerId)).status).to.equal(200);
    // Offered a chat, not yet answered: counts, offered, not free.
    const offered = await makeAgent(t.url, admin, { skills: english(5) });
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    await nextOffer(offered);
    // English 1: below the relaxed 2, not an agent of the chat queue; one of the phone queue's.
    await makeAgent(t.url, admin, { skills: english(1) });
    // English 2 (the relaxed level) but Not ready.
    const notReady = await makeAgent(t.url, admin, { skills: english(2), available: false });
    await setState(t.url, notReady, 'not-ready', 'break');
    // No chat in their capacity.
    await makeAgent(t.url, admin, { skills: english(9), capacity: { chat: 0 } });
    // Full: their one chat is their whole capacity.
    const full = await makeAgent(t.url, admin, { skills: english(5), capacity: { chat: 1, total: 1 } });
    const chat = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const o = await nextOffer(full);
    expect(o.interactionId).to.equal(chat.interaction.id);
    expect((await accept(t.url, full, o.offerId)).status).to.equal(200);
    // Free for chat: counts and is available.
    await makeAgent(t.url, admin, { skills: english(4) });

    const queues = (await api(t.url, 'GET', '/api/routing/queues', undefined, admin)).body.queues as Record<string, unknown>[];
    const view = (id: string) => {
      const q = queues.find((x) => x.queueId === id)!;
      return { agents: q.agents, available: q.available, offered: q.offered, waiting: q.waiting };
    };
    const states = (s: Record<string, number>) => ({ 'logged-out': 0, available: 0, 'not-ready': 0, busy: 0, 'wrap-up': 0, rona: 0, ...s });
    expect(view(QUEUE.chat)).to.deep.equal({ agents: states({ available: 2, busy: 2, 'not-ready': 1 }), available: 1, offered: 1, waiting: 0 });
    expect(view(QUEUE.phone)).to.deep.equal({ agents: states({ available: 4, busy: 2, 'not-ready': 1 }), available: 3, offered: 0, waiting: 0 });
    // Pushed to supervisors as the same view.
    const sup = await makeAgent(t.url, admin, { role: 'supervisor', available: false });
    sup.socket.send({ type: 'queues.watch', ref: 'w' });
    const pushed = (await sup.socket.next((m) => m.ref === 'w')).queues as Record<string, unknown>[];
    expect(pushed.find((q) => q.queueId === QUEUE.chat)).to.deep.include({ available: 1, offered: 1 });
  });
});
