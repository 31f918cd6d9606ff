import { timingSafeEqual, createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ServerModule } from '../../module.js';
import type { Services } from '../../services.js';
import type { CallEvents, TransactionEvent } from '@switchboard/sip';
import { SwitchboardMetrics } from './registry.js';
import type { SipFigures } from './sip.js';

// Modules are shared by every server in a process; each server's metrics hang off its services.
const byServer = new WeakMap<object, SwitchboardMetrics>();

export function metricsOf(s: Services): SwitchboardMetrics {
  let m = byServer.get(s);
  if (!m) byServer.set(s, (m = new SwitchboardMetrics()));
  return m;
}

const digest = (v: string) => createHash('sha256').update(v).digest();

interface PoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
}

function dbPool(db: DataSource): { open: number; free: number; waiting: number } | null {
  const pool = (db.driver as unknown as { pool?: PoolInternals }).pool;
  if (!pool?._allConnections) return null;
  return { open: pool._allConnections.length, free: pool._freeConnections?.length ?? 0, waiting: pool._connectionQueue?.length ?? 0 };
}

/** What /metrics needs of the SIP side: the running engine's figures and its call events. */
export interface MetricsDeps {
  sip(): { figures: SipFigures; events: CallEvents; observeTransactions?: (fn: (e: TransactionEvent) => void) => () => void } | undefined;
}

/** GET /metrics in Prometheus text format, for IT; only with the configured bearer token. */
export const createMetrics = (deps: MetricsDeps): ServerModule => ({
  name: 'metrics',
  routes: (router, _deps, s) => {
    const metrics = metricsOf(s);
    router.get('/metrics', async (ctx) => {
      const token = s.config().main.metrics.token;
      if (!token) {
        ctx.status = 404;
        ctx.body = { error: { code: 'not_found', message: 'Metrics are off: set metrics.token in switchboard.yaml.' } };
        return;
      }
      const given = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1];
      if (!given) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
        ctx.body = { error: { code: 'unauthorized', message: 'Send the metrics token as a bearer token.' } };
        return;
      }
      if (!timingSafeEqual(digest(given), digest(token))) {
        ctx.status = 403;
        ctx.body = { error: { code: 'forbidden', message: 'Wrong metrics token.' } };
        return;
      }
      ctx.set('Content-Type', metrics.registry.contentType);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await metrics.registry.metrics();
    });
  },
  start: async (s, hub) => {
    const metrics = metricsOf(s);
    // Calls start before metrics: the SIP side, when on, is already running.
    const sip = deps.sip();
    const unfollow = sip ? metrics.calls.follow(sip.events) : undefined;
    const unobserve = sip?.observeTransactions?.(metrics.calls.observeTransaction);
    metrics.attach({
      sockets: () => hub.connections(),
      queues: () => s.routing.views.queueStats(),
      jobDepths: () => s.jobs.depths(),
      dbPool: () => dbPool(s.db),
      redisReady: () => s.redis.client.status === 'ready',
      sip: () => deps.sip()?.figures ?? null,
    });
    return () => {
      unfollow?.();
      unobserve?.();
    };
  },
});
