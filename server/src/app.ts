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
import { openApiDocument } from './kernel/http/openapi.js';
import { SessionStore } from './modules/agents/sessions.js';
import { AgentStateStore } from './modules/routing/state-store.js';
import { AgentService } from './modules/agents/service.js';
import { XmppConnection } from './modules/chat/xmpp.js';
import { Readiness, healthRoutes } from './modules/health/index.js';
import { chatOfflineTickets, createMail, createMailParts, imapReachable, smtpReachable, type MailParts, type Outbox } from './modules/mail/index.js';
import { checkReason } from './modules/agents/routes.js';
import { agentsModule } from './modules/agents/module.js';
import { authRoutes } from './modules/auth/index.js';
import { adminRoutes } from './modules/admin/index.js';
import { websiteRoutes } from './modules/websites/routes.js';
import { contactRoutes } from './modules/contacts/routes.js';
import { ContactService } from './modules/contacts/service.js';
import { routingModule } from './modules/routing/module.js';
import { createRouting } from './modules/routing/create.js';
import { interactionSteps, type InteractionSteps } from './modules/routing/index.js';
import { RealtimeHub } from './kernel/realtime/hub.js';
import { reasonsModule } from './modules/reasons/index.js';
import { staticModule } from './modules/static/index.js';
import { createCallbacks, type CallbacksKit } from './modules/callbacks/index.js';
import { createChat, type ChatParts } from './modules/chat/index.js';
import { createCalls, withLiveCall, type Calls } from './modules/calls/index.js';
import { widgetApiModule } from './modules/widget-api/index.js';
import { historyModule } from './modules/history/index.js';
import { reportsModule } from './modules/reports/index.js';
import { createFeedback } from './modules/feedback/index.js';
import { createMetrics, metricsOf } from './modules/metrics/index.js';
import { httpMetrics } from './kernel/http/metrics.js';
import type { Services } from './services.js';
import type { ServerModule } from './module.js';
import { StartupError } from './kernel/startup-error.js';
import { systemClock, type Clock } from './kernel/clock.js';

/** What the composition root built, for tests and tools that look inside a running server. */
export interface Contexts {
  chat: ChatParts;
  /** The mail context's parts: its outbox and held tickets. */
  mail: MailParts;
  outbox: Outbox;
  /** What the callbacks context's parts work with (its jobs are made from it). */
  callbacks: CallbacksKit;
  /** The SIP side while it runs. */
  calls: () => Calls | undefined;
}

/**
 * The bounded contexts, built together before any route is mounted, in start order. Each adds
 * its routes, socket commands and bus handlers.
 */
function compose(s: Services, hub: RealtimeHub): { modules: ServerModule[]; contexts: Contexts } {
  // Routing owns the interaction lifecycle; every channel goes through these steps.
  const steps: InteractionSteps = interactionSteps(s.routing, s.db, s.clock);
  const calls = createCalls(s, { routing: steps, agents: s.agents, contacts: s.contacts, readiness: s.readiness }, hub);
  const mailParts = createMailParts(s, { routing: steps, agents: s.agents, contacts: s.contacts });
  const outbox = mailParts.outbox;
  const chat = createChat(s, hub, { mailer: outbox, offlineTicket: chatOfflineTickets(mailParts), relayLag: metricsOf(s).calls.observeRelayLag, routing: steps, agents: s.agents, contacts: s.contacts, xmpp: s.xmpp });
  const files = chat.parts.files;
  const mail = createMail(mailParts, {
    chat: {
      upload: (ctx, website, interactionId, by) => files.upload(ctx, website, interactionId, by),
      download: (ctx, interactionId, fileId, by) => files.download(ctx, interactionId, fileId, by),
      announce: (interactionId, messageId) => chat.parts.chat.announce(interactionId, messageId),
    },
  });
  const callbacks = createCallbacks(s, { sip: calls.running, mailer: outbox, routing: steps, agents: s.agents, contacts: s.contacts });
  const modules: ServerModule[] = [
    { name: 'health', routes: healthRoutes },
    { name: 'auth', routes: authRoutes },
    agentsModule,
    { name: 'admin', routes: adminRoutes },
    { name: 'websites', routes: websiteRoutes },
    { name: 'contacts', routes: contactRoutes },
    calls,
    reasonsModule,
    routingModule,
    chat,
    callbacks,
    mail,
    widgetApiModule,
    historyModule,
    reportsModule,
    createFeedback({ mailer: outbox }),
    createMetrics({
      sip: () => {
        const c = calls.running();
        if (!c) return undefined;
        const mediaSessions = c.media.kind === 'rtpengine' ? c.control.activeSessions.size + c.probes.size : 0;
        const observeTransactions = c.engine.stack.observe?.bind(c.engine.stack);
        return { figures: { dialogs: c.engine.dialogs.size, calls: c.control.activeSessions.size, mediaSessions }, events: c.events, observeTransactions };
      },
    }),
    staticModule, // keep last: its catch-all GET serves the desktop for any path no module took
  ];
  return { modules, contexts: { chat: chat.parts, mail: mailParts, callbacks: callbacks.kit, outbox, calls: calls.running } };
}

