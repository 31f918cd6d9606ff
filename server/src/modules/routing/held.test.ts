// A held interaction (a mail ticket waiting for its queue to open, a callback waiting for its slot)
// is queued by a job and closed by someone else (the customer withdrawing it, an agent, the job of
// another instance) — sometimes at the same moment. Exactly one of them may win: a ticket closed
// while it was being queued must not wait in the queue to be offered, nor be queued twice.
import { expect } from 'chai';
import { In } from 'typeorm';
import { QUEUE, startRoutingServer } from '../../test/routing.js';
import type { TestServer } from '../../test/server.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';

const ROUNDS = 60;

describe('routing: a held interaction queued and closed at the same time', function () {
  this.timeout(180_000);
  let t: TestServer;
  before(async () => {
    // Nobody logged in: a queued ticket stays queued, where the test can see it.
    t = await startRoutingServer({ 'switchboard.yaml:licensing.maxConcurrentSessions': 1000 });
  });
  after(() => t?.stop());

  const held = (n: number) => t.sb.contexts.routing.createHeld({ channel: 'mail', queueId: QUEUE.mail, subject: `Held ${n}` });
  const steps = async (id: string) => (await t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: id, type: In(['queued', 'closed']) }, order: { seq: 'ASC' } })).map((e) => e.type);

  it('is either queued or closed, never both', async () => {
    const routing = t.sb.contexts.routing;
    const outcomes = new Set<string>();
    for (let n = 0; n < ROUNDS; n++) {
      const i = await held(n);
      // Every other round the row in hand, as the callbacks' job passes it: queueing then starts
      // without reading it, and wins about as often as the close.
      const [queued, closed] = await Promise.allSettled([routing.enqueueHeld(n % 2 ? i : i.id), routing.closeHeld(i.id, 'customer')]);
      if (closed.status === 'rejected') throw closed.reason;
      const row = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: i.id });
      const live = await routing.engine.interactionLive(i.id);
      if (closed.value) {
        outcomes.add('closed');
        expect(queued.status, `round ${n}: closed, and queued too`).to.equal('rejected');
        expect([row.state, live.state ?? null, await steps(i.id)], `round ${n}`).to.deep.equal(['closed', null, ['closed']]);
      } else {
        outcomes.add('queued');
        expect(queued.status === 'fulfilled' && queued.value.outcome, `round ${n}`).to.equal('queued');
        expect([row.state, live.state, await steps(i.id)], `round ${n}`).to.deep.equal(['queued', 'queued', ['queued']]);
        await routing.cancel(i.id);
      }
    }
    // Each order once more, one after the other, so both outcomes are checked in every run: how
    // often each wins the race above depends on the machine's load.
    const first = await held(ROUNDS);
    expect((await routing.enqueueHeld(first.id)).outcome).to.equal('queued');
    expect(await routing.closeHeld(first.id, 'customer'), 'closing a ticket already queued').to.equal(false);
    expect([(await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: first.id })).state, await steps(first.id)]).to.deep.equal(['queued', ['queued']]);
    await routing.cancel(first.id);
    const second = await held(ROUNDS + 1);
    expect(await routing.closeHeld(second.id, 'customer')).to.equal(true);
    let refused = false;
    await routing.enqueueHeld(second.id).catch(() => (refused = true));
    expect(refused, 'queueing a ticket already closed').to.equal(true);
    expect([(await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: second.id })).state, (await routing.engine.interactionLive(second.id)).state ?? null, await steps(second.id)]).to.deep.equal(['closed', null, ['closed']]);
    console.log(`      race outcomes over ${ROUNDS} rounds: ${[...outcomes].sort().join(', ')}`);
  });

  it('is queued by the look for stranded ones when its queueing died between its row and Redis, once', async () => {
    const routing = t.sb.contexts.routing;
    const db = t.sb.kernel.db;
    // What an instance killed between the two leaves: the row queued (minutes ago), Redis without it.
    const strand = async (n: number, minutesAgo: number) => {
      const i = await held(n);
      await db.query('UPDATE interactions SET state = ?, queuedAt = CURRENT_TIMESTAMP, updatedAt = CURRENT_TIMESTAMP - INTERVAL ? MINUTE WHERE id = ?', ['queued', minutesAgo, i.id]);
      return i;
    };
    const stranded = await strand(ROUNDS + 10, 10);
    // Written a moment ago: may still be on its way to Redis, so it is left alone.
    const recent = await strand(ROUNDS + 11, 0);
    const queued = await held(ROUNDS + 12);
    expect((await routing.enqueueHeld(queued.id)).outcome).to.equal('queued');

    expect(await routing.resumeStranded()).to.equal(1);
    const row = await db.getRepository(Interaction).findOneByOrFail({ id: stranded.id });
    expect([row.state, (await routing.engine.interactionLive(stranded.id)).state, await steps(stranded.id)]).to.deep.equal(['queued', 'queued', ['queued']]);
    expect((await routing.engine.interactionLive(recent.id)).state ?? null, 'the one written a moment ago').to.equal(null);
    expect(await steps(queued.id)).to.deep.equal(['queued']);
    // Queued now (its entry written): not found again.
    expect(await routing.resumeStranded()).to.equal(0);
    expect(await steps(stranded.id)).to.deep.equal(['queued']);
    for (const i of [stranded, queued]) await routing.cancel(i.id);
    await routing.closeHeld(recent.id, 'system');
  });

  it('is queued once when two try to queue it at once', async () => {
    const routing = t.sb.contexts.routing;
    for (let n = 0; n < ROUNDS; n++) {
      const i = await held(n);
      const tries = await Promise.allSettled([routing.enqueueHeld(i.id), routing.enqueueHeld(i.id)]);
      expect(tries.map((r) => r.status).sort(), `round ${n}`).to.deep.equal(['fulfilled', 'rejected']);
      const row = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: i.id });
      expect([row.state, await steps(i.id)], `round ${n}`).to.deep.equal(['queued', ['queued']]);
      await routing.cancel(i.id);
    }
  });
});
