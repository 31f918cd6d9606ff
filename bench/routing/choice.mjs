// Redis cost of one routing decision (script `routeOne`: the best free agent for a queued
// interaction) by the number of free agents and of skill levels among them, as Redis itself counts
// it (INFO commandstats, usec_per_call of FCALL). Runs against a private redis-server it starts on
// a free port and stops at the end, so nothing else's commands are counted. Build first.
//
//   node bench/routing/choice.mjs [--decisions 300] [--port 16399]
//
// Scenarios, each with 10, 100 and 1,000 free agents (all in the queue's ranking, one callback
// each; callbacks are blocked by a call, so every candidate is also checked for one):
// - levels1: every agent at one skill level;
// - levels3: three levels in equal thirds, all free;
// - levels3-best-busy: three levels, and as many agents of the best level again, all offered
//   something already (in the ranking, not free), so the best free agent is of the second level.
// Each decision offers the interaction; the offer is then withdrawn through EVAL (not counted in
// FCALL's statistics), which puts the agent and the interaction back as they were.
// Then `refresh`: what keeping the free sets costs a script that changes an agent.
import '../runtime.mjs';
import { spawn } from 'node:child_process';
import net from 'node:net';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createRedis } from '../../server/dist/kernel/redis.js';
import { RoutingEngine, queueScore } from '../../server/dist/modules/routing/engine.js';

const { values: opt } = parseArgs({ options: { decisions: { type: 'string', default: '300' }, port: { type: 'string', default: '16399' } } });
const DECISIONS = Number(opt.decisions);
const PORT = Number(opt.port);

const canConnect = (port) => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => (s.destroy(), resolve(true)));
  s.once('error', () => resolve(false));
});
if (await canConnect(PORT)) throw new Error(`port ${PORT} is taken: pass --port`);
const server = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(PORT), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
for (let n = 0; n < 100 && !(await canConnect(PORT)); n++) await sleep(50);

const redis = createRedis({ host: '127.0.0.1', port: PORT, db: 0, keyPrefix: 'bench:' });
await redis.client.connect();
const engine = new RoutingEngine(redis);
// The same scripts through EVAL, for the steps that must stay out of FCALL's statistics.
const evalEngine = new RoutingEngine(redis);
evalEngine.mode = 'eval';

const stat = async (cmd) => {
  const text = await redis.client.info('commandstats');
  const m = new RegExp(`cmdstat_${cmd}:calls=(\\d+),usec=(\\d+)`).exec(text);
  return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
};

let clock = 1_800_000_000_000;
async function scenario(name, free, levels, busyBest) {
  await redis.client.flushdb();
  const queue = { id: 'q', channel: 'callback', skills: [{ skill: 'english', level: 1 }], relax: [], allowWhileOnCall: false, offerTimeoutSeconds: 600, declineCooldownSeconds: 60 };
  await engine.syncQueues([queue]);
  await redis.client.set(redis.key('routing', 'built'), '1');
  const cap = { callback: 1, phone: 1, chat: 2, total: 2 };
  const agents = [];
  const top = levels;
  // Busy best agents first: idle the longest, so a walk meets them first.
  for (let n = 0; n < busyBest; n++) agents.push({ id: `busy${n}`, level: top, busy: true });
  for (let n = 0; n < free; n++) agents.push({ id: `a${String(n).padStart(5, '0')}`, level: busyBest ? 1 + (n % (levels - 1)) : 1 + (n % levels) });
  for (const a of agents) {
    await engine.profile(a.id, cap, [{ skillId: 'english', level: a.level }], ['q']);
    await engine.run('setState', [a.id, 'available', ''], (clock += 1));
  }
  // The busy ones hold an offer each (of another interaction of the same queue).
  for (const a of agents.filter((x) => x.busy)) {
    const iid = `hold-${a.id}`;
    await engine.run('enqueue', [iid, 'q', 'callback', queueScore(5, clock), '', 1e9, 0, ''], (clock += 1));
    const r = await evalEngine.run('routeOne', [iid], clock);
    if (r.offers[0]?.agentId !== a.id) throw new Error(`setup: ${iid} went to ${r.offers[0]?.agentId}`);
  }
  await engine.run('enqueue', ['x', 'q', 'callback', queueScore(5, clock), '', 1e9, 0, ''], (clock += 1));
  const chosen = new Set();
  await redis.client.call('CONFIG', 'RESETSTAT');
  for (let n = 0; n < DECISIONS; n++) {
    const r = await engine.run('routeOne', ['x'], (clock += 1));
    const o = r.offers[0];
    if (!o) throw new Error(`${name}: no offer`);
    chosen.add(o.agentId);
    await evalEngine.run('decline', [o.offerId, '', 'withdrawn'], clock);
  }
  const s = await stat('fcall');
  // The withdrawal refreshes the agent's free sets: what keeping them costs.
  const w = await stat('evalsha');
  return { scenario: name, freeAgents: free, levels, agentsInRanking: agents.length, decisions: s.calls, usecPerDecision: +(s.usec / s.calls).toFixed(1), usecPerWithdrawal: +(w.usec / w.calls).toFixed(1), chosen: [...chosen] };
}

// What keeping the free sets costs every script that changes an agent: `restoreAgent` on an agent
// whose state is there does nothing but settle and refresh them (100 agents, half Available).
async function refresh() {
  await redis.client.flushdb();
  await engine.syncQueues([{ id: 'q', channel: 'callback', skills: [], relax: [], allowWhileOnCall: false, offerTimeoutSeconds: 600, declineCooldownSeconds: 60 }]);
  for (let n = 0; n < 100; n++) {
    await engine.profile(`a${n}`, { callback: 1, phone: 1, chat: 2, total: 2 }, [], ['q']);
    await engine.run('setState', [`a${n}`, n % 2 ? 'available' : 'not-ready', ''], (clock += 1));
  }
  await redis.client.call('CONFIG', 'RESETSTAT');
  for (let k = 0; k < DECISIONS * 10; k++) await engine.run('restoreAgent', [`a${k % 100}`, '', ''], clock);
  const s = await stat('fcall');
  return { calls: s.calls, usecPerRefresh: +(s.usec / s.calls).toFixed(1) };
}

const results = [];
let refreshCost;
try {
  for (const free of [10, 100, 1000]) {
    results.push(await scenario('levels1', free, 1, 0));
    results.push(await scenario('levels3', free, 3, 0));
    results.push(await scenario('levels3-best-busy', free, 3, Math.ceil(free / 3)));
  }
  refreshCost = await refresh();
} finally {
  await redis.close();
  server.kill('SIGTERM');
}
process.stdout.write(`${JSON.stringify({ benchmark: 'routing-choice', date: new Date().toISOString(), decisionsPerScenario: DECISIONS, results, refresh: refreshCost }, null, 2)}\n`);
