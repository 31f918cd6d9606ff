import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import type { RealtimeHub } from '../../kernel/realtime/hub.js';
import type { AgentService } from '../agents/index.js';
import { isRedisUnavailable } from '../../kernel/redis.js';
import { commands } from './schema.js';
import { routingRoutes } from './routes.js';
import { RoutingEngine } from './engine.js';
import { RoutingRecords } from './records.js';
import { AgentEvents } from './agent-events.js';
import { RoutingService } from './service.js';
import { AgentStateStore } from './state-store.js';

const SWEEP_MS = 250;
const STATS_MS = 2000;
/** Held interactions stranded between their row and Redis are looked for at start and this often. */
const STRANDED_MS = 5 * 60_000;

/** Agent socket commands for routing; answers are `ok` (with the interaction) or `error`. */
function registerCommands(r: RoutingService, hub: RealtimeHub): void {
  hub.onAgentCommand(commands.resume, async (conn, cmd) => {
    const events = await r.events.since(conn.principal.agentId, cmd.afterSeq);
    if (!events) return r.views.snapshot(conn.principal.agentId);
    for (const e of events) conn.send(e);
    return { type: 'ok' };
  });
  hub.onAgentCommand(commands.accept, async (conn, cmd) => ({ type: 'ok', interaction: await r.accept(cmd.offerId, conn.principal.agentId) }));
  hub.onAgentCommand(commands.reject, async (conn, cmd) => {
    await r.reject(cmd.offerId, conn.principal.agentId);
    return { type: 'ok' };
  });
  hub.onAgentCommand(commands.transfer, async (conn, cmd) => ({
    type: 'ok',
    interaction: await r.transfer(cmd.interactionId, conn.principal.agentId, { toQueue: cmd.toQueue, toAgent: cmd.toAgent }),
  }));
  hub.onAgentCommand(commands.conference, async (conn, cmd) => ({ type: 'ok', interaction: await r.conference(cmd.interactionId, conn.principal.agentId, cmd.agentId) }));
  hub.onAgentCommand(commands.endConference, async (conn, cmd) => ({ type: 'ok', interaction: await r.endConference(cmd.interactionId, conn.principal.agentId) }));
  hub.onAgentCommand(commands.close, async (conn, cmd) => ({
    type: 'ok',
    interaction: await r.close(cmd.interactionId, { agentId: conn.principal.agentId }, cmd.disposition ?? null),
  }));
  hub.onAgentCommand(commands.watch, async (conn) => {
    if (conn.principal.role === 'agent') return { type: 'error', code: 'forbidden', message: 'Queue statistics are for supervisors.' };
    return { type: 'queue.stats', queues: await r.views.queueStats() };
  });
  // A new socket (a reconnect, a second tab) starts from the whole picture and its seq.
  hub.onAgentConnect(async (conn) => conn.send(await r.views.snapshot(conn.principal.agentId)));
}

/**
 * Every instance sweeps due offers and wrap-ups (the scripts make sure each is handled once), so
 * timeouts survive the death of the instance that made the offer. Queue statistics go to
 * supervisors from whichever instance holds the short Redis lease.
 */
