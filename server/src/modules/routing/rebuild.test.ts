// Redis holds the live routing state; if it loses it (a restart without persistence, FLUSHDB),
// queues, loads and agent states must come back from MySQL without an interaction being assigned
// twice or an agent going over capacity. These tests delete the keys from real Redis while agents
// hold work and offers are pending, and check what the server put back.
import { expect } from 'chai';
import { Offer } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { createRedis } from '../../kernel/redis.js';
import { eventually } from '../../test/redis.js';
import { newId } from '../../kernel/db/ids.js';
import { RoutingRecords } from './records.js';
import { QUEUE, accept, api, createInteraction, login, makeAgent, nextOffer, setState, startRoutingServer, stateOf, uniquePrefix, type TestAgent, type TestServer } from '../../test/routing.js';

const english = [{ skill: 'english', level: 8 }];
const one = { chat: 1, total: 1 };
// No relaxation and a long offer timeout: nothing moves unless the test moves it.
const settings = { 'queues.yaml:queues.0.relax': [], 'queues.yaml:queues.0.offerTimeoutSeconds': 60 };

describe('routing: rebuilding a lost routing state from MySQL', () => {
  const servers: TestServer[] = [];
  let admin: string;
  const start = async (prefix: string) => {
    const t = await startRoutingServer(settings, { redisPrefix: prefix });
    servers.push(t);
    admin = await login(t.url);
    return t;
  };
  afterEach(async () => {
    for (const t of servers.splice(0)) await t.stop();
  });

  /** What losing Redis does to one installation: every key of these kinds under its prefix goes. */
  async function lose(t: TestServer, kinds = ['routing:*']): Promise<void> {
    const redis = t.sb.kernel.redis;
    for (const kind of kinds) {
      const keys = await redis.client.keys(redis.key('') + kind);
      if (keys.length) await redis.client.del(...keys);
    }
  }
  async function rebuilt(t: TestServer): Promise<void> {
    const until = Date.now() + 60_000;
    while (!(await t.sb.contexts.routing.rebuilder.present())) {
      if (Date.now() > until) throw new Error('routing state not rebuilt');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const assignedCount = async (t: TestServer, id: string) => t.sb.kernel.db.getRepository(InteractionEvent).countBy({ interactionId: id, type: 'assigned' });
  const load = (t: TestServer, a: TestAgent) => t.sb.contexts.routing.engine.agentLoad(a.id);

  async function assign(t: TestServer, a: TestAgent): Promise<string> {
    const id = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    const o = await nextOffer(a);
    expect(o.interactionId).to.equal(id);
    expect((await accept(t.url, a, o.offerId)).status).to.equal(200);
    return id;
  }

  it("finds a conference's guest in its latest conference offer, when the offers were made in the same millisecond", async () => {
    const t = await start(uniquePrefix());
    const b = await makeAgent(t.url, admin, { skills: english, available: false });
    const c = await makeAgent(t.url, admin, { skills: english, available: false });
    const db = t.sb.kernel.db;
    // B's conference, ended, then C's, on a clock that does not move; their ids sort the other way round.
    const at = new Date();
    const id = newId();
    await db.getRepository(Interaction).insert({
      id, channel: 'chat', direction: 'inbound', state: 'conference', queueId: QUEUE.chat, websiteId: null, contactId: null, assignedAgentId: null, routingVariables: {}, subject: null,
      dispositionId: null, unmanaged: false, offline: false, timedOut: false, visitorTokenHash: null, queuedAt: at, assignedAt: at, closedAt: null,
    });
    for (const [agentId, first] of [[b.id, 'f'], [c.id, '0']]) {
      await db.getRepository(Offer).insert({ id: first + newId().slice(1), interactionId: id, agentId, state: 'accepted', kind: 'conference', offeredAt: at, expiresAt: at, respondedAt: at });
    }
    const guests = await new RoutingRecords(db, async () => []).conferenceGuests([id]);
    expect(guests.get(id)).to.equal(c.id);
  });

  it('puts queues, loads and a pending offer back after the routing keys vanish mid-operation, assigning nothing twice', async () => {
    const t = await start(uniquePrefix());
    const a = await makeAgent(t.url, admin, { skills: english, capacity: one });
    const c1 = await assign(t, a);
    const b = await makeAgent(t.url, admin, { skills: english, capacity: one });
    const c2 = await assign(t, b);
    const c3 = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    const c4 = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    const c = await makeAgent(t.url, admin, { skills: english, capacity: one });
    const lost = await nextOffer(c);
    expect(lost.interactionId).to.equal(c3);

    await lose(t);
    await rebuilt(t);

    // c3's offer died with Redis: c is offered it again (it is still the oldest waiting), once.
    const again = await nextOffer(c);
    expect(again.interactionId).to.equal(c3);
    expect(again.offerId).to.not.equal(lost.offerId);
    expect(await c.socket.next((m) => m.type === 'snapshot')).to.have.nested.property('offers[0].offerId', again.offerId);
    expect((await accept(t.url, c, lost.offerId)).status).to.equal(404);
    expect((await t.sb.kernel.db.getRepository(Offer).findOneByOrFail({ id: lost.offerId })).state).to.equal('withdrawn');
    expect((await accept(t.url, c, again.offerId)).status).to.equal(200);

    // Loads and states as before the loss; c4 waits with its original enqueue time.
    for (const [agent, held] of [[a, c1], [b, c2], [c, c3]] as const) {
      expect(await load(t, agent)).to.include({ 'load:chat': '1', 'load:total': '1' });
      expect(await t.sb.contexts.routing.engine.interactionsOf(agent.id)).to.deep.equal([held]);
      expect(await stateOf(t.url, agent)).to.equal('busy');
    }
    const live = await t.sb.contexts.routing.engine.interactionLive(c4);
    const row = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: c4 });
    expect(live).to.include({ state: 'queued', queuedAt: String(row.queuedAt!.getTime()) });
    expect(await t.sb.contexts.routing.position(c4)).to.include({ position: 1 });
    for (const id of [c1, c2, c3]) expect(await assignedCount(t, id)).to.equal(1);

    // Work goes on: a closes c1 and gets c4; nobody is offered anything held.
    expect((await api(t.url, 'POST', `/api/interactions/${c1}/close`, {}, a.token)).status).to.equal(200);
    expect((await nextOffer(a)).interactionId).to.equal(c4);
    expect(b.socket.messages.filter((m) => m.type === 'offer')).to.deep.equal([]);
  });

  it('lets one of two instances rebuild, while a new interaction on the other waits for it instead of finding nobody', async () => {
    const prefix = uniquePrefix();
    const t1 = await start(prefix);
    const t2 = await start(prefix);
    let runs = 0;
    const swept = [0, 0];
    for (const [n, t] of [t1, t2].entries()) {
      const r = t.sb.contexts.routing.rebuilder;
      const original = r.rebuild.bind(r);
      r.rebuild = async () => {
        runs++;
        return original();
      };
      const routing = t.sb.contexts.routing;
      const sweep = routing.sweep.bind(routing);
      routing.sweep = async () => {
        await sweep();
        swept[n]!++;
      };
    }
    const a = await makeAgent(t1.url, admin, { skills: english, capacity: one });
    const c1 = await assign(t1, a);
    const b = await makeAgent(t2.url, admin, { skills: english, capacity: one });

    await lose(t1);
    const created = await createInteraction(t2.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    expect(created.outcome).to.equal('queued');
    expect((await nextOffer(b)).interactionId).to.equal(created.interaction.id);
    // Two sweeps ended on each instance from here: the second began after the offer, so each
    // instance's sweep has looked at the marker since the rebuild.
    const since = [...swept];
    await eventually(async () => swept, (s) => s.every((n, i) => n >= since[i]! + 2), 200, 50);
    expect(runs).to.equal(1);
    expect(await load(t2, a)).to.include({ 'load:chat': '1', 'load:total': '1' });
    expect(await assignedCount(t1, c1)).to.equal(1);
  });

  it('rebuilds at start: agents with a session get their last recorded state, those without are logged out', async () => {
    const prefix = uniquePrefix();
    const t = await start(prefix);
    const a = await makeAgent(t.url, admin, { skills: english, capacity: one });
    const c1 = await assign(t, a);
    const n = await makeAgent(t.url, admin, { skills: english, available: false });
    await setState(t.url, n, 'not-ready', 'lunch');
    const gone = await makeAgent(t.url, admin, { skills: english });
    const waiting = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    expect((await nextOffer(gone)).interactionId).to.equal(waiting);
    await servers.pop()!.stop();

    // Redis restarted empty, except that a and n kept their sessions (gone's went with it).
    const redis = createRedis(t.config.main.redis);
    await redis.client.connect();
    for (const kind of ['routing:*', 'agent-state:*', `agent-sessions:${gone.id}`]) {
      const keys = await redis.client.keys(redis.key('') + kind);
      if (keys.length) await redis.client.del(...keys);
    }
    await redis.close();
    const t3 = await start(prefix);

    expect(await stateOf(t3.url, a)).to.equal('busy');
    expect(await t3.sb.contexts.states.get(n.id)).to.include({ state: 'not-ready', reason: 'lunch' });
    expect((await t3.sb.contexts.states.get(gone.id)).state).to.equal('logged-out');
    expect(await load(t3, a)).to.include({ 'load:chat': '1', 'load:total': '1' });
    expect(await t3.sb.contexts.routing.engine.interactionsOf(a.id)).to.deep.equal([c1]);
    // The offer to gone is gone; the interaction waits for an agent.
    expect(await t3.sb.contexts.routing.position(waiting)).to.include({ state: 'queued', position: 1 });
    const b = await makeAgent(t3.url, admin, { skills: english });
    expect((await nextOffer(b)).interactionId).to.equal(waiting);
  });

  it('does not write back as queued an interaction whose customer left as soon as it was restored', async () => {
    const t = await start(uniquePrefix());
    const a = await makeAgent(t.url, admin, { skills: english, capacity: one });
    const id = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    expect((await nextOffer(a)).interactionId).to.equal(id);
    // The offered chat is restored as queued (the offer died with Redis); the customer leaves before its row is written.
    const { routing } = t.sb.contexts;
    const run = routing.engine.run.bind(routing.engine);
    let left = false;
    routing.engine.run = (async (name: Parameters<typeof run>[0], args: Parameters<typeof run>[1], now?: number) => {
      const r = await run(name, args, now);
      if (name === 'restoreInteraction' && args[0] === id && !left) {
        left = true;
        await routing.cancel(id);
      }
      return r;
    }) as typeof run;
    try {
      await lose(t);
      expect(await routing.rebuilder.ensure()).to.equal(true);
    } finally {
      routing.engine.run = run;
    }
    expect(left).to.equal(true);
    expect((await routing.engine.interactionLive(id)).state).to.equal('abandoned');
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id })).state).to.equal('abandoned');
  });
});
