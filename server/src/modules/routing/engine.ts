import { createHash, randomBytes } from 'node:crypto';
import { redisScript, type RedisHandle, type RedisScript } from '../../kernel/redis.js';
import { systemClock, type Clock } from '../../kernel/clock.js';
import type { Queue } from '../../kernel/config/schema.js';
import type { AgentState } from '../agents/index.js';
import { BODIES, librarySource, scriptSource, type ScriptName } from './lua.js';

export type OfferKind = 'route' | 'transfer' | 'conference';

export interface StateChange {
  agentId: string;
  state: AgentState;
  reason: string | null;
  since: string;
  /** ms; set when the state is wrap-up. */
  wrapUntil: number | null;
}

export interface OfferMade {
  offerId: string;
  agentId: string;
  interactionId: string;
  kind: OfferKind;
  expiresAt: number;
  queueId: string;
  channel: string;
  from: string | null;
}

export interface OfferEnded {
  offerId: string;
  agentId: string;
  interactionId: string;
  kind: OfferKind;
  outcome: 'rejected' | 'timeout' | 'withdrawn';
  from: string;
  queueId: string;
}

export interface Accepted {
  offerId: string;
  agentId: string;
  interactionId: string;
  kind: OfferKind;
  from: string;
  queueId: string;
  channel: string;
  waitedMs?: number;
  seen: string[];
  /** The routing hash's conference and transfer fields as the accept left them. */
  live: Record<string, string>;
}

export interface Closed {
  interactionId: string;
  channel: string;
  queueId: string;
  previous: string;
  owner: string;
  conf: string;
  state: 'closed' | 'abandoned';
  wrapUntil?: number;
  withdrawn?: OfferEnded;
  seen: string[];
}

/** A refusal from a script: `error` is a stable code the service turns into an HTTP error. */
export interface Refusal {
  error: string;
  state?: string;
}

/** `freed`: agents whose load went down, who may take the next waiting interaction. */
export type Reply<T> = (T | Refusal) & { changes: StateChange[]; freed: string[] };

/** Lua's cjson encodes an empty table as {}; every list we read goes through this. */
export const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** Seconds until the interaction at `position` is likely answered, from the queue's average wait. */
export const waitEstimate = (avgWaitMs: number | null, position: number): number | null => (avgWaitMs === null ? null : Math.ceil((avgWaitMs / 1000) * position));

export const isRefusal = (r: object): r is Refusal => typeof (r as Refusal).error === 'string';

/** Waiting order inside a queue and across queues: higher priority first, then the oldest. */
export const queueScore = (priority: number, queuedAtMs: number) => (10 - priority) * 1e13 + queuedAtMs;

/**
 * Typed access to the routing scripts and the Redis keys they share. Holds no state of its own,
 * so every instance has one and they all see the same queues, offers and agent loads.
 */
/** Names this version of the code in Redis, so two versions of the server never mix their scripts. */
const TAG = createHash('sha1').update(librarySource('')).digest('hex').slice(0, 12);
const LIBRARY = librarySource(TAG);

export class RoutingEngine {
  private readonly scripts = new Map<ScriptName, RedisScript>();
  /** Redis 7 functions when available (the shared code is loaded once), EVALSHA otherwise. */
  private mode: 'function' | 'eval' = 'function';

  constructor(readonly redis: RedisHandle, readonly clock: Clock = systemClock) {
    for (const name of Object.keys(BODIES) as ScriptName[]) this.scripts.set(name, redisScript(scriptSource(name)));
  }

  /**
   * Names this routing state (its Redis key prefix) in the interactions' journey, so a rebuild
   * takes back exactly the interactions it held, even when other installations share MySQL.
   */
  get scope(): string {
    return createHash('sha1').update(this.redis.key('')).digest('hex').slice(0, 12);
  }

  key(...parts: string[]): string {
    return this.redis.key('routing', ...parts);
  }

  async run<T>(name: ScriptName, args: (string | number)[], now = this.clock.now().getTime()): Promise<Reply<T>> {
    const argv = [this.redis.key(''), now, new Date(now).toISOString(), randomBytes(14).toString('hex'), ...args].map(String);
    const raw = this.mode === 'function' ? await this.fcall(name, argv) : await this.evalsha(name, argv);
    const reply = JSON.parse(String(raw)) as Reply<T>;
    reply.changes = list(reply.changes);
    reply.freed = [...new Set(list<string>(reply.freed))];
    return reply;
  }

