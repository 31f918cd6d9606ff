import { randomBytes } from 'node:crypto';
import { SipEngine, createNonceIssuer, startSipService, type RunningEngine, type SipService } from '@switchboard/sip';
import { StartupError } from '../../kernel/startup-error.js';
import type { ServerModule } from '../../module.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { CallsDeps } from './types.js';
import type { Trunk } from '../../kernel/config/schema.js';
import { SipCredentialStore } from './credentials.js';
import { MysqlCallRecorder } from './recorder.js';
import { SwitchboardCallRouter } from './router.js';
import { followCalls } from './lifecycle.js';
import { PbxCalls } from './pbx-calls.js';
import { RedisLiveCalls } from './live-calls.js';
import { callRoutes } from './routes.js';
import type { Calls } from './calls.js';
import { CallInvites } from './invites.js';
import { inviteCalls } from './invite-calls.js';
import { inviteCommands } from './schema.js';
import type { RealtimeHub } from '../../kernel/realtime/hub.js';
import { Agent } from '../agents/index.js';

export type { Calls };

/**
 * What runs between start and stop: the SIP side (absent with SIP off) and call invitations from
 * chats (present even when SIP is off, so agents hear why they cannot invite).
 */
interface Live {
  calls?: Calls;
  invites?: CallInvites;
}

function contextHeaders(t: Trunk) {
  const h = t.contextHeaders;
  return {
    ...(h.interactionId ? { interactionId: h.interactionId } : {}),
    ...(h.website ? { website: h.website } : {}),
    ...(h.name ? { name: h.name } : {}),
    ...(h.email ? { email: h.email } : {}),
    ...(h.phone ? { phone: h.phone } : {}),
    ...(h.queue ? { queue: h.queue } : {}),
    ...(h.fields ? { fieldPrefix: h.fields.endsWith('-') ? h.fields : `${h.fields}-` } : {}),
  };
}

async function extensionOf(s: Kernel, agentId: string): Promise<string | null> {
  return (await s.db.getRepository(Agent).findOneBy({ id: agentId, active: true }))?.extension ?? null;
}

/** The secret digest nonces are signed with, the same for every instance (made by the first one). */
async function sharedDigestSecret(s: Kernel): Promise<Buffer> {
  const key = s.redis.key('calls', 'digest-secret');
  await s.redis.client.set(key, randomBytes(32).toString('hex'), 'NX');
  const secret = await s.redis.client.get(key);
  return Buffer.from(secret!, 'hex');
}

/** Per context, what to do when this instance ended a call it placed whose instance died (PlacedBy). */
type LostCallFollowers = Map<string, (ref: string) => Promise<void>>;

