import type { AgentStateName, AgentServerMessage, ChannelName, LiveAgentPayload, OfferPayload, QueueStatsPayload } from '@switchboard/protocol';
import type { Channel, Config, Queue } from '../../kernel/config/schema.js';
import { hoursStatus } from '../websites/index.js';
import type { RedisHandle } from '../../kernel/redis.js';
import type { RoutingCore } from './core.js';
import type { AgentStateStore } from './state-store.js';
import { isRefusal, list, type OfferKind } from './engine.js';
import { liveAgents } from './agent-list.js';

export interface AgentRow {
  agentId: string;
  state: AgentStateName;
  load: Record<string, number>;
  cap: Record<string, number>;
  skills: Record<string, number>;
  offer: string;
}

export interface QueueAvailability {
  queueId: string;
  channel: Channel;
  open: boolean;
  nextOpening: string | null;
  /** Agents who could take one more interaction of this queue right now. */
  agentsAvailable: number;
  agentsLoggedIn: number;
  waiting: number;
}

const STATES: AgentStateName[] = ['logged-out', 'available', 'not-ready', 'busy', 'wrap-up', 'rona'];

/** Read-only pictures of the routing state: for the desktop, the supervisor and the widget's bot. */
export class RoutingViews {
  constructor(
    private readonly s: { config: () => Config; redis: RedisHandle; states: AgentStateStore },
    private readonly routing: RoutingCore,
  ) {}

  async onlineAgents(): Promise<AgentRow[]> {
    const ids = await this.routing.engine.online();
    const p = this.s.redis.client.pipeline();
    for (const id of ids) {
      p.hgetall(this.routing.engine.key('a', id));
      p.hget(this.s.redis.key('agent-state', id), 'state');
    }
    const res = (await p.exec()) ?? [];
    return ids.map((agentId, n) => {
      const h = (res[n * 2]?.[1] ?? {}) as Record<string, string>;
      const row: AgentRow = { agentId, state: (res[n * 2 + 1]?.[1] as AgentStateName) ?? 'logged-out', load: {}, cap: {}, skills: {}, offer: h.offer ?? '' };
      for (const [k, v] of Object.entries(h)) {
        const [kind, name] = k.split(':');
        if (kind === 'load') row.load[name!] = Number(v);
        else if (kind === 'cap') row.cap[name!] = Number(v);
        else if (kind === 'sk') row.skills[name!] = Number(v);
      }
      return row;
    });
  }

  /** For the widget's bot API: may a visitor expect an agent now, per queue of a website or channel? */
  async availability(filter: { websiteId?: string; queueId?: string; channel?: Channel } = {}): Promise<QueueAvailability[]> {
    const config = this.s.config();
    const website = filter.websiteId ? config.websites.find((w) => w.id === filter.websiteId) : undefined;
    let queues = config.queues;
    if (website) {
      const ids = new Set(Object.values(website.channels).filter((c) => c.enabled && c.queue).map((c) => c.queue!));
      queues = queues.filter((q) => ids.has(q.id));
    }
    if (filter.queueId) queues = queues.filter((q) => q.id === filter.queueId);
    if (filter.channel) queues = queues.filter((q) => q.channel === filter.channel);
    const now = new Date();
    return Promise.all(
      queues.map(async (q) => {
        const hours = [q.hours, website?.hours].filter((c): c is string => !!c).map((id) => hoursStatus(calendar(config, id), now));
        const closed = hours.find((h) => !h.open);
        const counts = await this.counts(q);
        return {
          queueId: q.id,
          channel: q.channel,
          open: !closed,
          nextOpening: closed?.nextOpening ?? null,
          agentsAvailable: closed ? 0 : counts.available,
          agentsLoggedIn: counts.loggedIn,
          waiting: (await this.routing.engine.waiting(q.id)).count,
        };
      }),
    );
  }

