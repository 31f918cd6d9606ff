#!/usr/bin/env node
// `switchboard <command>`: the server and the administrator's tools share one entry point so
// every command validates the configuration exactly as the server does.
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from './kernel/config/load.js';
import type { Config } from './kernel/config/schema.js';
import { clientInterface, renderProsodyConfig } from './modules/chat/prosody-config.js';
import { snippet } from './modules/websites/presenter.js';
// The server, the database layer and the SIP stack are loaded by the commands that use them
// (imported when they run): the others answer without loading the whole server first.

const USAGE = `usage: switchboard <command> [options]

  start                         run the server (default)
  config check                  validate config/ and report every problem
  migrate                       apply database migrations
  snippet <website>             print the <script> tag for a website
  agents list                   list agents
  agents add <username> --name <name> --role agent|supervisor|admin [--extension <n>] [--email <e>]
                                create an agent (password read from SWITCHBOARD_NEW_PASSWORD)
  agents extension <username> <number|none>
                                give the agent a phone extension (their softphone registers it), or take it away
  agents passwd <username>      set a password (read from SWITCHBOARD_NEW_PASSWORD); ends their sessions
  agents disable <username>     deactivate an agent and end their sessions
  agents unlock <username>      lift a login lock (security.loginLockout) and forget the wrong passwords
  agents xmpp-password <username>
                                create the agent's XMPP account or give it a new random password;
                                prints JID, password, host, port and TLS (for their own XMPP client)
  contacts find <text>          search contacts by name, email or phone
  contacts add --name <n> [--email <e>] [--phone <p>]
  reports rebuild [--from <date>] [--to <date>]
                                build the reports' hourly buckets again from the recorded interactions
                                (default: all of them; a bare date as --to means through that day)
  services env                  print service settings as shell variables (for scripts/)
  services prosody-config <dir> [--data-dir <d>] [--cert-dir <c>]
                                write Prosody's configuration into <dir> (state in <d>, default <dir>/data;
                                without xmpp.tls, the certificate <c>/<domain>.crt, default <dir>/certs)
  services drachtio-config <dir>
                                write drachtio-server's configuration (sip.engine: drachtio) into <dir>

options:
  --config <dir>                configuration folder (default: $SWITCHBOARD_CONFIG_DIR or ./config)
`;

const out = (s: string) => process.stdout.write(s + '\n');
const fail = (s: string, code = 1): never => {
  process.stderr.write(s + '\n');
  process.exit(code);
};

