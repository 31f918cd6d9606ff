// Two real server processes sharing one Redis and one MySQL, as a scaled-out installation runs.
// These are the races the routing scripts exist for; each would fail with routing decided in a
// process's memory or with a read-then-write in Redis.
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { makeConfigDir, setYaml } from '../../test/config.js';
import { spawnServer } from '../../test/server.js';
import { loadConfig } from '../../kernel/config/load.js';
import { createDataSource } from '../../kernel/db/data-source.js';
import { entities } from '../../entities.js';
import { createRedis } from '../../kernel/redis.js';
import { Offer } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { QUEUE, api, createInteraction, login, makeAgent, nextOffer, noOffer, openQueues, setState, uniquePrefix, type TestAgent } from '../../test/routing.js';
import { eventually } from '../../test/redis.js';

type Proc = Awaited<ReturnType<typeof spawnServer>>;

const METRICS_TOKEN = 'races-metrics-token-0123456789abcdef';
/** The routing sweeps an instance has completed, as its /metrics says. */
async function sweeps(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return Number(/^switchboard_routing_sweeps_total (\d+)$/m.exec(text)![1]);
}

describe('routing: two server instances', function () {
  this.timeout(90000);
  let a: Proc;
  let b: Proc;
  let admin: string;
  let db: DataSource;
  let dir: string;
  // The run's database holds the offers of the files before this one: look only at this file's.
  let since: Date;

  before(async () => {
    since = new Date();
    dir = makeConfigDir({ redisPrefix: uniquePrefix(), set: openQueues({ 'queues.yaml:queues.0.relax': [], 'queues.yaml:queues.0.offerTimeoutSeconds': 60, 'queues.yaml:queues.3.offerTimeoutSeconds': 60, 'switchboard.yaml:licensing.maxConcurrentSessions': 1000, 'switchboard.yaml:metrics.token': METRICS_TOKEN }) });
    a = await spawnServer(dir);
    b = await spawnServer(dir); // after a: a has run the migrations
    admin = await login(a.url);
    db = createDataSource(loadConfig(dir).main.database, entities);
    await db.initialize();
  });
  after(async () => {
    // stop() waits for an exit that already happened when the test killed the process.
    const alive = (p: Proc | undefined) => p && p.proc.exitCode === null && p.proc.signalCode === null;
    await Promise.all([alive(a) && a.stop(), alive(b) && b.stop()]);
    await db?.destroy();
  });

  it('gives exactly one winner to 100 simultaneous accepts of one offer sent to both instances', async () => {
    const x = await makeAgent(a.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    const others: TestAgent[] = [];
    for (let n = 0; n < 3; n++) others.push(await makeAgent(b.url, admin, { skills: [{ skill: 'english', level: 5 }], available: false }));
    const r = await createInteraction(b.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const o = await nextOffer(x);
    const tokens = Array.from({ length: 100 }, (_, n) => (n % 5 === 4 ? others[n % 3]!.token : x.token));
    const results = await Promise.all(tokens.map((tok, n) => api(n % 2 ? a.url : b.url, 'POST', `/api/offers/${o.offerId}/accept`, undefined, tok)));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).to.have.length(1);
    expect(statuses.filter((s) => s === 409)).to.have.length(79);
    expect(statuses.filter((s) => s === 403)).to.have.length(20);
    const assigned = await db.getRepository(InteractionEvent).countBy({ interactionId: r.interaction.id, type: 'assigned' });
    expect(assigned).to.equal(1);
    expect((await db.getRepository(Offer).findOneByOrFail({ id: o.offerId })).state).to.equal('accepted');
    const view = (await api(b.url, 'GET', '/api/routing/agents', undefined, admin)).body.agents.find((v: { agentId: string }) => v.agentId === x.id);
    expect(view.load).to.deep.include({ chat: 1, total: 1 });
    for (const ag of [x, ...others]) ag.socket.close();
    await setState(a.url, x, 'not-ready', 'break').catch(() => undefined);
  });

  it('never offers one interaction to two agents nor goes over capacity while both instances route at once', async () => {
    const agents: TestAgent[] = [];
    for (let n = 0; n < 6; n++) agents.push(await makeAgent(n % 2 ? a.url : b.url, admin, { skills: [{ skill: 'english', level: 9 }], capacity: { chat: 2, total: 2 } }));
    const created = await Promise.all(Array.from({ length: 40 }, (_, n) => createInteraction(n % 2 ? a.url : b.url, admin, { channel: 'chat', queueId: QUEUE.chat })));
    expect(created.every((c) => c.outcome === 'queued')).to.equal(true);
    const ids = created.map((c) => c.interaction.id as string);
    // Agents accept whatever they are offered, through alternating instances, until all are full;
    // an offer waits for the slowest of the round, so offers here do not time out (60 s).
    const accepted = new Map<string, number>(agents.map((ag) => [ag.id, 0]));
    const full = (ag: TestAgent) => accepted.get(ag.id)! >= 2;
    for (let round = 0; round < 10 && !agents.every(full); round++) {
      const offers = await Promise.all(agents.map((ag) => (full(ag) ? null : nextOffer(ag, 60_000))));
      await Promise.all(
        offers.map(async (o, n) => {
          if (!o) return;
          const res = await api(n % 2 ? b.url : a.url, 'POST', `/api/offers/${o.offerId}/accept`, undefined, agents[n]!.token);
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
          accepted.set(agents[n]!.id, (accepted.get(agents[n]!.id) ?? 0) + 1);
        }),
      );
    }
    expect([...accepted.values()]).to.deep.equal([2, 2, 2, 2, 2, 2]);
    // Full agents are offered nothing more.
    await Promise.all(agents.map((ag) => noOffer(ag)));
    const offers = await db.getRepository(Offer).createQueryBuilder('o').where('o.interactionId IN (:...ids)', { ids }).getMany();
    const perInteraction = new Map<string, string[]>();
    for (const o of offers) perInteraction.set(o.interactionId, [...(perInteraction.get(o.interactionId) ?? []), o.state]);
    for (const states of perInteraction.values()) {
      expect(states.filter((s) => s === 'accepted').length).to.be.at.most(1);
      expect(states.filter((s) => s === 'pending').length).to.be.at.most(1);
    }
    expect(offers.filter((o) => o.state === 'accepted')).to.have.length(12);
    const view = (await api(a.url, 'GET', '/api/routing/agents', undefined, admin)).body.agents;
    for (const ag of agents) expect(view.find((v: { agentId: string }) => v.agentId === ag.id).load.total).to.equal(2);
    const queue = (await api(b.url, 'GET', '/api/routing/queues', undefined, admin)).body.queues.find((q: { queueId: string }) => q.queueId === QUEUE.chat);
    expect(queue.waiting).to.equal(28);
    for (const ag of agents) ag.socket.close();
  });

  it('lets only one of ten simultaneous transfers to the same agent through, whatever instance they reach', async () => {
    const owners: TestAgent[] = [];
    for (let n = 0; n < 10; n++) owners.push(await makeAgent(n % 2 ? a.url : b.url, admin, { capacity: { callback: 1, total: 1 } }));
    const held: string[] = [];
    for (let n = 0; n < 10; n++) {
      const r = await createInteraction(n % 2 ? b.url : a.url, admin, { channel: 'callback', queueId: QUEUE.callback });
      held.push(r.interaction.id);
    }
    // Every owner gets one callback (capacity 1) and accepts it.
    const offers = await Promise.all(owners.map((o) => nextOffer(o)));
    const accepted = await Promise.all(offers.map((o, n) => api(n % 2 ? a.url : b.url, 'POST', `/api/offers/${o.offerId}/accept`, undefined, owners[n]!.token)));
    expect(accepted.map((r) => r.status)).to.deep.equal(Array(10).fill(200));
    const target = await makeAgent(a.url, admin, { capacity: { callback: 1, total: 1 } });
    const results = await Promise.all(
      offers.map((o, n) => api(n % 2 ? b.url : a.url, 'POST', `/api/interactions/${o.interactionId}/transfer`, { toAgent: target.id }, owners[n]!.token)),
    );
    expect(results.filter((r) => r.status === 200), JSON.stringify(results.map((r) => r.body))).to.have.length(1);
    expect(results.filter((r) => r.status === 409).map((r) => r.body.error.code)).to.deep.equal(Array(9).fill('agent_full'));
    const pending = await db.getRepository(Offer).countBy({ agentId: target.id, state: 'pending' });
    expect(pending).to.equal(1);
    const view = (await api(b.url, 'GET', '/api/routing/agents', undefined, admin)).body.agents.find((v: { agentId: string }) => v.agentId === target.id);
    expect(view.load.total).to.equal(1);
    for (const ag of [...owners, target]) ag.socket.close();
  });

  it('applies a queue added by a reload on one instance to routing on the other at once', async () => {
    // Only this agent has billing; their routing profile was read before the queue existed.
    const m = await makeAgent(b.url, admin, { skills: [{ skill: 'billing', level: 4 }] });
    setYaml(dir, 'queues.yaml', 'queues.5', { id: 'billing-mail', name: 'Billing mail', channel: 'mail', skills: [{ skill: 'billing', level: 3 }], offerTimeoutSeconds: 60 });
    expect((await api(a.url, 'POST', '/api/admin/config/reload', undefined, admin)).status).to.equal(200);
    // b hears the reload on the bus; until then it does not know the queue.
    let created = await api(b.url, 'POST', '/api/routing/interactions', { channel: 'mail', queueId: 'billing-mail' }, admin);
    for (let n = 0; n < 200 && created.status === 400; n++) {
      await new Promise((r) => setTimeout(r, 100));
      created = await api(b.url, 'POST', '/api/routing/interactions', { channel: 'mail', queueId: 'billing-mail' }, admin);
    }
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body.outcome).to.equal('queued');
    expect((await nextOffer(m)).interactionId).to.equal(created.body.interaction.id);
    m.socket.close();
  });

  it('times out an offer made by an instance that died: the other sends the agent to RONA and offers the next', async () => {
    // Fresh agents with sockets on b; the interaction is created, and offered, through a. The
    // agents of the earlier tests are full or not ready, so the first of these (idle longest) gets it.
    const holder = await makeAgent(b.url, admin);
    const next = await makeAgent(b.url, admin);
    const r = await createInteraction(a.url, admin, { channel: 'mail', queueId: QUEUE.mail });
    const o = await nextOffer(holder);
    a.proc.kill('SIGKILL');
    const ended = await holder.socket.next((m) => m.type === 'offer.ended' && m.offerId === o.offerId, 30_000);
    expect(ended.reason).to.equal('timeout');
    expect((await api(b.url, 'GET', `/api/agents/${holder.id}/state`, undefined, holder.token)).body.state).to.equal('rona');
    const again = await nextOffer(next);
    expect(again.interactionId).to.equal(r.interaction.id);
  });

  it('rebuilds a lost routing state with both instances busy: nothing held twice, nobody over capacity, new work queued', async () => {
    // The previous test killed a: a new process takes its place.
    a = await spawnServer(dir);
    type View = { agentId: string; load: Record<string, number>; capacity: Record<string, number>; pendingOfferId: string | null; interactions: string[] };
    const view = async (url: string): Promise<View[]> => (await api(url, 'GET', '/api/routing/agents', undefined, admin)).body.agents;
    const before = await view(a.url);
    const held = before.flatMap((v) => v.interactions.map((id) => [id, v.agentId] as const));
    expect(held.length).to.be.greaterThan(10);
    const redis = createRedis(loadConfig(dir).main.redis);
    await redis.client.connect();
    try {
      await redis.client.del(...(await redis.client.keys(redis.key('') + 'routing:*')));
      // New work reaches both instances while they find out.
      const created = await Promise.all(Array.from({ length: 6 }, (_, n) => createInteraction(n % 2 ? a.url : b.url, admin, { channel: 'callback', queueId: QUEUE.callback })));
      expect(created.map((c) => c.outcome)).to.deep.equal(Array(6).fill('queued'));
      await eventually(() => redis.client.exists(redis.key('routing', 'built')), (n) => n === 1, 600, 100);
    } finally {
      await redis.close();
    }
    // Both instances' sweeps have offered what they can: on each, a sweep begun after the state was
    // back has ended (the one running when it was seen ends first).
    const swept = await Promise.all([a.url, b.url].map(sweeps));
    await eventually(() => Promise.all([a.url, b.url].map(sweeps)), (n) => n.every((x, i) => x >= swept[i]! + 2), 600, 100);
    const after = await view(b.url);
    const owners = new Map<string, string>();
    for (const v of after) {
      for (const id of v.interactions) {
        expect(owners.has(id), `${id} held twice`).to.equal(false);
        owners.set(id, v.agentId);
      }
      expect(v.load.total ?? 0).to.equal(v.interactions.length + (v.pendingOfferId ? 1 : 0));
      expect(v.load.total ?? 0).to.be.at.most(v.capacity.total!);
    }
    for (const [id, agentId] of held) expect(owners.get(id), id).to.equal(agentId);
    const pending = await db.getRepository(Offer).createQueryBuilder('o').select('o.interactionId', 'id').addSelect('COUNT(*)', 'n').where("o.state = 'pending'").andWhere('o.offeredAt >= :since', { since }).groupBy('o.interactionId').getRawMany();
    expect(pending.filter((p: { n: string }) => Number(p.n) > 1)).to.deep.equal([]);
  });
});
