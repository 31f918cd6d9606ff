import 'reflect-metadata';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import type { Config } from './kernel/config/schema.js';
import { ConfigError, loadConfig } from './kernel/config/load.js';
import { notReloadable } from './kernel/config/live.js';
import { syncConfig } from './modules/queues/index.js';
import { createLogger, type Logger } from './kernel/logger.js';
import { createDataSource } from './kernel/db/data-source.js';
import { entities } from './entities.js';
import { runMigrationsLocked } from './kernel/db/migration-lock.js';
import { createRedis, jobSafetyProblems, type RedisHandle } from './kernel/redis.js';
import { JobRunner, type RunnerOptions } from './kernel/jobs/runner.js';
import { EventBus } from './kernel/bus.js';
import { errorMiddleware } from './kernel/http/errors.js';
import { authenticate, rateLimiter, websiteOrigin, findWebsite, desktopOnly } from './kernel/http/security.js';
import type { RouteDeps } from './kernel/http/route.js';
import type { SessionResolver } from './kernel/http/principal.js';
import { openApiDocument } from './kernel/http/openapi.js';
import { XmppConnection } from './modules/chat/xmpp.js';
import { createHealth, type Readiness } from './modules/health/index.js';
import { chatOfflineTickets, createMail, createMailParts, imapReachable, smtpReachable, type MailboxReader, type MailParts, type Outbox } from './modules/mail/index.js';
import { createAgentAccounts, createAgents, type AgentService } from './modules/agents/index.js';
import { createAuth } from './modules/auth/index.js';
import { createAdmin } from './modules/admin/index.js';
import { createWebsites } from './modules/websites/index.js';
import { createContacts, type ContactService } from './modules/contacts/index.js';
import { createRouting, interactionSteps, type AgentStateStore, type InteractionSteps, type RoutingService } from './modules/routing/index.js';
import { RealtimeHub } from './kernel/realtime/hub.js';
import { createReasons } from './modules/reasons/index.js';
import { createStatic } from './modules/static/index.js';
import { createCallbacks, type CallbacksKit } from './modules/callbacks/index.js';
import { createChat, type ChatParts } from './modules/chat/index.js';
import { createCalls, withLiveCall, type Calls } from './modules/calls/index.js';
import { createWidgetApi } from './modules/widget-api/index.js';
import { createHistory } from './modules/history/index.js';
import { createReports } from './modules/reports/index.js';
import { createFeedback } from './modules/feedback/index.js';
import { createMetrics, type SwitchboardMetrics } from './modules/metrics/index.js';
import { httpMetrics } from './kernel/http/metrics.js';
import type { Kernel } from './kernel/kernel.js';
import type { ServerModule } from './module.js';
import { StartupError } from './kernel/startup-error.js';
import { systemClock, type Clock } from './kernel/clock.js';

type MountedRoute = RouteDeps['mounted'][number];

/** What the composition root built, for tests and tools that look inside a running server. */
export interface Contexts {
  agents: AgentService;
  states: AgentStateStore;
  routing: RoutingService;
  contacts: ContactService;
  readiness: Readiness;
  xmpp: XmppConnection;
  metrics: SwitchboardMetrics;
  chat: ChatParts;
  /** The mail context's parts: its outbox and held tickets. */
  mail: MailParts;
  outbox: Outbox;
  /** The support mailbox's reader. */
  mailbox: MailboxReader;
  /** What the callbacks context's parts work with (its jobs are made from it). */
  callbacks: CallbacksKit;
  /** The SIP side while it runs. */
  calls: () => Calls | undefined;
}

/** The contexts startSwitchboard builds first: the accounts, routing, health and contacts the others are given. */
interface Core {
  accounts: ReturnType<typeof createAgentAccounts>;
  routing: ReturnType<typeof createRouting>;
  health: ReturnType<typeof createHealth>;
  contacts: ReturnType<typeof createContacts>;
  agents: ReturnType<typeof createAgents>;
  xmpp: XmppConnection;
  reloadConfig: (by: string) => Promise<void>;
}