const { values, positionals } = parseArgs({
  options: {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    name: { type: 'string' },
    role: { type: 'string' },
    extension: { type: 'string' },
    email: { type: 'string' },
    phone: { type: 'string' },
    'data-dir': { type: 'string' },
    'cert-dir': { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
  allowPositionals: true,
  strict: false,
});
if (values.help) {
  out(USAGE);
  process.exit(0);
}
const configDir = (values.config as string | undefined) ?? process.env.SWITCHBOARD_CONFIG_DIR ?? 'config';

/** `bootstrapAgents: false` for every command that does not create agents from agents.yaml. */
function config(bootstrapAgents = false): Config {
  try {
    return loadConfig(configDir, process.env, { bootstrapAgents });
  } catch (err) {
    if (err instanceof ConfigError) {
      return fail(`switchboard: the configuration in ${path.resolve(configDir)} has ${err.problems.length} problem(s):\n${err.message.split('\n').map((l) => '  ' + l).join('\n')}`);
    }
    throw err;
  }
}

async function admin(command: string, arg: string | undefined, more: string[] = []): Promise<void> {
  const c = config();
  const { runAdminCommand } = await import('./admin-cli.js');
  try {
    out(await runAdminCommand(c, command, arg, values as Record<string, string | undefined>, process.env.SWITCHBOARD_NEW_PASSWORD, more));
  } catch (err) {
    fail(`switchboard: ${(err as Error).message}`);
  }
}

async function withDb<T>(c: Config, fn: (ds: DataSource) => Promise<T>): Promise<T> {
  const [{ createDataSource, databaseAddress }, { entities }] = await Promise.all([import('./kernel/db/data-source.js'), import('./entities.js')]);
  const ds = createDataSource(c.main.database, entities);
  try {
    await ds.initialize();
  } catch (err) {
    return fail(`switchboard: cannot connect to the database at ${databaseAddress(c.main.database)}: ${(err as Error).message}`);
  }
  try {
    return await fn(ds);
  } finally {
    await ds.destroy();
  }
}

async function start(): Promise<void> {
  const c = config(true);
  const { StartupError, startSwitchboard } = await import('./app.js');
  let sb;
  try {
    sb = await startSwitchboard(c);
  } catch (err) {
    if (err instanceof StartupError) fail(`switchboard: ${err.message}`);
    throw err;
  }
  const stop = (signal: string) => {
    sb.kernel.log.info({ signal }, 'signal received');
    sb.stop().then(() => process.exit(0), () => process.exit(1));
  };
  // A stray rejected promise (e.g. @xmpp/connection writing to a socket it has just dropped)
  // must not take every call and chat of this instance down with it: log it loudly and go on.
  process.on('unhandledRejection', (err) => sb.kernel.log.error({ err }, 'unhandled promise rejection'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    sb.reloadConfig('SIGHUP').catch((err) => sb.kernel.log.error({ err: err instanceof ConfigError ? { message: err.message } : err }, 'reload refused; keeping the running configuration'));
  });
}

const [cmd = 'start', sub, arg] = positionals;
switch (`${cmd} ${sub ?? ''}`.trim()) {
  case 'start':
    await start();
    break;
  case 'config check': {
    // It checks what `start` will read, so a missing bootstrap secret is reported here too.
    const c = config(true);
    out(`configuration OK: ${c.trunks.length} trunk(s), ${c.queues.length} queue(s), ${c.websites.length} website(s), ${c.agents.length} bootstrap agent(s)`);
    break;
  }
  case 'migrate': {
    const c = config();
    const { runMigrationsLocked } = await import('./kernel/db/migration-lock.js');
    await withDb(c, async (ds) => {
      const done = await runMigrationsLocked(ds);
      out(done.length ? `applied ${done.map((m) => m.name).join(', ')}` : 'database is up to date');
    });
    break;
  }
  case `snippet ${sub}`: {
    if (cmd !== 'snippet' || !sub) fail(USAGE, 2);
    const c = config();
    const w = c.websites.find((x) => x.id === sub);
    if (!w) fail(`switchboard: no website "${sub}" (known: ${c.websites.map((x) => x.id).join(', ') || 'none'})`);
    out(snippet(w!, c.main.server.publicUrl));
    break;
  }
  case 'agents list':
  case 'agents add':
  case 'agents extension':
  case 'agents passwd':
  case 'agents disable':
  case 'agents unlock':
  case 'agents xmpp-password':
  case 'contacts find':
  case 'contacts add':
    await admin(`${cmd} ${sub}`, arg, positionals.slice(3));
    break;
  case 'reports rebuild': {
    const c = config();
    const { rebuildReports } = await import('./modules/reports/index.js');
    await withDb(c, async (ds) => {
      try {
        out(await rebuildReports(ds, () => c, values.from as string | undefined, values.to as string | undefined));
      } catch (err) {
        fail(`switchboard: ${(err as Error).message}`);
      }
    });
    break;
  }
  case 'services env': {
    const c = config().main;
    const imap = c.imap?.enabled ? c.imap : undefined;
    const q = (v: string | number) => `'${String(v).replace(/'/g, `'\\''`)}'`;
    const vars: Record<string, string | number> = {
      SB_HTTP_HOST: c.server.host, SB_HTTP_PORT: c.server.port,
      SB_DB_HOST: c.database.host, SB_DB_PORT: c.database.port, SB_DB_USER: c.database.user, SB_DB_PASSWORD: c.database.password, SB_DB_NAME: c.database.name,
      SB_REDIS_HOST: c.redis.host, SB_REDIS_PORT: c.redis.port,
      SB_XMPP_HOST: c.xmpp.host, SB_XMPP_PORT: c.xmpp.port, SB_XMPP_DOMAIN: c.xmpp.domain, SB_XMPP_USER: c.xmpp.serviceUser, SB_XMPP_PASSWORD: c.xmpp.servicePassword,
      SB_XMPP_CLIENT_HOST: clientInterface(c.xmpp), SB_XMPP_COMPONENT_PORT: c.xmpp.componentPort, SB_XMPP_MUC_DOMAIN: c.xmpp.mucDomain, SB_XMPP_UPLOAD_DOMAIN: c.xmpp.uploadDomain ?? '',
      SB_XMPP_TLS_CERT: c.xmpp.tls?.certificate ?? '', SB_XMPP_TLS_KEY: c.xmpp.tls?.key ?? '',
      SB_SIP_ENGINE: c.sip.engine,
      SB_RTPENGINE_HOST: c.rtpengine.host, SB_RTPENGINE_PORT: c.rtpengine.ngPort, SB_RTPENGINE_PORT_MIN: c.rtpengine.portMin, SB_RTPENGINE_PORT_MAX: c.rtpengine.portMax,
      SB_SMTP_HOST: c.smtp?.host ?? '', SB_SMTP_PORT: c.smtp?.port ?? '',
      SB_IMAP_HOST: imap?.host ?? '', SB_IMAP_PORT: imap?.port ?? '', SB_IMAP_PASSWORD: imap?.password ?? '',
      // The local mail server's own name: the domain of the support mailbox, else of the sender.
      SB_MAIL_DOMAIN: /@([^\s>]+)/.exec(imap?.user ?? c.smtp?.from ?? '')?.[1] ?? 'localhost',
    };
    for (const [k, v] of Object.entries(vars)) out(`${k}=${q(v)}`);
    break;
  }
  case `services prosody-config`: {
    if (!arg) fail(USAGE, 2);
    const c = config().main;
    mkdirSync(path.join(arg!, 'data'), { recursive: true });
    const file = path.join(arg!, 'prosody.cfg.lua');
    const text = renderProsodyConfig(c.xmpp, arg!, values['data-dir'] as string | undefined, values['cert-dir'] as string | undefined);
    // Rewritten only when it changes: scripts/services.sh restarts a Prosody older than this file.
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
    out(file);
    break;
  }
  case 'services drachtio-config': {
    if (!arg) fail(USAGE, 2);
    const { sip } = config().main;
    if (sip.engine !== 'drachtio' || !sip.drachtio) fail('switchboard.yaml: sip.engine is not drachtio (set sip.engine: drachtio and sip.drachtio: host, port, secret)', 1);
    mkdirSync(arg!, { recursive: true });
    const file = path.join(arg!, 'drachtio.conf.xml');
    const { renderDrachtioConfig } = await import('@switchboard/sip');
    writeFileSync(file, renderDrachtioConfig({
      admin: { host: sip.drachtio!.host, port: sip.drachtio!.port, secret: sip.drachtio!.secret },
      sip: { host: sip.host, udpPort: sip.udpPort, tcpPort: sip.tcpPort, wsPort: sip.wsPort, ...(sip.publicHost ? { publicHost: sip.publicHost } : {}) },
    }), { mode: 0o600 });
    out(file);
    break;
  }
  default:
    fail(USAGE, 2);
}
