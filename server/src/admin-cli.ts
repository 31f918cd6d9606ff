// The administrator's agent and contact commands. They use the same services as the API, so a
// password or a skill is validated the same way from the shell as over HTTP.
import { ZodError } from 'zod';
import { createDataSource, databaseAddress } from './kernel/db/data-source.js';
import { entities } from './entities.js';
import { createRedis } from './kernel/redis.js';
import { createLogger } from './kernel/logger.js';
import { EventBus } from './kernel/bus.js';
import { SessionStore } from './modules/agents/sessions.js';
import { AgentService } from './modules/agents/service.js';
import { ContactService } from './modules/contacts/service.js';
import { createAgentBody, updateAgentBody } from './modules/agents/schema.js';
import { contactBody } from './modules/contacts/schema.js';
import { HttpError } from './kernel/http/errors.js';
import { LoginLockout } from './modules/auth/lockout.js';
import { XmppConnection } from './modules/chat/xmpp.js';
import { ChatXmppAccounts, agentXmppJid, type XmppAccount } from './modules/chat/accounts.js';
import type { Config } from './kernel/config/schema.js';

type Options = Record<string, string | undefined>;

/**
 * The HTTP route's code path (ChatXmppAccounts) over a component connection of its own: it takes a
 * free relay slot for the few seconds it needs, so it works next to running servers.
 */
async function xmppPassword(config: Config, agentId: string): Promise<XmppAccount> {
  const xmpp = new XmppConnection(config.main.xmpp, createLogger('silent'));
  try {
    const online = new Promise<void>((resolve) => xmpp.onOnline(resolve));
    xmpp.start();
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10000).unref());
    if ((await Promise.race([online, timeout])) === 'timeout') {
      const x = config.main.xmpp;
      throw new Error(`cannot reach Prosody's component port at ${x.host}:${x.componentPort} (${xmpp.status().error}); is it running (scripts/services.sh start)?`);
    }
    return await new ChatXmppAccounts(xmpp, { agentJid: (id) => agentXmppJid(config.main.xmpp, id) }).newPassword(agentId);
  } finally {
    await xmpp.stop();
  }
}

export async function runAdminCommand(config: Config, command: string, arg: string | undefined, o: Options, newPassword: string | undefined, more: string[] = []): Promise<string> {
  const db = createDataSource(config.main.database, entities);
  try {
    await db.initialize();
  } catch (err) {
    throw new Error(`cannot connect to the database at ${databaseAddress(config.main.database)}: ${(err as Error).message}`, { cause: err });
  }
  const redis = createRedis(config.main.redis);
  try {
    await redis.client.connect();
    const bus = new EventBus(redis, createLogger('silent'));
    const agents = new AgentService(db, new SessionStore(redis, () => 3600), bus, () => config);
    const contacts = new ContactService(db);
    const byName = async (username: string | undefined) => {
      if (!username) throw new Error(`usage: switchboard ${command} <username>`);
      const a = (await agents.list()).find((x) => x.username === username);
      if (!a) throw new Error(`no agent "${username}"`);
      return a;
    };
    if ((command === 'agents add' || command === 'agents passwd') && !newPassword) {
      throw new Error('put the password in the environment variable SWITCHBOARD_NEW_PASSWORD (never on the command line, where other users can see it)');
    }
    switch (command) {
      case 'agents list':
        return (await agents.list()).map((a) => `${a.username}\t${a.role}\t${a.active ? 'active' : 'disabled'}\t${a.displayName}`).join('\n') || '(no agents)';
      case 'agents add': {
        const input = createAgentBody.parse({ username: arg, name: o.name, role: o.role, password: newPassword, extension: o.extension, email: o.email });
        const a = await agents.create(input);
        return `created ${a.username} (${a.role}, id ${a.id})`;
      }
      case 'agents passwd': {
        const a = await byName(arg);
        await agents.update(a.id, { password: newPassword ?? '' });
        return `password changed; ${a.username}'s sessions ended`;
      }
      case 'agents extension': {
        const a = await byName(arg);
        const [value] = more;
        if (!value) throw new Error('usage: switchboard agents extension <username> <number|none>');
        const { extension } = updateAgentBody.pick({ extension: true }).parse({ extension: value === 'none' ? null : value });
        await agents.update(a.id, { extension });
        return extension ? `${a.username} has extension ${extension} (their softphone registers it at its next start)` : `${a.username} has no extension now`;
      }
      case 'agents disable': {
        const a = await byName(arg);
        await agents.update(a.id, { active: false });
        return `${a.username} disabled; sessions ended`;
      }
      case 'agents unlock': {
        const a = await byName(arg);
        const lifted = await new LoginLockout(redis, () => config).lift(a.username);
        return lifted ? `${a.username} unlocked; wrong passwords forgotten` : `${a.username} was not locked`;
      }
      case 'agents xmpp-password': {
        const a = await byName(arg);
        const x = await xmppPassword(config, a.id);
        return [
          `jid       ${x.jid}`,
          `password  ${x.password}`,
          `host      ${x.host}`,
          `port      ${x.port}`,
          `tls       ${x.tls} (required: no login before TLS)`,
          ...(x.directTlsPort ? [`directTls ${x.directTlsPort}`] : []),
          `(shown once: Switchboard does not keep this password; run this again for a new one)`,
        ].join('\n');
      }
      case 'contacts find':
        return (await contacts.search(arg, 50)).map((c) => `${c.id}\t${c.name ?? ''}\t${c.email ?? ''}\t${c.phone ?? ''}`).join('\n') || '(no contacts)';
      case 'contacts add': {
        const c = await contacts.create(contactBody.parse({ name: o.name, email: o.email, phone: o.phone }));
        return `created contact ${c.id}`;
      }
      default:
        throw new Error(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof ZodError) throw new Error(err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '), { cause: err });
    if (err instanceof HttpError) throw new Error(err.fields?.map((f) => `${f.field}: ${f.problem}`).join('; ') || err.message, { cause: err });
    throw err;
  } finally {
    await redis.close();
    await db.destroy();
  }
}