/**
 * The bounded contexts, built together before any route is mounted, in start order. Each adds
 * its routes, socket commands and bus handlers.
 */
function compose(k: Kernel, core: Core, hub: RealtimeHub): { modules: ServerModule[]; contexts: Contexts; metrics: SwitchboardMetrics } {
  const routing = core.routing.service;
  const agents = core.accounts.service;
  const contacts = core.contacts.service;
  // Routing owns the interaction lifecycle; every channel goes through these steps.
  const steps: InteractionSteps = interactionSteps(routing, k.db, k.clock);
  const calls = createCalls(k, { routing: steps, agents, contacts, readiness: core.health.readiness }, hub);
  const metrics = createMetrics(k, {
    sip: () => {
      const c = calls.running();
      if (!c) return undefined;
      const mediaSessions = c.media.kind === 'rtpengine' ? c.control.activeSessions.size + c.probes.size : 0;
      const observeTransactions = c.engine.stack.observe?.bind(c.engine.stack);
      return { figures: { dialogs: c.engine.dialogs.size, calls: c.control.activeSessions.size, mediaSessions, mediaFailures: c.media.failures?.() ?? [] }, events: c.events, observeTransactions };
    },
    routing: { queueStats: () => routing.views.queueStats(), sweeps: () => core.routing.sweeps() },
  });
  const mailParts = createMailParts(k, { routing: steps, agents, contacts });
  const outbox = mailParts.outbox;
  const chat = createChat(k, hub, { mailer: outbox, offlineTicket: chatOfflineTickets(mailParts), relayLag: metrics.metrics.calls.observeRelayLag, routing: steps, agents, contacts, xmpp: core.xmpp });
  const files = chat.parts.files;
  const mail = createMail(mailParts, {
    chat: {
      upload: (ctx, website, interactionId, by) => files.upload(ctx, website, interactionId, by),
      download: (ctx, interactionId, fileId, by) => files.download(ctx, interactionId, fileId, by),
      announce: (interactionId, messageId) => chat.parts.chat.announce(interactionId, messageId),
    },
  });
  const callbacks = createCallbacks(k, { sip: calls.running, lostCalls: calls, mailer: outbox, routing: steps, agents, contacts });
  const modules: ServerModule[] = [
    core.health,
    createAuth(k, { agents: core.accounts.service, sessions: core.accounts.sessions, states: core.routing.states }),
    core.agents,
    createAdmin(k, { reloadConfig: core.reloadConfig }),
    createWebsites(k),
    core.contacts,
    calls,
    createReasons(k),
    core.routing,
    chat,
    callbacks,
    mail,
    createWidgetApi(k, { routing }),
    createHistory(k),
    createReports(k),
    createFeedback(k, { mailer: outbox, routing: steps }),
    metrics,
    createStatic(k), // keep last: its catch-all GET serves the desktop for any path no module took
  ];
  const contexts: Contexts = {
    agents,
    states: core.routing.states,
    routing,
    contacts,
    readiness: core.health.readiness,
    xmpp: core.xmpp,
    metrics: metrics.metrics,
    chat: chat.parts,
    mail: mailParts,
    mailbox: mail.mailbox,
    callbacks: callbacks.kit,
    outbox,
    calls: calls.running,
  };
  return { modules, contexts, metrics: metrics.metrics };
}

export { StartupError };

