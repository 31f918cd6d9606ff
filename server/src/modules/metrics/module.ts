import { timingSafeEqual, createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import type { CallEvents, TransactionEvent } from '@switchboard/sip';
import { SwitchboardMetrics, type MetricSources } from './registry.js';
import type { SipFigures } from './sip.js';

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

/** What /metrics needs of other contexts: the SIP side's figures and call events, routing's queue figures and sweeps. */
export interface MetricsDeps {
  sip(): { figures: SipFigures; events: CallEvents; observeTransactions?: (fn: (e: TransactionEvent) => void) => () => void } | undefined;
  routing: { queueStats: MetricSources['queues']; sweeps: MetricSources['sweeps'] };
}

/** The metrics context as app.ts wires it; `metrics` is what the HTTP layer and chat's relay record into. */
export interface MetricsContext extends ServerModule {
  readonly metrics: SwitchboardMetrics;
}

/** GET /metrics in Prometheus text format, for IT; only with the configured bearer token. */
export const createMetrics = (k: Kernel, deps: MetricsDeps): MetricsContext => {
  const metrics = new SwitchboardMetrics();
  return {
    name: 'metrics',
    metrics,
    routes: (router) => {
      router.get('/metrics', async (ctx) => {
        const token = k.config().main.metrics.token;
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
    start: async (hub) => {
      // Calls start before metrics: the SIP side, when on, is already running.
      const sip = deps.sip();
      const unfollow = sip ? metrics.calls.follow(sip.events) : undefined;
      const unobserve = sip?.observeTransactions?.(metrics.calls.observeTransaction);
      metrics.attach({
        sockets: () => hub.connections(),
        queues: () => deps.routing.queueStats(),
        sweeps: () => deps.routing.sweeps(),
        jobDepths: () => k.jobs.depths(),
        dbPool: () => dbPool(k.db),
        redisReady: () => k.redis.client.status === 'ready',
        sip: () => deps.sip()?.figures ?? null,
      });
      return () => {
        unfollow?.();
        unobserve?.();
      };
    },
  };
};