export { StartupError };

export interface Switchboard {
  readonly url: string;
  readonly services: Services;
  readonly contexts: Contexts;
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
    const sessions = new SessionStore(redis, () => config.main.security.sessionTtlHours * 3600);
    const states = new AgentStateStore(redis, db, bus, clock);
    const agents = new AgentService(db, sessions, bus, () => config);
    const xmpp = new XmppConnection(config.main.xmpp, log.child({ component: 'xmpp' }));
    const readiness = new Readiness(db, redis, xmpp, () => config.main.rtpengine, () => config.main, { smtp: smtpReachable, imap: imapReachable });
    const routing = createRouting({ config: () => config, log, bus, redis, db, states, agents, clock, withLiveCall: (ids) => withLiveCall(db, ids) });
    cleanups.push(() => readiness.close());

    await syncConfig(db, config);
    const created = await agents.bootstrap();
    if (created.length) log.info({ agents: created }, 'created agents from agents.yaml');

    const reload = async (by: string, announce: boolean) => {
      const next = loadConfig(config.dir);
      const fixed = notReloadable(config, next);
      if (fixed.length) throw new ConfigError(fixed);
      await syncConfig(db, next);
      config = next;
      log.info({ by }, 'configuration reloaded');
      if (announce) await bus.publish({ type: 'config.reloaded', by, instance: bus.instanceId });
    };
    bus.on((e) => {
      if (e.type === 'config.reloaded' && e.instance !== bus.instanceId) {
        reload(`${e.by} (via instance ${e.instance})`, false).catch((err) => log.error({ err }, 'reload announced by another instance failed; keeping the running configuration'));
      }
    });

    const services: Services = {
      config: () => config,
      log,
      db,
      redis,
      bus,
      agents,
      sessions,
      states,
      readiness,
      contacts: new ContactService(db),
      routing,
      xmpp,
      jobs,
      clock,
      setOwnState: async (agentId, state, reason) => {
        checkReason(services, state, reason);
        return routing.setOwnState(agentId, state, reason);
      },
      reloadConfig: (by) => reload(by, true),
    };

    // Everything is built first, then routes are mounted, then modules start.
    const hub = new RealtimeHub(services);
    const { modules, contexts } = compose(services, hub);
    const app = buildKoa(services, modules);
    const server = config.main.server.tls
      ? https.createServer({ cert: readFileSync(config.main.server.tls.cert), key: readFileSync(config.main.server.tls.key) }, app.callback())
      : http.createServer(app.callback());
    server.requestTimeout = 60_000;
    hub.attach(server);
    for (const m of modules) {
      const stop = await m.start?.(services, hub);
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
      services,
      contexts,
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

function buildKoa(s: Services, modules: ServerModule[]): Koa {
  const app = new Koa({ proxy: s.config().main.server.trustProxy });
  const router = new Router();
  const deps: RouteDeps = {
    rateLimit: rateLimiter(s.redis, s.config, s.log),
    authenticate: authenticate(s.sessions),
    websiteOrigin: websiteOrigin(s.config),
    desktopOnly: (opts) => desktopOnly(s.config, opts),
  };
  app.use(async (ctx, next) => {
    ctx.state.requestId = randomBytes(8).toString('hex');
    ctx.set('X-Request-Id', ctx.state.requestId as string);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  });
  app.use(httpMetrics(metricsOf(s).observeHttp));
  app.use(errorMiddleware(s.log));
  app.use(widgetPreflight(s));
  for (const m of modules) m.routes?.(router, deps, s);
  router.get('/api/openapi.json', (ctx) => {
    ctx.body = openApiDocument(s.config().main.server.publicUrl);
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/** CORS preflight for widget endpoints: answered for the website's allowed origins only. */
function widgetPreflight(s: Services): Koa.Middleware {
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
