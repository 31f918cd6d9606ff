import { randomBytes } from 'node:crypto';
import { redisScript } from '../../kernel/redis.js';
import type { Interaction } from '../interactions/index.js';
import type { AgentState } from '../agents/index.js';
import { isRefusal, queueScore } from './engine.js';
import type { Deps, RoutingCore } from './core.js';
import type { RoutingViews } from './views.js';
import { ROUTED } from './records.js';

/** Long enough for a rebuild of a large installation; the lock is released as soon as it is done. */
const LOCK_MS = 60_000;

// Compare-and-delete: an instance whose lock expired must not release the next holder's.
const UNLOCK = redisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`);

const RENUMBER = redisScript(`if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400) end return 1`);

/** What an agent's last recorded state becomes: load decides Busy and Wrap-up again. */
const RESTORED: Record<AgentState, AgentState | null> = {
  available: 'available',
  busy: 'available',
  'wrap-up': 'available',
  rona: 'rona',
  'not-ready': 'not-ready',
  'logged-out': null,
};

/**
 * Redis holds the live routing state; MySQL holds the record of it. When Redis loses the state (a
 * restart without persistence, FLUSHDB, keys deleted), the marker key `routing:built` is gone with
 * it: the instance that notices first (at start, in the sweep, or on a new interaction) takes a
 * lock and puts the state back from MySQL; the others wait for the marker.
 */
export class RoutingRebuild {
  constructor(private readonly d: Deps, private readonly routing: RoutingCore & { readonly views: RoutingViews }) {}

  private get redis() {
    return this.d.engine.redis;
  }
  private get marker() {
    return this.d.engine.key('built');
  }
  private get lock() {
    // Outside routing:* so that losing the routing keys does not also free a rebuild in progress.
    return this.redis.key('routing-rebuild-lock');
  }

  async present(): Promise<boolean> {
    return (await this.redis.client.exists(this.marker)) === 1;
  }

  /** Makes sure the routing state is there: rebuilds it, or waits for the instance that does. */
  async ensure(waitMs = 15_000): Promise<boolean> {
    const until = Date.now() + waitMs;
    while (!(await this.present())) {
      if (await this.tryRebuild()) return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return true;
  }

  /** Rebuilds if the state is missing and no other instance is at it; true when it is there now. */
  async tryRebuild(): Promise<boolean> {
    const token = randomBytes(8).toString('hex');
    if (!(await this.redis.client.set(this.lock, token, 'PX', LOCK_MS, 'NX'))) return false;
    let agents: string[];
    try {
      if (await this.present()) return true;
      agents = await this.rebuild();
      await this.renumber(agents);
      await this.redis.client.set(this.marker, new Date().toISOString());
    } finally {
      await UNLOCK(this.redis.client, [this.lock], [token]);
    }
    await this.routing.dispatch();
    await this.resync(agents);
    return true;
  }

  /** Puts queues, interactions and agents back; returns the agents logged in. Tests spy on it. */
  async rebuild(): Promise<string[]> {
    const started = Date.now();
    await this.d.engine.syncQueues(this.d.config().queues);
    // Loads first, agents after: an agent becomes free for new work only with their load counted.
    const restored = await this.restoreInteractions();
    const agents = await this.restoreAgents();
    this.d.log.warn({ interactions: restored, agents: agents.length, ms: Date.now() - started }, 'routing state was missing in Redis: rebuilt from MySQL');
    return agents;
  }

  private async restoreInteractions(): Promise<number> {
    const rows = await this.d.records.liveRouted(this.d.engine.scope);
    const guests = await this.d.records.conferenceGuests(rows.filter((r) => r.interaction.state === 'conference').map((r) => r.interaction.id));
    const restored: Interaction[] = [];
    for (const { interaction: i, priority, queuedIn } of rows) {
      const queue = this.routing.queue(i.queueId ?? '');
      if (!queue || !i.queuedAt) {
        this.d.log.warn({ interactionId: i.id, queueId: i.queueId }, 'not restored into routing: its queue is gone');
        continue;
      }
      const owner = i.assignedAgentId ?? '';
      const guest = i.state === 'conference' ? (guests.get(i.id) ?? '') : '';
      const state = !owner || i.state === 'queued' || i.state === 'offered' ? 'queued' : guest ? 'conference' : 'assigned';
      const queuedAt = i.queuedAt.getTime();
      // A transfer to another queue took that queue's priority; the one given at creation counts in its first queue.
      const score = queueScore(queuedIn === queue.id && priority !== null ? priority : queue.priority, queuedAt);
      const website = this.d.config().websites.find((w) => w.id === i.websiteId);
      const wkey = i.channel === 'chat' && website?.maxConcurrentChats ? this.d.engine.key('live', 'w', website.id, 'chat') : '';
      const maxWaitAt = queue.maxWaitSeconds ? queuedAt + queue.maxWaitSeconds * 1000 : 0;
      const r = await this.d.engine.run<{ restored: boolean }>('restoreInteraction', [
        i.id, state, queue.id, i.channel, score, queuedAt, i.websiteId ?? '', wkey, state === 'queued' ? '' : owner, guest, i.assignedAt?.getTime() ?? queuedAt, maxWaitAt,
      ]);
      if (isRefusal(r) || !r.restored) continue;
      restored.push(i);
      // Restored, it can be closed at once (by the customer, on any instance): not written back over that close.
      if (state === 'queued' && i.state !== 'queued') await this.d.records.updateIf(i.id, ROUTED, { state: 'queued', assignedAgentId: null, assignedAt: null });
    }
    // Offers lived in Redis only: those still pending in MySQL are gone.
    await this.d.records.withdrawPending(restored.map((i) => i.id));
    return restored.length;
  }

  /** Agents with a live session: their state as Redis still has it, or as last recorded in MySQL. */
  private async restoreAgents(): Promise<string[]> {
    const all = (await this.d.agents.list()).filter((a) => a.active);
    const stateKeys = await Promise.all(all.map((a) => this.redis.client.exists(this.redis.key('agent-state', a.id))));
    const sessions = await Promise.all(all.map((a) => this.d.agents.hasSession(a.id)));
    const present = all.filter((_, n) => sessions[n] || stateKeys[n]);
    const last = await this.d.records.lastStates(present.map((a) => a.id));
    const skills = await this.d.agents.skillsOf(present.map((a) => a.id));
    const queues = this.d.config().queues.map((q) => q.id);
    const online: string[] = [];
    for (const a of present) {
      const recorded = last.get(a.id);
      const state = recorded ? RESTORED[recorded.state] : null;
      const reason = state === 'not-ready' ? (recorded?.reason ?? '') : '';
      await this.d.engine.profile(a.id, a.capacity, skills.get(a.id) ?? [], queues);
      const r = await this.d.engine.run<{ state: AgentState }>('restoreAgent', [a.id, state ?? '', reason]);
      await this.d.states.record(r.changes);
      if (!isRefusal(r) && r.state !== 'logged-out') online.push(a.id);
    }
    return online;
  }

  /**
   * The agents' numbered event streams were lost too, and a desktop ignores numbers it has seen.
   * Numbering goes on above anything it can have seen (the time in ms is far above any count),
   * so the next event shows a gap and the desktop resumes.
   */
  private async renumber(agents: string[]): Promise<void> {
    for (const a of agents) await RENUMBER(this.redis.client, [this.redis.key('routing', 'seq', a)], [Date.now()]);
  }

  /** Each logged-in agent gets the whole picture now, so no tab keeps an offer that is gone. */
  private async resync(agents: string[]): Promise<void> {
    for (const a of agents) await this.d.bus.publish({ type: 'agent.push', agentIds: [a], message: await this.routing.views.snapshot(a) });
  }
}
