// Routing benchmark: 1,000 agents, 10,000 waiting interactions, 50 queues, against the real Redis
// and the real routing scripts (server/dist). Build first: `npm run build`.
//
//   node bench/routing/run.mjs [--agents 1000] [--interactions 10000] [--queues 50] [--workers 16]
//
// Prints one JSON document (also written to bench/routing/results.json):
// - burst: interactions arrive one by one while every agent is free; each arrival is queued and
//   routed to the best free agent (scripts `enqueue` + `routeOne`, which scans the free agents).
// - sustained: 10,000 waiting, every agent busy; workers accept offers and close them at once.
//   Each close frees a slot: `routeAgent` offers the most urgent waiting interaction the agent may
//   take (scans the heads of the 50 queues). A new arrival replaces each served interaction.
//   Offers per second, and the latency of each decision.
// - full pass: the periodic `dispatch` over every queue head, with 10,000 waiting.
// MySQL writes (offers, journey) are not part of this measure: see docs/benchmarks.md.
import '../runtime.mjs';
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRedis } from '../../server/dist/kernel/redis.js';
import { RoutingEngine, queueScore } from '../../server/dist/modules/routing/engine.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    interactions: { type: 'string', default: '10000' },
    queues: { type: 'string', default: '50' },
    workers: { type: 'string', default: '16' },
    sustained: { type: 'string', default: '5000' },
    'redis-port': { type: 'string', default: process.env.REDIS_PORT ?? '6379' },
  },
});
const N_AGENTS = Number(opt.agents);
const N_INTERACTIONS = Number(opt.interactions);
const N_QUEUES = Number(opt.queues);
const WORKERS = Number(opt.workers);
const SUSTAINED = Number(opt.sustained);

const CHANNELS = ['chat', 'mail', 'phone', 'video', 'callback'];
const SKILLS = ['english', 'italian', 'french', 'billing', 'tech', 'sales'];
// Deterministic pseudo-random numbers, so runs compare.
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (a) => a[Math.floor(rnd() * a.length)];

const prefix = `bench:routing:${process.pid}:`;
const redis = createRedis({ host: '127.0.0.1', port: Number(opt['redis-port']), db: 0, keyPrefix: prefix });
await Promise.all([redis.client.connect(), redis.subscriber.connect()]);
const engine = new RoutingEngine(redis);

const queues = Array.from({ length: N_QUEUES }, (_, n) => {
  const skills = [{ skill: pick(SKILLS), level: 2 + Math.floor(rnd() * 4) }];
  if (rnd() < 0.5) {
    const s = pick(SKILLS.filter((x) => x !== skills[0].skill));
    skills.push({ skill: s, level: 1 + Math.floor(rnd() * 3) });
  }
  return {
    id: `q${n}`, name: `Queue ${n}`, channel: CHANNELS[n % CHANNELS.length], priority: 1 + (n % 10), skills,
    relax: [{ afterSeconds: 60, anyAgent: true }], offerTimeoutSeconds: 600, wrapUpSeconds: 0, allowWhileOnCall: false,
  };
});
await engine.syncQueues(queues);

