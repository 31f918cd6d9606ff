import type { ServerModule } from '../../module.js';
import type { Services } from '../../services.js';
import type { RealtimeHub } from '../../kernel/realtime/hub.js';
import { isRedisUnavailable } from '../../kernel/redis.js';
import { commands } from './schema.js';
import { routingRoutes } from './routes.js';

const SWEEP_MS = 250;
const STATS_MS = 2000;

/** Agent socket commands for routing; answers are `ok` (with the interaction) or `error`. */
function registerCommands(s: Services, hub: RealtimeHub): void {
  const r = s.routing;
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
function startLoops(s: Services, hub: RealtimeHub): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // While Redis is away every sweep fails the same way: say so once, not four times a second.
  let paused = false;
  const sweep = async () => {
    try {
      await s.routing.sweep();
      if (paused) s.log.info('routing resumed: Redis is back');
      paused = false;
    } catch (err) {
      if (!isRedisUnavailable(err)) s.log.error({ err }, 'routing sweep failed');
      else if (!paused) s.log.warn({ reason: (err as Error).message }, 'routing paused: Redis unavailable');
      paused = isRedisUnavailable(err);
    }
    if (!stopped) timer = setTimeout(sweep, SWEEP_MS);
  };
  timer = setTimeout(sweep, SWEEP_MS);
  const stats = setInterval(() => {
    (async () => {
      const lease = await s.redis.client.set(s.redis.key('routing', 'stats-lease'), s.bus.instanceId, 'PX', STATS_MS - 100, 'NX');
      if (lease) await hub.pushToAgents('supervisors', { type: 'queue.stats', queues: await s.routing.views.queueStats() });
    })().catch((err) => s.log.warn({ err }, 'queue statistics push failed'));
  }, STATS_MS);
  stats.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(stats);
  };
}

export const routingModule: ServerModule = {
  name: 'routing',
  routes: routingRoutes,
  start: async (s, hub) => {
    // New queue settings and rankings apply at once: what they made routable is offered now, not
    // at the agents' next state change.
    const sync = async () => {
      await s.routing.engine.syncQueues(s.config().queues);
      await s.routing.refreshProfiles();
      await s.routing.dispatch();
    };
    // A failed rebuild must not keep the server down: the sweep tries again every 250 ms.
    const ready = await s.routing.rebuilder.ensure(30_000).catch((err) => {
      s.log.error({ err }, 'rebuilding the routing state failed');
      return false;
    });
    if (!ready) s.log.warn('routing state still missing; the sweep keeps trying to rebuild it');
    await sync();
    const off = s.bus.on((e) => {
      // Only the instance that reloaded syncs, so an instance still on the old files cannot undo it.
      if (e.type === 'config.reloaded' && e.instance === s.bus.instanceId) {
        sync().catch((err) => s.log.error({ err }, 'syncing queues to routing failed'));
      }
      if (e.type === 'call.event' && e.event === 'ended' && e.interactionId) {
        s.routing.callEnded(e.interactionId).catch((err) => s.log.error({ err, interactionId: e.interactionId }, 'closing the interaction of an ended call failed'));
      }
    });
    registerCommands(s, hub);
    const stop = startLoops(s, hub);
    return () => {
      off();
      stop();
    };
  },
};
