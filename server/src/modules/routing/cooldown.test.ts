// Nobody waits forever: agents who declined an interaction are skipped only for the queue's
// cool-down, and a queue's maximum wait sends it to the overflow queue (or to a message).
import { expect } from 'chai';
import { InteractionEvent } from '../journey/event.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { QUEUE, accept, api, createInteraction, login, makeAgent, nextOffer, setState, startRoutingServer, type TestServer } from '../../test/routing.js';

describe('routing: declines cool down, long waits overflow', function () {
  // A 14 s cool-down after a 5 s ring-out, waited for in full.
  this.timeout(90_000);
  let t: TestServer;
  let admin: string;
  afterEach(() => t?.stop());

  it('offers a chat again, in the normal order, once every agent who rejected or missed it has cooled down', async () => {
    // A cool-down longer than the offer timeout (5 s) but far below the default minute, so both
    // agents are cooling down at once without the test waiting long. The 9 s beyond the ring-out
    // keep A cooling down until the position is read even on a loaded machine (with 8 s, three
    // seconds of delay let A's cool-down end first and the chat was already offered again).
    t = await startRoutingServer({ 'queues.yaml:queues.0.declineCooldownSeconds': 14, 'queues.yaml:queues.0.autoNotReadyAfterMissed': undefined });
    admin = await login(t.url);
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    const b = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 6 }] });
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const id = r.interaction.id as string;

    const first = await nextOffer(a);
    expect((await api(t.url, 'POST', `/api/offers/${first.offerId}/reject`, undefined, a.token)).status).to.equal(204);
    const second = await nextOffer(b);
    expect(second.interactionId).to.equal(id);
    // B lets it ring out: RONA, then back to Available, as in the reported case.
    await b.socket.next((m) => m.type === 'offer.ended' && m.reason === 'timeout', 15000);
    await setState(t.url, b, 'available');
    const waitingSince = performance.now();

    // Both declined: it waits (still queued, first in line) until the cool-down is over, and then
    // goes to the best agent first, as any new chat would.
    expect(await t.sb.contexts.routing.position(id)).to.include({ state: 'queued', position: 1 });
    const again = await nextOffer(a, 30000);
    expect(again.interactionId).to.equal(id);
    console.log(`      offered again ${Math.round(performance.now() - waitingSince)} ms after both declined (cool-down 14 s, offer timeout 5 s)`);
    expect(b.socket.messages.filter((m) => m.type === 'offer')).to.deep.equal([]);
    expect((await accept(t.url, a, again.offerId)).status).to.equal(200);
    const journey = await t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: id }, order: { seq: 'ASC' } });
    expect(journey.map((e) => e.type)).to.deep.equal(['created', 'queued', 'offered', 'offer.rejected', 'offered', 'offer.timeout', 'offered', 'assigned']);
  });

  it('moves a chat that waited the queue maximum to its overflow queue, where an agent of that queue gets it', async () => {
    t = await startRoutingServer({
      'queues.yaml:queues.0.maxWaitSeconds': 2,
      'queues.yaml:queues.0.overflowQueue': 'overflow-chat',
      'queues.yaml:queues.5': { id: 'overflow-chat', name: 'Overflow (chat)', channel: 'chat', skills: [{ skill: 'billing', level: 1 }], offerTimeoutSeconds: 5, wrapUpSeconds: 0 },
    });
    admin = await login(t.url);
    // Only billing agents serve the overflow queue; the English queue has an agent on a break.
    const english = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    await setState(t.url, english, 'not-ready', 'break');
    const billing = await makeAgent(t.url, admin, { skills: [{ skill: 'billing', level: 5 }] });
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    expect(r.outcome).to.equal('queued');
    const id = r.interaction.id as string;

    const offer = await nextOffer(billing, 20000);
    expect(offer.interactionId).to.equal(id);
    expect(offer.queueId).to.equal('overflow-chat');
    // Its wait goes on from its first entry: the offer, routing's state and MySQL say the same.
    expect(offer.waitingSince).to.equal(r.interaction.queuedAt);
    expect(Number((await t.sb.contexts.routing.engine.interactionLive(id)).queuedAt)).to.equal(Date.parse(r.interaction.queuedAt));
    expect((await accept(t.url, billing, offer.offerId)).status).to.equal(200);
    const row = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id });
    expect(row).to.include({ queueId: 'overflow-chat', state: 'assigned', unmanaged: false });
    const journey = await t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: id }, order: { seq: 'ASC' } });
    expect(journey.map((e) => e.type)).to.deep.equal(['created', 'queued', 'overflowed', 'offered', 'assigned']);
    expect(journey[2]!.data).to.include({ from: QUEUE.chat, to: 'overflow-chat' });
  });

  it('makes a chat unmanaged when its overflow queue also waited too long, and stops there', async () => {
    t = await startRoutingServer({
      'queues.yaml:queues.0.maxWaitSeconds': 1,
      'queues.yaml:queues.0.overflowQueue': 'overflow-chat',
      'queues.yaml:queues.5': { id: 'overflow-chat', name: 'Overflow (chat)', channel: 'chat', maxWaitSeconds: 1, overflowQueue: QUEUE.chat },
    });
    admin = await login(t.url);
    const keeper = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    await setState(t.url, keeper, 'not-ready', 'break');
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const id = r.interaction.id as string;
    const repo = t.sb.kernel.db.getRepository(Interaction);
    const events = () => t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: id }, order: { seq: 'ASC' } });
    // The row says unmanaged a statement before the journey does: wait for the journey's step.
    for (let n = 0; n < 200 && !(await events()).some((e) => e.type === 'unmanaged'); n++) await new Promise((res) => setTimeout(res, 100));
    const row = await repo.findOneByOrFail({ id });
    expect(row).to.include({ state: 'unmanaged', unmanaged: true, timedOut: true });
    const journey = await events();
    // Two queues pointing at each other: three hops, then the visitor is offered to leave a message.
    expect(journey.map((e) => e.type)).to.deep.equal(['created', 'queued', 'overflowed', 'overflowed', 'overflowed', 'unmanaged']);
  });
});