const agents = Array.from({ length: N_AGENTS }, () => randomBytes(16).toString('hex'));
for (const id of agents) {
  const skills = SKILLS.filter(() => rnd() < 0.7).map((s) => ({ skillId: s, level: 1 + Math.floor(rnd() * 10) }));
  await engine.profile(id, { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 }, skills, queues.map((q) => q.id));
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const summary = (xs) => ({ count: xs.length, p50: +percentile(xs, 50).toFixed(3), p90: +percentile(xs, 90).toFixed(3), p99: +percentile(xs, 99).toFixed(3), max: +Math.max(...xs).toFixed(3) });
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const queueIds = queues.map((q) => q.id);
const enqueue = (iid, q, now) => engine.run('enqueue', [iid, q.id, q.channel, queueScore(q.priority, now), '', 1e9, 0, ''], now);
const offersOf = (r) => (Array.isArray(r.offers) ? r.offers : []);

// ---- burst: every agent free, interactions arrive one by one
for (const id of agents) await engine.run('setState', [id, 'available', '']);
const burst = [];
let burstOffers = 0;
const pending = [];
for (let n = 0; n < N_INTERACTIONS; n++) {
  const q = queues[n % N_QUEUES];
  const t0 = process.hrtime.bigint();
  const iid = randomBytes(16).toString('hex');
  await enqueue(iid, q, Date.now());
  const r = await engine.run('routeOne', [iid]);
  burst.push(ms(t0));
  burstOffers += offersOf(r).length;
  pending.push(...offersOf(r));
}
const waitingAfterBurst = (await Promise.all(queueIds.map((q) => redis.client.zcard(engine.key('q', q))))).reduce((a, b) => a + b, 0);

// Redis's own CPU time per script call, read from INFO commandstats around the sustained phase:
// unlike the latencies seen by this process, it does not include queueing on a busy machine.
// The scripts run as a Redis function library (FCALL); other programs' FCALLs would count too.
async function evalshaStats() {
  const info = await redis.client.info('commandstats');
  const m = /cmdstat_fcall:calls=(\d+),usec=(\d+)/.exec(info);
  return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
}
const before = await evalshaStats();

// ---- sustained: accept + close frees a slot; the routeAgent after it is the decision measured
const sustained = [];
const arrivals = [];
let offered = 0;
const t0 = Date.now();
async function worker() {
  while (offered < SUSTAINED && pending.length) {
    const o = pending.shift();
    await engine.run('accept', [o.offerId, o.agentId]);
    const closed = await engine.run('close', [o.interactionId, o.agentId, 0, 'closed']);
    const d0 = process.hrtime.bigint();
    for (const a of closed.freed) {
      const r = await engine.run('routeAgent', [a, ...queueIds]);
      offered += offersOf(r).length;
      pending.push(...offersOf(r));
    }
    sustained.push(ms(d0));
    // Keep 10,000 waiting: every served interaction is replaced by a new arrival.
    const q = queues[Math.floor(rnd() * N_QUEUES)];
    const iid = randomBytes(16).toString('hex');
    const a0 = process.hrtime.bigint();
    await enqueue(iid, q, Date.now());
    const r = await engine.run('routeOne', [iid]);
    arrivals.push(ms(a0));
    offered += offersOf(r).length;
    pending.push(...offersOf(r));
  }
}
await Promise.all(Array.from({ length: WORKERS }, worker));
const seconds = (Date.now() - t0) / 1000;
const after = await evalshaStats();
const usecPerCall = (after.usec - before.usec) / Math.max(1, after.calls - before.calls);

// ---- full pass: what the periodic sweep costs with 10,000 waiting and a few free agents
const full = [];
for (let n = 0; n < 200; n++) {
  const d0 = process.hrtime.bigint();
  await engine.run('dispatch', queueIds);
  full.push(ms(d0));
}

const result = {
  benchmark: 'routing',
  date: new Date().toISOString(),
  node: process.version,
  // The machine is shared: the load during the run says how far to trust the latencies.
  machine: { cpus: os.cpus().length, loadAverage1m: +os.loadavg()[0].toFixed(2) },
  setup: { agents: N_AGENTS, waitingInteractions: N_INTERACTIONS, queues: N_QUEUES, workers: WORKERS },
  burst: { arrivalDecisionMs: summary(burst), offers: burstOffers, waitingAfter: waitingAfterBurst },
  sustained: {
    offers: offered,
    seconds: +seconds.toFixed(2),
    offersPerSecond: Math.round(offered / seconds),
    // each served interaction is 5 script calls (accept, close, routeAgent, enqueue, routeOne)
    scriptCallsPerSecond: Math.round((sustained.length * 5) / seconds),
    redisMicrosPerScriptCall: +usecPerCall.toFixed(1),
    // what one Redis core could sustain at that cost, five script calls per served interaction
    redisBoundOffersPerSecond: Math.round(1e6 / (usecPerCall * 5)),
    freedAgentDecisionMs: summary(sustained),
    arrivalDecisionMs: summary(arrivals),
  },
  fullPassMs: summary(full),
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
writeFileSync(path.join(here, 'results.json'), JSON.stringify(result, null, 2) + '\n');

// Remove everything this run wrote.
let cursor = '0';
do {
  const [next, keys] = await redis.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  cursor = next;
  if (keys.length) await redis.client.del(...keys);
} while (cursor !== '0');
await redis.close();
