// Which free agent the routing scripts choose for a queued interaction, and in which order the
// next ones follow: the best skill sum for the interaction's relaxation step, then the longest
// idle, then by id; never an agent who declined it within the cool-down, nor (for a queue that
// does not allow it) one on a call. Against the real Redis and the scripts alone, with enough free
// agents that the scripts walk them rather than intersecting every free agent (prelude.lua,
// choose()), and with few, where they intersect.
import { expect } from 'chai';
import { testConfig } from '../../test/config.js';
import { uniquePrefix } from '../../test/routing.js';
import { createRedis, type RedisHandle } from '../../kernel/redis.js';
import { queue as queueSchema } from '../../kernel/config/schema/queues.js';
import { RoutingEngine, queueScore } from './engine.js';

const T0 = 1_800_000_000_000;
const COOL = 60_000;

describe('routing: the choice among free agents', () => {
  let redis: RedisHandle;
  let engine: RoutingEngine;
  let now: number;
  let seq = 0;

  beforeEach(async () => {
    redis = createRedis({ ...testConfig().main.redis, keyPrefix: uniquePrefix() });
    await redis.client.connect();
    engine = new RoutingEngine(redis);
    now = T0;
    await engine.syncQueues([
      // English at 5 or more; after 30 s 2 or more; after 60 s anyone with chat.
      queueSchema.parse({ id: 'chat', name: 'Chat', channel: 'chat', skills: [{ skill: 'english', level: 5 }], relax: [{ afterSeconds: 30, minLevelDrop: 3 }, { afterSeconds: 60, anyAgent: true }], declineCooldownSeconds: COOL / 1000 }),
      queueSchema.parse({ id: 'chat-on-call', name: 'Chat', channel: 'chat', skills: [{ skill: 'english', level: 1 }], allowWhileOnCall: true }),
      queueSchema.parse({ id: 'two', name: 'Two skills', channel: 'chat', skills: [{ skill: 'english', level: 1 }, { skill: 'billing', level: 1 }] }),
      queueSchema.parse({ id: 'phone', name: 'Phone', channel: 'phone', destination: { trunk: 'pbx', number: '100' } }),
    ]);
    await redis.client.set(engine.key('built'), '1');
  });
  afterEach(async () => {
    const keys = await redis.client.keys(`${redis.key('')}*`);
    if (keys.length) await redis.client.del(...keys);
    await redis.close();
  });

  /** A script's answer, refusals included (`error`). */
  type ScriptName = Parameters<RoutingEngine['run']>[0];
  const run = async <T>(name: ScriptName, args: (string | number)[], at = now) => (await engine.run<T>(name, args, at)) as T & { error?: string };

  /** An agent with these levels (english, billing), Available since `idleAt`. */
  async function agent(id: string, english: number, idleAt: number, billing = 0): Promise<string> {
    const skills = [{ skillId: 'english', level: english }, ...(billing ? [{ skillId: 'billing', level: billing }] : [])].filter((s) => s.level > 0);
    await engine.profile(id, { chat: 2, phone: 1, total: 3 }, skills, ['chat', 'chat-on-call', 'two', 'phone']);
    await engine.run('setState', [id, 'available', ''], idleAt);
    return id;
  }
  /** `count` agents named <prefix>NNN at one level, idle the longest of all. */
  async function fillers(prefix: string, count: number, english: number, billing = 0): Promise<string[]> {
    const ids = [];
    for (let n = 0; n < count; n++) ids.push(await agent(`${prefix}${String(n).padStart(3, '0')}`, english, T0 - 1_000_000 + n, billing));
    return ids;
  }
  async function enqueue(q: string, opts: { waited?: number; skip?: string[] } = {}): Promise<string> {
    const iid = `i${++seq}`;
    const ch = q === 'phone' ? 'phone' : 'chat';
    const r = await run<{ position: number }>('enqueue', [iid, q, ch, queueScore(5, now - (opts.waited ?? 0)), '', 1e9, 0, '', '', 0, (opts.skip ?? []).join(',')], now);
    expect(r.position, JSON.stringify(r)).to.be.a('number');
    return iid;
  }
  async function routeOne(iid: string): Promise<string | null> {
    const r = await run<{ offers: { agentId: string }[] }>('routeOne', [iid], now);
    return r.offers[0]?.agentId ?? null;
  }
  /** The agents offered `count` interactions of queue q, one after the other. */
  async function order(q: string, count: number, opts: { waited?: number; skip?: string[] } = {}): Promise<(string | null)[]> {
    const out = [];
    for (let n = 0; n < count; n++) out.push(await routeOne(await enqueue(q, opts)));
    return out;
  }
  /** Puts the agent on a phone call (the PBX handed it to them). */
  async function onCall(a: string): Promise<void> {
    const r = await run<object>('claim', [`call-${a}`, a, '', 'phone', '']);
    expect(r.error).to.equal(undefined);
  }

  for (const many of [false, true]) {
    // Fillers: english 5 (in every step of chat), idle the longest of all, so a walk meets them first.
    const crowd = many ? 'among 120 free agents' : 'among a few free agents';
    const base = async () => fillers('f', many ? 120 : 3, 5);

    it(`${crowd}: best level first, then the longest idle, then by id on equal idle time`, async () => {
      const f = await base();
      await agent('e1', 9, T0 + 100);
      await agent('e2', 9, T0 + 50);
      await agent('e4-b', 9, T0 + 70);
      await agent('e4-a', 9, T0 + 70);
      await agent('g1', 6, T0 + 10);
      await agent('low', 2, T0 - 2_000_000);
      expect(await order('chat', 7)).to.deep.equal(['e2', 'e4-a', 'e4-b', 'e1', 'g1', f[0], f[1]]);
      // After 30 s english 2 is enough, still behind 5.
      expect(await order('chat', 2, { waited: 40_000 })).to.deep.equal([f[2], many ? f[3] : 'low']);
    });

    it(`${crowd}: the best agents offered something or full for the channel, the next level`, async () => {
      const f = await base();
      await agent('e1', 9, T0 + 100);
      await agent('e2', 9, T0 + 200);
      await agent('e3', 9, T0 + 5);
      await agent('g1', 6, T0 + 300);
      await agent('g2', 6, T0 + 10);
      // e3's two chats fill their chat capacity (still free for a call).
      for (const n of [1, 2]) expect((await run<object>('claim', [`chat-e3-${n}`, 'e3', '', 'chat', ''])).error).to.equal(undefined);
      expect(await order('chat', 1)).to.deep.equal(['e1']);
      // e1 now has an offer pending; e2 leaves Available.
      await engine.run('setState', ['e2', 'not-ready', 'break'], now);
      expect(await order('chat', 3)).to.deep.equal(['g2', 'g1', f[0]]);
      expect(await order('phone', 1)).to.deep.equal([f[1]]);
    });

    it(`${crowd}: an agent back from work is idle since then, behind those idle before`, async () => {
      await base();
      await agent('e1', 9, T0 + 100);
      await agent('e2', 9, T0 + 200);
      // Busy with one chat, e1 still has room for another: free, idle since T0 + 100.
      expect((await run<object>('claim', ['chat-e1', 'e1', '', 'chat', ''])).error).to.equal(undefined);
      now = T0 + 1000;
      expect((await run<object>('close', ['chat-e1', 'e1', 0, 'closed'])).error).to.equal(undefined);
      expect(await order('chat', 2)).to.deep.equal(['e2', 'e1']);
    });

    it(`${crowd}: passes over agents who declined within the cool-down, and not after it`, async () => {
      const f = await base();
      await agent('e1', 9, T0 + 100);
      await agent('e2', 9, T0 + 200);
      await agent('g1', 6, T0 + 300);
      const iid = await enqueue('chat', { skip: ['e1', 'e2'] });
      expect(await routeOne(iid)).to.equal('g1');
      // The offer to g1 withdrawn, the cool-down over: e1 again.
      const offer = (await engine.interactionLive(iid)).offer!;
      await engine.run('decline', [offer, '', 'withdrawn'], now);
      now += COOL + 1;
      expect(await routeOne(iid)).to.equal('e1');
      // Declined by everyone else at 6 and up.
      expect(await routeOne(await enqueue('chat', { skip: ['e2', 'g1', f[0]!] }))).to.equal(f[1]);
    });

    it(`${crowd}: no chat for an agent on a call, unless the queue allows it`, async () => {
      const f = await base();
      await agent('e1', 9, T0 + 100);
      await agent('e2', 9, T0 + 200);
      await agent('g1', 6, T0 + 300);
      await onCall('e1');
      await onCall('g1');
      expect(await order('chat', 2)).to.deep.equal(['e2', f[0]]);
      // chat-on-call ranks english 1 and up: e1 (9, on a call), then g1 (6, on a call).
      expect(await order('chat-on-call', 3)).to.deep.equal(['e1', 'g1', f[1]]);
    });

    it(`${crowd}: the sum of levels over two skills, and the any-agent step`, async () => {
      const f = await base();
      await agent('b1', 3, T0 + 100, 3); // 6
      await agent('b2', 7, T0 + 200); // no billing: not in 'two'
      await agent('b3', 1, T0 + 300, 4); // 5
      await agent('b4', 2, T0 + 50, 3); // 5, idle longer than b3
      expect(await order('two', 4)).to.deep.equal(['b1', 'b4', 'b3', null]);
      // Any agent with chat after 60 s, by english: b2 (7), then the fillers (5).
      expect(await order('chat', 2, { waited: 70_000 })).to.deep.equal(['b2', f[0]]);
    });

    it(`${crowd}: a freed agent takes the waiting interaction only for itself ('only')`, async () => {
      await base();
      await agent('e1', 9, T0 + 100, 9);
      await agent('g1', 6, T0 + 300, 1);
      for (const a of ['e1', 'g1']) await engine.run('setState', [a, 'not-ready', 'break'], now);
      const iid = await enqueue('two', { skip: ['e1'] });
      expect(await routeOne(iid)).to.equal(null);
      // e1 declined it: e1 coming back takes nothing; g1 coming back takes it, though e1 is free.
      await engine.run('setState', ['e1', 'available', ''], now);
      // An empty list comes back from the script as {}.
      expect(Object.values((await run<{ offers: unknown[] }>('routeAgent', ['e1'], now)).offers)).to.deep.equal([]);
      await engine.run('setState', ['g1', 'available', ''], now);
      const r = await run<{ offers: { agentId: string; interactionId: string }[] }>('routeAgent', ['g1'], now);
      expect(r.offers.map((o) => [o.agentId, o.interactionId])).to.deep.equal([['g1', iid]]);
    });
  }

  it('chooses as before when the free agents by idle time are missing (state kept by an older version)', async () => {
    await fillers('f', 120, 9);
    await agent('e1', 9, T0 - 2_000_000);
    await redis.client.del(engine.key('fidle', 'chat'));
    expect(await order('chat', 2)).to.deep.equal(['e1', 'f000']);
  });

  // The same choice as intersecting the ranking, the free set and IDLE and taking the first usable
  // agent (what routing did before it walked), over random mixes of levels, ties in idle time,
  // busy, full, declined and on-call agents.
  it('agrees with the intersection of ranking, free agents and idle times in random mixes', async function () {
    this.timeout(120_000);
    let rnd = 7;
    const random = () => ((rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648);
    const oracle = async (q: string, step: number, declined: string[], onCallBlocks: boolean): Promise<string | null> => {
      const ranked = (await redis.client.call('ZINTER', 3, engine.key('qa', q, String(step)), engine.key('free', 'chat'), engine.key('idle'), 'WEIGHTS', 1, 0, 1)) as string[];
      for (const a of ranked) {
        if (declined.includes(a)) continue;
        const [phone, video] = await redis.client.hmget(engine.key('a', a), 'load:phone', 'load:video');
        if (onCallBlocks && Number(phone ?? 0) + Number(video ?? 0) > 0) continue;
        return a;
      }
      return null;
    };
    let decisions = 0;
    for (let round = 0; round < 12; round++) {
      const size = [20, 60, 150, 400][round % 4]!;
      const levels = 1 + (round % 3) * 2;
      const ids: string[] = [];
      for (let n = 0; n < size; n++) {
        // Idle times from a few values, so ties (broken by id) are common.
        const id = `r${round}-${Math.floor(random() * 1e6).toString(36)}-${n}`;
        ids.push(await agent(id, 10 - Math.floor(random() * levels), T0 + Math.floor(random() * (size / 3)), random() < 0.5 ? 1 + Math.floor(random() * 3) : 0));
        const fate = random();
        if (fate < 0.1) await engine.run('setState', [id, 'not-ready', 'break'], now);
        else if (fate < 0.25) await onCall(id);
      }
      for (let d = 0; d < 25; d++) {
        const q = ['chat', 'chat-on-call', 'two'][d % 3]!;
        const waited = q === 'chat' ? [0, 40_000, 70_000][Math.floor(random() * 3)]! : 0;
        const declined = ids.filter(() => random() < 0.1);
        const iid = await enqueue(q, { waited, skip: declined });
        const step = waited >= 60_000 ? 2 : waited >= 30_000 ? 1 : 0;
        const expected = await oracle(q, step, declined, q !== 'chat-on-call');
        expect(await routeOne(iid), `round ${round}, decision ${d} (${q}, step ${step})`).to.equal(expected);
        if (expected) decisions++;
      }
      for (const id of ids) await engine.run('leave', [id, ''], now);
    }
    expect(decisions).to.be.greaterThan(200);
  });
});