function startLoops(k: Kernel, routing: RoutingService, hub: RealtimeHub, swept: () => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // While Redis is away every sweep fails the same way: say so once, not four times a second.
  let paused = false;
  const sweep = async () => {
    try {
      await routing.sweep();
      swept();
      if (paused) k.log.info('routing resumed: Redis is back');
      paused = false;
    } catch (err) {
      if (!isRedisUnavailable(err)) k.log.error({ err }, 'routing sweep failed');
      else if (!paused) k.log.warn({ reason: (err as Error).message }, 'routing paused: Redis unavailable');
      paused = isRedisUnavailable(err);
    }
    if (!stopped) timer = setTimeout(sweep, SWEEP_MS);
  };
  timer = setTimeout(sweep, SWEEP_MS);
  const stats = setInterval(() => {
    (async () => {
      // Made by an instance a supervisor listens on (the push reaches every instance's): one pass
      // over every online agent in Redis, for nobody when no supervisor is connected.
      if (!hub.hasSupervisors()) return;
      const lease = await k.redis.client.set(k.redis.key('routing', 'stats-lease'), k.bus.instanceId, 'PX', STATS_MS - 100, 'NX');
      if (lease) await hub.pushToAgents('supervisors', { type: 'queue.stats', queues: await routing.views.queueStats() });
    })().catch((err) => k.log.warn({ err }, 'queue statistics push failed'));
  }, STATS_MS);
  stats.unref();
  // One instance a pass (the lease): each would find the same rows, and queue each only once anyway.
  const stranded = () => {
    (async () => {
      if ((await k.redis.client.set(k.redis.key('routing', 'stranded-lease'), k.bus.instanceId, 'PX', STRANDED_MS - 1000, 'NX')) !== 'OK') return;
      const n = await routing.resumeStranded();
      if (n) k.log.warn({ interactions: n }, 'held interactions whose queueing was cut short are queued');
    })().catch((err) => k.log.warn({ err }, 'looking for stranded held interactions failed; trying again later'));
  };
  stranded();
  const strandedTimer = setInterval(stranded, STRANDED_MS);
  strandedTimer.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(stats);
    clearInterval(strandedTimer);
  };
}

/** What routing uses of other contexts. */
export interface RoutingDeps {
  /** The agents' accounts (names, skills, capacity); routing hands their work over when their sessions end. */
  agents: AgentService;
  /** Those of these interactions that have a call still going on (an agent who leaves keeps them; the calls context answers). */
  withLiveCall: (interactionIds: string[]) => Promise<string[]>;
}

/** The routing context as app.ts wires it: the service every channel routes through, and the agents' state store. */
export interface RoutingContext extends ServerModule {
  readonly service: RoutingService;
  readonly states: AgentStateStore;
  /**
   * Puts the running configuration's queue settings and the agents' profiles into the routing
   * state and offers what they made routable. The instance that reloads runs it before it
   * announces the reload, so once a reload has answered its new queues route on every instance.
   */
  applyConfig(): Promise<void>;
  /** Sweeps this instance has completed since it started (a sweep that failed does not count). */
  sweeps(): number;
}

/** Queues, offers, assignment, transfer and close for every channel, and the agents' states. */
export function createRouting(k: Kernel, deps: RoutingDeps): RoutingContext {
  const states = new AgentStateStore(k.redis, k.db, k.bus, k.clock);
  const routing = new RoutingService({
    config: k.config,
    log: k.log.child({ component: 'routing' }),
    bus: k.bus,
    engine: new RoutingEngine(k.redis, k.clock),
    records: new RoutingRecords(k.db, deps.withLiveCall, k.clock),
    events: new AgentEvents(k.redis, k.bus),
    states,
    agents: deps.agents,
  });
  // New queue settings and rankings apply at once: what they made routable is offered now, not
  // at the agents' next state change.
  const applyConfig = async () => {
    await routing.engine.syncQueues(k.config().queues);
    await routing.refreshProfiles();
    await routing.dispatch();
  };
  let sweeps = 0;
  return {
    name: 'routing',
    service: routing,
    states,
    applyConfig,
    sweeps: () => sweeps,
    routes: (router, routeDeps) => routingRoutes(router, routeDeps, k, { routing, agents: deps.agents }),
    start: async (hub) => {
      // A failed rebuild must not keep the server down: the sweep tries again every 250 ms.
      const ready = await routing.rebuilder.ensure(30_000).catch((err) => {
        k.log.error({ err }, 'rebuilding the routing state failed');
        return false;
      });
      if (!ready) k.log.warn('routing state still missing; the sweep keeps trying to rebuild it');
      await applyConfig();
      registerCommands(routing, hub);
      const stop = startLoops(k, routing, hub, () => sweeps++);
      return stop;
    },
  };
}