export interface Switchboard {
  readonly url: string;
  /** What every context stands on: the running configuration, log, database, Redis, bus, jobs. */
  readonly kernel: Kernel;
  readonly contexts: Contexts;
  /** Every route mounted, as the OpenAPI document lists them. */
  readonly mounted: readonly MountedRoute[];
  /** Re-reads config/ and tells the other instances (SIGHUP, the admin API). */
  reloadConfig(by: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startSwitchboard(initial: Config, opts: { logger?: Logger; jobs?: RunnerOptions; clock?: Clock } = {}): Promise<Switchboard> {
  let config = initial;
  const clock = opts.clock ?? systemClock;
  const log = opts.logger ?? createLogger(config.main.logging.level);
  const cleanups: (() => Promise<void> | void)[] = [];
  const undo = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((err) => log.warn({ err }, 'cleanup failed'));
  };

  try {
    const db = await openDatabase(config);
    cleanups.push(() => db.destroy());
    const redis = await openRedis(config);
    cleanups.push(() => redis.close());
    const unsafe = await jobSafetyProblems(redis.client);
    if (unsafe.length) log.warn({ redis: `${config.main.redis.host}:${config.main.redis.port}`, problems: unsafe }, 'Redis is not set up for durable jobs: scheduled callbacks may be lost');
    const jobs = new JobRunner(config.main.redis, log.child({ component: 'jobs' }), opts.jobs);
    cleanups.push(() => jobs.close());

    const bus = new EventBus(redis, log);
    await bus.start();
    const kernel: Kernel = { config: () => config, log, db, redis, bus, jobs, clock };
    const accounts = createAgentAccounts(kernel);
    const routing = createRouting(kernel, { agents: accounts.service, withLiveCall: (ids) => withLiveCall(db, ids) });
    const xmpp = new XmppConnection(config.main.xmpp, log.child({ component: 'xmpp' }));
    const health = createHealth(kernel, { xmpp, mail: { smtp: smtpReachable, imap: imapReachable } });
    const contacts = createContacts(kernel);
    const agents = createAgents(kernel, accounts, { states: routing.states, routing: routing.service });

    await syncConfig(db, config);
    const created = await accounts.service.bootstrap();
    if (created.length) log.info({ agents: created }, 'created agents from agents.yaml');

    const reload = async (by: string, announce: boolean) => {
      const next = loadConfig(config.dir);
      const fixed = notReloadable(config, next);
      if (fixed.length) throw new ConfigError(fixed);
      await syncConfig(db, next);
      config = next;
      log.info({ by }, 'configuration reloaded');
      if (!announce) return;
      // Only the instance that reloaded applies it to routing, so an instance still on the old
      // files cannot undo it; before it announces, so the others' new queues route at once.
      await routing.applyConfig().catch((err) => log.error({ err }, 'syncing queues to routing failed'));
      await bus.publish({ type: 'config.reloaded', by, instance: bus.instanceId });
    };
    bus.on((e) => {
      if (e.type === 'config.reloaded' && e.instance !== bus.instanceId) {
        reload(`${e.by} (via instance ${e.instance})`, false).catch((err) => log.error({ err }, 'reload announced by another instance failed; keeping the running configuration'));
      }
    });

    const reloadConfig = (by: string) => reload(by, true);

    // Everything is built first, then routes are mounted, then modules start.
    const hub = new RealtimeHub({ ...kernel, sessions: accounts.sessions, states: routing.states });
    const { modules, contexts, metrics } = compose(kernel, { accounts, routing, health, contacts, agents, xmpp, reloadConfig }, hub);
    const { app, mounted } = buildKoa(kernel, accounts.sessions, metrics, modules);
    const server = config.main.server.tls
      ? https.createServer({ cert: readFileSync(config.main.server.tls.cert), key: readFileSync(config.main.server.tls.key) }, app.callback())
      : http.createServer(app.callback());
    server.requestTimeout = 60_000;
    hub.attach(server);
    for (const m of modules) {
      const stop = await m.start?.(hub);
      if (stop) cleanups.push(stop);
    }
    await listen(server, config);
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    );
    cleanups.push(() => hub.close());

    xmpp.start();
    cleanups.push(() => xmpp.stop());

    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.main.server.port;
    const url = `${config.main.server.tls ? 'https' : 'http'}://${config.main.server.host}:${port}`;
    log.info({ url, instance: bus.instanceId }, 'switchboard started');

    let stopping: Promise<void> | undefined;
    return {
      url,
      kernel,
      contexts,
      mounted,
      reloadConfig,
      stop: () => {
        stopping ??= (async () => {
          log.info('stopping');
          const grace = config.main.server.shutdownGraceSeconds * 1000;
          const forced = setTimeout(() => server.closeAllConnections(), grace);
          forced.unref();
          server.closeIdleConnections();
          await undo();
          clearTimeout(forced);
          log.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

function buildKoa(s: Kernel, sessions: SessionResolver, metrics: SwitchboardMetrics, modules: ServerModule[]): { app: Koa; mounted: readonly MountedRoute[] } {
  const app = new Koa({ proxy: s.config().main.server.trustProxy });
  const router = new Router();
  const mounted: MountedRoute[] = [];
  const deps: RouteDeps = {
    rateLimit: rateLimiter(s.redis, s.config, s.log, s.clock),
    authenticate: authenticate(sessions),
    websiteOrigin: websiteOrigin(s.config),
    desktopOnly: (opts) => desktopOnly(s.config, opts),
    mounted,
  };
  app.use(async (ctx, next) => {
    ctx.state.requestId = randomBytes(8).toString('hex');
    ctx.set('X-Request-Id', ctx.state.requestId as string);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  });
  app.use(httpMetrics(metrics.observeHttp));
  app.use(errorMiddleware(s.log));
  app.use(widgetPreflight(s));
  for (const m of modules) m.routes?.(router, deps);
  router.get('/api/openapi.json', (ctx) => {
    ctx.body = openApiDocument(s.config().main.server.publicUrl, mounted);
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, mounted };
}

/** CORS preflight for widget endpoints: answered for the website's allowed origins only. */
function widgetPreflight(s: Pick<Kernel, 'config'>): Koa.Middleware {
  return async (ctx, next) => {
    const m = /^\/api\/widget\/([^/]+)\//.exec(ctx.path);
    if (ctx.method !== 'OPTIONS' || !m) return next();
    const website = findWebsite(s.config(), decodeURIComponent(m[1]!));
    const origin = ctx.get('origin');
    if (!website || !origin || !website.origins.includes(origin)) {
      ctx.status = 403;
      return;
    }
    ctx.set('Access-Control-Allow-Origin', origin);
    ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
    ctx.set('Access-Control-Allow-Headers', 'Content-Type, Authorization');
    ctx.set('Access-Control-Max-Age', '600');
    ctx.set('Vary', 'Origin');
    ctx.status = 204;
  };
}

async function openDatabase(config: Config): Promise<DataSource> {
  const d = config.main.database;
  const db = createDataSource(d, entities);
  try {
    await db.initialize();
  } catch (err) {
    throw new StartupError(
      `Cannot connect to the database ${d.name} at ${d.host}:${d.port} as ${d.user}: ${(err as Error).message}. ` +
        `Check that MySQL/MariaDB is running and the database key in switchboard.yaml (run scripts/services.sh to start the local one).`,
    );
  }
  try {
    await runMigrationsLocked(db);
  } catch (err) {
    await db.destroy();
    throw new StartupError(`Database migrations failed: ${(err as Error).message}`);
  }
  return db;
}

async function openRedis(config: Config): Promise<RedisHandle> {
  const r = config.main.redis;
  const redis = createRedis(r);
  try {
    await Promise.all([redis.client.connect(), redis.subscriber.connect()]);
  } catch (err) {
    await redis.close();
    throw new StartupError(`Cannot connect to Redis at ${r.host}:${r.port}: ${(err as Error).message}. Check the redis key in switchboard.yaml and that Redis is running.`);
  }
  return redis;
}

function listen(server: http.Server, config: Config): Promise<void> {
  const { host, port } = config.main.server;
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new StartupError(`Port ${port} on ${host} is already in use (switchboard.yaml: server.port). Stop the other program or pick another port.`));
      else if (err.code === 'EACCES') reject(new StartupError(`Not allowed to listen on ${host}:${port} (switchboard.yaml: server.port). Use a port above 1023.`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new StartupError(`Address ${host} is not on this machine (switchboard.yaml: server.host).`));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