async function start(s: Kernel, d: CallsDeps, live: Live, followers: LostCallFollowers): Promise<() => Promise<void>> {
  const c = s.config().main;
  const log = s.log.child({ component: 'sip' });
  // Calls leave through the first trunk; per-queue trunks will pick theirs from queue.destination.trunk.
  const trunk = s.config().trunks[0]!;
  const credentials = new SipCredentialStore(s.redis, s.db);
  const recorder = new MysqlCallRecorder(s.db, log, () => trunk.id);
  const liveCalls = new RedisLiveCalls(s.redis, s.bus.instanceId, log);
  // One digest secret for every instance: on a shared drachtio-server the answer to one instance's
  // challenge may reach another.
  const nonces = createNonceIssuer(await sharedDigestSecret(s));
  let sip: SipService<RunningEngine>;
  const drachtio = c.sip.engine === 'drachtio' ? c.sip.drachtio : undefined;
  try {
    sip = await startSipService({
      ...(drachtio ? { drachtio: { host: drachtio.host, port: drachtio.port, secret: drachtio.secret } } : {}),
      listen: { host: c.sip.host, ...(c.sip.publicHost ? { advertisedHost: c.sip.publicHost } : {}), udpPort: c.sip.udpPort, tcpPort: c.sip.tcpPort, wsPort: c.sip.wsPort },
      rtpengine: { host: c.rtpengine.host, port: c.rtpengine.ngPort, timeoutMs: c.rtpengine.timeoutMs },
      logger: log, recorder, authenticator: credentials, realm: c.xmpp.domain,
      router: new SwitchboardCallRouter(s.db, s.config),
      keepaliveMs: trunk.optionsPingSeconds * 1000,
      liveCalls,
      nonces,
      trunk: {
        host: trunk.host,
        port: trunk.port,
        transport: trunk.transport,
        ...(trunk.auth ? { auth: { username: trunk.auth.username, password: trunk.auth.password, ...(trunk.auth.realm ? { realm: trunk.auth.realm } : {}) } } : {}),
        ...(trunk.callerId ? { fromUser: trunk.callerId.number } : {}),
        contextHeaders: contextHeaders(trunk),
        inboundHeaders: trunk.inboundHeaders,
      },
      // Calls joining a chat's invitation go to the inviting agent's softphone, which call
      // control's own routing (widget → PBX) cannot do.
      inviteSteps: [
        (control) => inviteCalls({
          realm: c.xmpp.domain, domain: c.xmpp.domain, trustedAddresses: [trunk.host], authenticator: credentials, credentials,
          invites: () => live.invites, control, agentExtension: (id) => extensionOf(s, id), recorder, db: s.db, log, nonces,
        }),
      ],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new StartupError(`A SIP port on ${c.sip.host} is already in use (switchboard.yaml: sip.udpPort ${c.sip.udpPort}, sip.tcpPort ${c.sip.tcpPort}, sip.wsPort ${c.sip.wsPort}). Stop the other program or pick other ports.`);
    }
    throw err;
  }
  const { engine, calls: control, media } = sip;
  if (drachtio) {
    // Start goes on without it (drachtio-srf keeps retrying with a backoff); said once, here and on /ready.
    const h = sip.health();
    if (!h.ok) log.error({ drachtio: `${drachtio.host}:${drachtio.port}` }, `SIP calls are down until drachtio-server answers: ${h.reason}`);
  }
  d.readiness.add('sip', async () => {
    const h = sip.health();
    if (!h.ok) throw new Error(h.reason);
  });
  const pbxCalls = new PbxCalls(d, control, recorder, log);
  const following = followCalls(control.events, d.routing, s.bus, log, pbxCalls);
  // Only the instance that claimed the lost call hears its end here: one follow-up per call.
  const onEnded = (e: { placedBy?: { context: string; ref: string } }): void => {
    const follow = e.placedBy && followers.get(e.placedBy.context);
    if (follow) void follow(e.placedBy!.ref).catch((err: unknown) => log.error({ err, placedBy: e.placedBy }, 'could not follow up a lost call'));
  };
  control.events.on('ended', onEnded);
  // Said once, where it applies: every instance may be the one ending a dead instance's calls.
  if (!engine.cancelPending) log.warn('this SIP engine cannot CANCEL an INVITE another process sent (drachtio-server puts its own Via on every request): an agent\'s extension rung by an instance that dies rings until its own timeout');
  await liveCalls.start((call) => control.endLost(call, 'server-lost'));
  // drachtio-server listens where the configuration says; the in-process engine may have picked a free port.
  const wsPort = engine instanceof SipEngine ? engine.stack.transports.port('ws') : c.sip.wsPort;
  const host = c.sip.publicHost ?? c.sip.host;
  const probes = new Set<string>();
  const running: Calls = { credentials, wsUrl: `ws://${host}:${wsPort}`, domain: c.xmpp.domain, control, engine, events: control.events, recorder, media, probes };
  live.calls = running;
  // A logout ends the agent's SIP secret with their sessions.
  const off = s.bus.on((e) => {
    if (e.type === 'agent.sessions-revoked') void credentials.revokeAgent(e.agentId);
  });
  log.info({ engine: c.sip.engine, wsUrl: running.wsUrl, udp: engine.stack.local('udp').port, tcp: engine.stack.local('tcp').port }, 'sip engine listening');
  return async () => {
    off();
    control.events.off('ended', onEnded);
    d.readiness.remove('sip');
    live.calls = undefined;
    await Promise.all([...probes].map((id) => media.delete(id)));
    await sip.close();
    await liveCalls.stop();
    await recorder.flush();
    // The calls just ended close their interactions before the database goes.
    await following.idle();
  };
}

/**
 * Where the agent's softphone stands for an invitation. The registrar is this instance's: an
 * invitation call reaches a softphone registered with the same instance as the visitor's SIP.
 */
async function softphoneOf(s: Kernel, live: Live, agentId: string): Promise<'registered' | 'no-extension' | 'not-registered' | 'sip-down'> {
  const sip = live.calls;
  if (!sip) return 'sip-down';
  const extension = await extensionOf(s, agentId);
  if (!extension) return 'no-extension';
  return sip.control.registrar.lookup(extension) ? 'registered' : 'not-registered';
}

function registerInvites(s: Kernel, d: CallsDeps, hub: RealtimeHub, live: Live): () => void {
  const inv = new CallInvites(s, d, hub, (agentId) => softphoneOf(s, live, agentId));
  live.invites = inv;
  hub.onAgentCommand(inviteCommands.invite, async (conn, cmd) => ({ type: 'call.invite.state', invite: await inv.invite(conn.principal, cmd.interactionId, cmd.video) }));
  hub.onAgentCommand(inviteCommands.cancel, async (conn, cmd) => ({ type: 'call.invite.state', invite: await inv.cancel(conn.principal, cmd.inviteId) }));
  hub.onVisitorCommand(inviteCommands.decline, async (conn, cmd) => {
    await inv.decline(conn.subscriptions, cmd.inviteId);
    return { type: 'ok' };
  });
  // The chat module tells the visitor's sockets, on the bus, that the chat ended.
  const off = s.bus.on((e) => {
    if (e.type === 'visitor.push' && e.message.type === 'chat.ended') {
      inv.chatEnded(e.interactionId).catch((err: unknown) => s.log.warn({ err, interactionId: e.interactionId }, 'could not withdraw a call invitation'));
    }
  });
  return () => {
    off();
    inv.close();
    if (live.invites === inv) live.invites = undefined;
  };
}

/** The calls context as app.ts wires it; `running` is the SIP side while it runs (callbacks dial through it). */
export interface CallsContext extends ServerModule {
  running(): Calls | undefined;
  /**
   * `follow(ref)` runs when this instance ends a call placed by `context` (`placedBy` of the call)
   * because the instance holding it died: such a call has no interaction on record, so nothing
   * else tells its placer it is over. Returns what stops it.
   */
  followLostCalls(context: string, follow: (ref: string) => Promise<void>): () => void;
}

/** Web and video calls through the SIP engine, and call invitations from chats. */
export function createCalls(s: Kernel, d: CallsDeps, hub: RealtimeHub): CallsContext {
  const live: Live = {};
  const calls = () => live.calls;
  const followers: LostCallFollowers = new Map();
  return {
    name: 'calls',
    running: calls,
    followLostCalls: (context, follow) => {
      followers.set(context, follow);
      return () => {
        if (followers.get(context) === follow) followers.delete(context);
      };
    },
    routes: (router, deps) => callRoutes(router, deps, s, d, { calls, invites: () => live.invites }),
    start: async () => {
      const stopInvites = registerInvites(s, d, hub, live);
      let stopSip: (() => Promise<void>) | undefined;
      try {
        stopSip = s.config().main.sip.enabled ? await start(s, d, live, followers) : undefined;
      } catch (err) {
        stopInvites();
        throw err;
      }
      return async () => {
        stopInvites();
        await stopSip?.();
      };
    },
  };
}
