import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HttpObservation } from '../../kernel/http/metrics.js';
import { SipAndChatMetrics, type SipFigures } from './sip.js';

/** What /metrics reads at each scrape; each part is narrow so tests and other contexts stay apart. */
export interface MetricSources {
  sockets(): { agents: number; visitors: number };
  queues(): Promise<{ queueId: string; waiting: number; offered: number; longestWaitSeconds: number }[]>;
  /** Routing sweeps this instance completed since it started. */
  sweeps(): number;
  jobDepths(): Promise<{ queue: string; state: string; count: number }[]>;
  dbPool(): { open: number; free: number; waiting: number } | null;
  redisReady(): boolean;
  /** Null while SIP is off or not started. */
  sip(): SipFigures | null;
}

/** One registry per running server (tests run several in one process). */
export class SwitchboardMetrics {
  readonly registry = new Registry();
  private sources: MetricSources | null = null;
  private readonly requests = new Counter({ name: 'switchboard_http_requests_total', help: 'HTTP requests by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  private readonly latency = new Histogram({
    name: 'switchboard_http_request_duration_seconds', help: 'HTTP request duration by method and route pattern', labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry],
  });
  /** Calls and chat relay: counters fed by the calls and chat contexts. */
  readonly calls = new SipAndChatMetrics(this.registry, () => this.sources?.sip() ?? null);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' });
    const sources = () => this.sources;
    new Gauge({
      name: 'switchboard_websocket_connections', help: 'Open WebSocket connections on this instance by side', labelNames: ['side'], registers: [this.registry],
      collect() {
        const s = sources()?.sockets();
        if (!s) return;
        this.set({ side: 'agent' }, s.agents);
        this.set({ side: 'visitor' }, s.visitors);
      },
    });
    // The three queue gauges are collected one after another in a scrape: one read serves them all.
    let read: { at: number; list: Promise<Awaited<ReturnType<MetricSources['queues']>>> } | null = null;
    const queues = () => {
      if (!read || Date.now() - read.at > 1000) read = { at: Date.now(), list: sources()?.queues() ?? Promise.resolve([]) };
      return read.list;
    };
    const perQueue = (name: string, help: string, value: (q: Awaited<ReturnType<MetricSources['queues']>>[number]) => number) =>
      new Gauge({
        name, help, labelNames: ['queue'], registers: [this.registry],
        async collect() {
          for (const q of await queues()) this.set({ queue: q.queueId }, value(q));
        },
      });
    perQueue('switchboard_routing_waiting', 'Interactions waiting in each queue', (q) => q.waiting);
    perQueue('switchboard_routing_offered', 'Interactions of each queue being offered to an agent right now', (q) => q.offered);
    perQueue('switchboard_routing_longest_wait_seconds', 'Longest current wait in each queue', (q) => q.longestWaitSeconds);
    new Counter({
      name: 'switchboard_routing_sweeps_total', help: 'Routing sweeps (offer timeouts, wrap-ups, waits, the dispatch pass) this instance completed; flat while routing is paused or stuck', registers: [this.registry],
      collect() {
        this.reset();
        this.inc(sources()?.sweeps() ?? 0);
      },
    });
    new Gauge({
      name: 'switchboard_jobs', help: 'BullMQ jobs by queue and state', labelNames: ['queue', 'state'], registers: [this.registry],
      async collect() {
        for (const d of (await sources()?.jobDepths()) ?? []) this.set({ queue: d.queue, state: d.state }, d.count);
      },
    });
    new Gauge({
      name: 'switchboard_db_pool_connections', help: 'Database pool connections: open, free, and requests waiting for one', labelNames: ['state'], registers: [this.registry],
      collect() {
        const p = sources()?.dbPool();
        if (!p) return;
        this.set({ state: 'open' }, p.open);
        this.set({ state: 'free' }, p.free);
        this.set({ state: 'waiting' }, p.waiting);
      },
    });
    new Gauge({
      name: 'switchboard_redis_up', help: '1 while the Redis connection is ready', registers: [this.registry],
      collect() {
        this.set(sources()?.redisReady() ? 1 : 0);
      },
    });
  }

  attach(sources: MetricSources): void {
    this.sources = sources;
  }

  observeHttp = (o: HttpObservation): void => {
    if (o.route === '/metrics') return;
    this.requests.inc({ method: o.method, route: o.route, status: String(o.status) });
    this.latency.observe({ method: o.method, route: o.route }, o.seconds);
  };
}
