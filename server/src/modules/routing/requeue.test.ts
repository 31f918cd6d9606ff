// An interaction whose offer failed (rejected, rung out) goes back to its queue at the place it
// had: it is served before everything that entered after it, and its wait keeps counting from its
// first entry — the offer's "waiting since", the queue's order and MySQL's queuedAt say so.
// The later arrival is in another queue of the same priority (order is across queues too), one the
// first agent cannot serve, so nothing but the two places decides which the next agent gets.
import { expect } from 'chai';
import { Interaction } from '../interactions/interaction.entity.js';
import { newId } from '../../kernel/db/ids.js';
import { ManualClock } from '../../test/clock.js';
import { QUEUE, accept, api, createInteraction, login, makeAgent, nextOffer, setState, startRoutingServer, stateOf, type TestAgent, type TestServer } from '../../test/routing.js';

describe('routing: a requeued interaction keeps its place', function () {
  // A server per test, and the routing around it, stretch on a loaded machine.
  this.timeout(90_000);
  let t: TestServer;
  // Offers ring out (5 s) only when a test moves this clock: on a loaded machine a reject, or the
  // next agent's accept, could otherwise come after its offer had run out.
  let clock: ManualClock;
  let admin: string;
  afterEach(() => t?.stop());

  const english = [{ skill: 'english', level: 8 }];
  const row = (id: string) => t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id });

  /**
   * `first` (the only one able to take the first interaction's channel) is offered it; a second
   * interaction of the same priority enters after it, on the other channel; `next` can take both
   * but is on a break until the test says.
   */
  async function stage(channel: 'chat' | 'phone', other: 'chat' | 'phone'): Promise<{ first: TestAgent; next: TestAgent; older: string; newer: string; since: string }> {
    clock = new ManualClock(new Date());
    t = await startRoutingServer({}, { clock });
    admin = await login(t.url);
    const next = await makeAgent(t.url, admin, { skills: english });
    await setState(t.url, next, 'not-ready', 'break');
    const first = await makeAgent(t.url, admin, { skills: english, capacity: { [other]: 0 } });
    const priority = t.sb.kernel.config().queues.find((q) => q.id === QUEUE[channel])!.priority;
    const older = (await createInteraction(t.url, admin, { channel, queueId: QUEUE[channel] })).interaction.id as string;
    const offer = await nextOffer(first);
    expect(offer.interactionId).to.equal(older);
    clock.at(1);
    const newer = (await createInteraction(t.url, admin, { channel: other, queueId: QUEUE[other], priority })).interaction.id as string;
    expect(await t.sb.contexts.routing.position(newer)).to.include({ state: 'queued', position: 1 });
    return { first, next, older, newer, since: offer.waitingSince! };
  }

  /** Back in its queue: its wait counts from its first entry, and the next agent gets it before the newer one. */
  async function servedFirst(s: Awaited<ReturnType<typeof stage>>): Promise<void> {
    expect(await t.sb.contexts.routing.position(s.older)).to.include({ state: 'queued', position: 1 });
    expect((await row(s.older)).queuedAt!.toISOString()).to.equal(s.since);
    expect(Number((await t.sb.contexts.routing.engine.interactionLive(s.older)).queuedAt)).to.equal(Date.parse(s.since));
    const waiting = await t.sb.contexts.routing.engine.waiting(QUEUE[(await row(s.older)).channel as 'chat' | 'phone']);
    expect(waiting.oldestQueuedAt, "the supervisor's longest wait counts from the first entry").to.equal(Date.parse(s.since));

    await setState(t.url, s.next, 'available');
    const o = await nextOffer(s.next);
    expect(o.interactionId, 'the older interaction is served first').to.equal(s.older);
    expect(o.waitingSince).to.equal(s.since);
    expect((await accept(t.url, s.next, o.offerId)).status).to.equal(200);
    expect((await row(s.older)).queuedAt!.toISOString()).to.equal(s.since);
  }

  it('offers a rejected chat before a later arrival of the same priority, its wait counted from its first entry', async () => {
    const s = await stage('chat', 'phone');
    const offerId = (await t.sb.contexts.routing.engine.interactionLive(s.older)).offer!;
    expect((await api(t.url, 'POST', `/api/offers/${offerId}/reject`, undefined, s.first.token)).status).to.equal(204);
    await servedFirst(s);
  });

  it('offers a phone call that rang out (RONA) before a later arrival of the same priority, its wait counted from its first entry', async () => {
    const s = await stage('phone', 'chat');
    clock.at(5);
    await s.first.socket.next((m) => m.type === 'offer.ended' && m.reason === 'timeout');
    expect(await stateOf(t.url, s.first)).to.equal('rona');
    await servedFirst(s);
  });

  it('refuses to put back a call the PBX routed (never in a queue here), leaving it with its agent rather than in no queue', async () => {
    t = await startRoutingServer();
    admin = await login(t.url);
    const a = await makeAgent(t.url, admin, { skills: english });
    const id = newId();
    await t.sb.kernel.db.getRepository(Interaction).insert({
      id, channel: 'phone', direction: 'inbound', state: 'queued', queueId: null, websiteId: null, contactId: null, assignedAgentId: null, routingVariables: {},
      subject: null, dispositionId: null, unmanaged: false, offline: false, timedOut: false, visitorTokenHash: null, queuedAt: new Date(), assignedAt: null, closedAt: null,
    });
    expect(await t.sb.contexts.routing.claim(id, a.id)).to.not.equal(null);
    const err = await t.sb.contexts.routing.requeue(id, a.id, { reason: 'agent-not-connected' }).then(() => null, (e: unknown) => e);
    expect(err).to.include({ status: 409, code: 'no_queue' });
    expect(await t.sb.contexts.routing.engine.interactionLive(id)).to.include({ state: 'assigned', owner: a.id });
    expect(await row(id)).to.include({ state: 'assigned', assignedAgentId: a.id });
  });
});
