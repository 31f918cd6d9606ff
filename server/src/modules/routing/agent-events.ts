import type { AgentServerMessage, SequencedMessage } from '@switchboard/protocol';
import { redisScript, type RedisHandle } from '../../kernel/redis.js';
import type { BusEvent, EventBus } from '../../kernel/bus.js';

/** Distributes Omit over the union, so each variant keeps its own fields. */
export type Unsequenced = SequencedMessage extends infer M ? (M extends SequencedMessage ? Omit<M, 'seq'> : never) : never;

/** How many events per agent are kept for `resume`; older gaps are answered with a snapshot. */
export const KEEP = 500;
const TTL_SECONDS = 24 * 3600;

// Numbering, storing and publishing are one step: two instances could otherwise store, or send
// live, one agent's events out of order. The bus line is sent in two halves with the number
// between them (before .. seq .. after), so one round trip does all three. A step that also has
// bus events to announce sends them in the same round trip, in their place among the agents'
// lines (an empty message: the line goes out as it is).
// ARGV: keep, ttl, channel, then per line: message, before, after. KEYS: seq and log of each agent line.
const PUSH = redisScript(`
local keep, ttl, channel = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local k, seqs = 1, {}
for n = 4, #ARGV, 3 do
  local msg, before, after = ARGV[n], ARGV[n + 1], ARGV[n + 2]
  if msg == '' then
    redis.call('PUBLISH', channel, before)
  else
    local seq = redis.call('INCR', KEYS[k])
    redis.call('ZADD', KEYS[k + 1], seq, seq .. '|' .. msg)
    redis.call('ZREMRANGEBYRANK', KEYS[k + 1], 0, -(keep + 1))
    redis.call('EXPIRE', KEYS[k], ttl)
    redis.call('EXPIRE', KEYS[k + 1], ttl)
    redis.call('PUBLISH', channel, before .. seq .. after)
    seqs[#seqs + 1] = seq
    k = k + 2
  end
end
return seqs
`);
/** Stands for the number in the bus line until the script knows it: the message's last key, so its last occurrence in the line is ours (only the instance stamp follows). */
const SEQ = '\u0000seq';

/** One line of a step: an event for an agent's stream, or a bus event. */
export type Outgoing = { agentId: string; msg: Unsequenced } | { event: BusEvent };

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
    return (await this.send([{ agentId, msg }]))[0]!;
  }

  /**
   * Agents' events and bus events of one step, in this order, in one round trip; the numbers
   * given to the agents' events, in order.
   */
  async send(lines: Outgoing[]): Promise<number[]> {
    const keys: string[] = [];
    const argv: (string | number)[] = [KEEP, TTL_SECONDS, ''];
    for (const line of lines) {
      if ('event' in line) {
        const { channel, payload } = this.bus.wire(line.event);
        argv[2] = channel;
        argv.push('', payload, '');
        continue;
      }
      const { channel, payload } = this.bus.wire({ type: 'agent.push', agentIds: [line.agentId], message: { ...line.msg, seq: SEQ } as unknown as AgentServerMessage });
      const at = payload.lastIndexOf(JSON.stringify(SEQ));
      argv[2] = channel;
      argv.push(JSON.stringify(line.msg), payload.slice(0, at), payload.slice(at + JSON.stringify(SEQ).length));
      keys.push(this.seqKey(line.agentId), this.logKey(line.agentId));
    }
    if (argv.length === 3) return [];
    return ((await PUSH(this.redis.client, keys, argv)) as (number | string)[]).map(Number);
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