  /**
   * Agents of a queue logged in, and free for it now, from the queue's ranking at its last
   * relaxation step (everyone who could ever take it) intersected with the online and free sets:
   * a widget may ask often, so this must not read every agent.
   */
  private async counts(q: Queue): Promise<{ loggedIn: number; available: number }> {
    const e = this.routing.engine;
    const rank = e.key('qa', q.id, String(q.relax.length));
    const client = this.s.redis.client;
    const loggedIn = Number(await client.call('ZINTERCARD', 2, rank, e.key('online')));
    const free = (await client.call('ZINTER', 2, rank, e.key('free', q.channel))) as string[];
    if (q.allowWhileOnCall || q.channel === 'phone' || q.channel === 'video' || !free.length) return { loggedIn, available: free.length };
    const p = client.pipeline();
    for (const a of free) p.hmget(e.key('a', a), 'load:phone', 'load:video');
    const loads = ((await p.exec()) ?? []).map(([, v]) => v as (string | null)[]);
    return { loggedIn, available: loads.filter((v) => Number(v[0]) + Number(v[1]) === 0).length };
  }

  /**
   * The supervisor's live view of every queue. Its agents are those with the channel in their
   * capacity and the queue's skills at the level of its most relaxed step (any agent, if a step
   * says so); available, those who could take one more of it now. One script counts them over the
   * online agents (queue-stats.lua): the view is pushed every two seconds, and reading each agent
   * from here cost the server in proportion to the agents logged in.
   */
  async queueStats(): Promise<QueueStatsPayload[]> {
    const config = this.s.config();
    const asked = config.queues.map((q) => ({
      id: q.id,
      channel: q.channel,
      skills: q.skills.map((s) => [s.skill, s.level]),
      drop: Math.max(0, ...q.relax.map((r) => r.minLevelDrop ?? 0)),
      any: q.relax.some((r) => r.anyAgent),
      allowCall: !!q.allowWhileOnCall,
    }));
    const r = await this.routing.engine.run<{ queues: { agents: Partial<Record<AgentStateName, number>>; available: number; offered: number }[] }>('queueStats', [JSON.stringify(asked)]);
    const counted = isRefusal(r) ? [] : list<{ agents: Partial<Record<AgentStateName, number>>; available: number; offered: number }>(r.queues);
    const now = Date.now();
    return Promise.all(
      config.queues.map(async (q, n) => {
        const w = await this.routing.engine.waiting(q.id);
        const c = counted[n];
        return {
          queueId: q.id,
          name: q.name,
          channel: q.channel as ChannelName,
          open: hoursStatus(calendar(config, q.hours), new Date(now)).open,
          waiting: w.count,
          longestWaitSeconds: w.oldestQueuedAt ? Math.floor((now - w.oldestQueuedAt) / 1000) : 0,
          offered: c?.offered ?? 0,
          agents: Object.fromEntries(STATES.map((st) => [st, c?.agents[st] ?? 0])) as Record<AgentStateName, number>,
          available: c?.available ?? 0,
          estimatedWaitSeconds: w.count ? await this.routing.estimate(q.id, w.count) : null,
        };
      }),
    );
  }

  /** The supervisor's view of every logged-in agent: state, load and what they hold (one read, see agent-list.ts). */
  agents(): Promise<LiveAgentPayload[]> {
    return liveAgents(this.s.redis, this.routing.engine);
  }

  /** Everything an agent's desktop shows, with the seq it is current up to. */
  async snapshot(agentId: string): Promise<Extract<AgentServerMessage, { type: 'snapshot' }>> {
    const seq = await this.routing.events.current(agentId);
    const status = await this.s.states.get(agentId);
    const load = await this.routing.engine.agentLoad(agentId);
    const offers: OfferPayload[] = [];
    if (load.offer) {
      const o = await this.routing.engine.offerOf(load.offer);
      const i = o.state === 'pending' ? await this.routing.records.get(o.interaction!) : null;
      if (i) {
        const made = { offerId: load.offer, agentId, interactionId: i.id, kind: o.kind as OfferKind, expiresAt: Number(o.deadline), queueId: o.queue ?? '', channel: i.channel, from: o.from || null };
        offers.push(await this.routing.offerPayload(made, i));
      }
    }
    const ids = await this.routing.engine.interactionsOf(agentId);
    const interactions = await Promise.all(ids.map((id) => this.routing.payload(id)));
    return { type: 'snapshot', seq, status, offers, interactions };
  }
}

function calendar(config: Config, id: string | undefined) {
  return id ? config.calendars.find((c) => c.id === id) : undefined;
}