  private async fcall(name: ScriptName, argv: string[]): Promise<unknown> {
    const fn = `sbr_${TAG}_${name}`;
    try {
      return await this.redis.client.call('FCALL', fn, 0, ...argv);
    } catch (err) {
      const message = (err as Error).message ?? '';
      if (/unknown command/i.test(message)) {
        this.mode = 'eval';
        return this.evalsha(name, argv);
      }
      if (!/function not found/i.test(message)) throw err;
      await this.redis.client.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY);
      return this.redis.client.call('FCALL', fn, 0, ...argv);
    }
  }

  private evalsha(name: ScriptName, argv: string[]): Promise<unknown> {
    return this.scripts.get(name)!(this.redis.client, [], argv);
  }

  /** Writes what the scripts need to know about each queue (they cannot read config/). */
  async syncQueues(queues: Queue[]): Promise<void> {
    const m = this.redis.client.multi();
    for (const q of queues) {
      m.del(this.key('qc', q.id));
      m.hset(this.key('qc', q.id), {
        channel: q.channel,
        skills: q.skills.map((s) => `${s.skill}=${s.level}`).join(';'),
        relax: [...q.relax].sort((x, y) => x.afterSeconds - y.afterSeconds).map((r) => `${r.afterSeconds * 1000}:${r.minLevelDrop ?? 0}:${r.anyAgent ? 1 : 0}`).join(';'),
        allowCall: q.allowWhileOnCall ? '1' : '0',
        timeoutMs: q.offerTimeoutSeconds * 1000,
        autoNotReady: q.autoNotReadyAfterMissed ?? 0,
        maxWaitMs: (q.maxWaitSeconds ?? 0) * 1000,
        overflow: q.overflowQueue ?? '',
        cooldownMs: q.declineCooldownSeconds * 1000,
      });
    }
    await m.exec();
  }

  /** Stores the agent's capacity and skills, and ranks them in every queue they may serve. */
  async profile(agentId: string, capacity: Record<string, number>, skills: { skillId: string; level: number }[], queueIds: string[]): Promise<void> {
    const pairs = [...Object.entries(capacity).flatMap(([ch, n]) => [`cap:${ch}`, n]), ...skills.flatMap((s) => [`sk:${s.skillId}`, s.level])];
    await this.run('profile', [agentId, queueIds.join(','), ...pairs]);
  }

  async interactionLive(id: string): Promise<Record<string, string>> {
    return this.redis.client.hgetall(this.key('i', id));
  }

  async agentLoad(agentId: string): Promise<Record<string, string>> {
    return this.redis.client.hgetall(this.key('a', agentId));
  }

  async offerOf(offerId: string): Promise<Record<string, string>> {
    return this.redis.client.hgetall(this.key('o', offerId));
  }

  async interactionsOf(agentId: string): Promise<string[]> {
    return this.redis.client.smembers(this.key('ints', agentId));
  }

  async position(queueId: string, interactionId: string): Promise<number | null> {
    const rank = await this.redis.client.zrank(this.key('q', queueId), interactionId);
    return rank === null ? null : rank + 1;
  }

  async waiting(queueId: string): Promise<{ count: number; oldestQueuedAt: number | null }> {
    const [count, oldest] = await Promise.all([this.redis.client.zcard(this.key('q', queueId)), this.oldest(queueId)]);
    return { count, oldestQueuedAt: oldest };
  }

  private async oldest(queueId: string): Promise<number | null> {
    // The score mixes priority and time; the oldest is the smallest time part of any priority band.
    const ids = await this.redis.client.zrange(this.key('q', queueId), 0, 199);
    if (!ids.length) return null;
    const p = this.redis.client.pipeline();
    for (const id of ids) p.hget(this.key('i', id), 'queuedAt');
    const times = ((await p.exec()) ?? []).map(([, v]) => Number(v)).filter((n) => n > 0);
    return times.length ? Math.min(...times) : null;
  }

  async avgWaitMs(queueId: string): Promise<number | null> {
    const v = await this.redis.client.hget(this.key('stats', queueId), 'avgWaitMs');
    return v ? Number(v) : null;
  }

  async online(): Promise<string[]> {
    return this.redis.client.smembers(this.key('online'));
  }
}
