import type { AgentServerMessage, SequencedMessage } from '@switchboard/protocol';
import type { RedisHandle } from '../../kernel/redis.js';
import type { EventBus } from '../../kernel/bus.js';

/** Distributes Omit over the union, so each variant keeps its own fields. */
export type Unsequenced = SequencedMessage extends infer M ? (M extends SequencedMessage ? Omit<M, 'seq'> : never) : never;

/** How many events per agent are kept for `resume`; older gaps are answered with a snapshot. */
export const KEEP = 500;
const TTL_SECONDS = 24 * 3600;

// Numbering, storing and publishing are one step: two instances could otherwise store, or send
// live, one agent's events out of order. The bus line is sent in two halves with the number
// between them (ARGV[4] .. seq .. ARGV[5]), so one round trip does all three.
const PUSH = `
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, seq .. '|' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[2]) + 1))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[6], ARGV[4] .. seq .. ARGV[5])
return seq
`;
/** Stands for the number in the bus line until the script knows it: the message's last key, so its last occurrence in the line is ours (only the instance stamp follows). */
const SEQ = '\u0000seq';

/**
 * Each agent's own event stream: numbered, kept in Redis, delivered live to every tab on every
 * instance through the bus. A desktop that reconnects sends the last seq it applied and gets the
 * rest, in order; tabs agree because they apply the same numbered events.
 */
export class AgentEvents {
  constructor(private readonly redis: RedisHandle, private readonly bus: EventBus) {}

  private seqKey(agentId: string) {
    return this.redis.key('routing', 'seq', agentId);
  }
  private logKey(agentId: string) {
    return this.redis.key('routing', 'events', agentId);
  }

  async push(agentId: string, msg: Unsequenced): Promise<number> {
    const { channel, payload } = this.bus.wire({ type: 'agent.push', agentIds: [agentId], message: { ...msg, seq: SEQ } as unknown as AgentServerMessage });
    const at = payload.lastIndexOf(JSON.stringify(SEQ));
    const [before, after] = [payload.slice(0, at), payload.slice(at + JSON.stringify(SEQ).length)];
    return Number(await this.redis.client.eval(PUSH, 2, this.seqKey(agentId), this.logKey(agentId), JSON.stringify(msg), KEEP, TTL_SECONDS, before, after, channel));
  }

  async current(agentId: string): Promise<number> {
    return Number((await this.redis.client.get(this.seqKey(agentId))) ?? 0);
  }

  /** Events after `afterSeq`, or null when some of them are no longer kept. */
  async since(agentId: string, afterSeq: number): Promise<SequencedMessage[] | null> {
    const current = await this.current(agentId);
    if (afterSeq > current) return null;
    const rows = await this.redis.client.zrangebyscore(this.logKey(agentId), `(${afterSeq}`, current);
    const events = rows.map((r) => {
      const bar = r.indexOf('|');
      return { ...JSON.parse(r.slice(bar + 1)), seq: Number(r.slice(0, bar)) } as SequencedMessage;
    });
    if (events.length < current - afterSeq) return null;
    return events;
  }
}
