import { startSipService, type CallControl, type CallEvents, type MediaRelay, type SipEngine, type SipService } from '@switchboard/sip';
import { StartupError } from '../../startup-error.js';
import type { ServerModule } from '../../module.js';
import type { Services } from '../../services.js';
import type { Trunk } from '../../config/schema.js';
import { SipCredentialStore } from './credentials.js';
import { MysqlCallRecorder } from './recorder.js';
import { SwitchboardCallRouter } from './router.js';
import { followCalls } from './lifecycle.js';
import { callRoutes } from './routes.js';
import { CallInvites } from './invites.js';
import { inviteCalls } from './invite-calls.js';
import { inviteCommands } from './schema.js';
import type { RealtimeHub } from '../../realtime/hub.js';
import { Agent } from '../agents/agent.entity.js';

/** What the rest of the server (and tests) may reach of the running SIP side. */
export interface Calls {
  credentials: SipCredentialStore;
  /** Where browsers connect for SIP over WebSocket. */
  wsUrl: string;
  domain: string;
  control: CallControl;
  engine: SipEngine;
  events: CallEvents;
  recorder: MysqlCallRecorder;
  media: MediaRelay;
  /** Media sessions opened for the widget's device test, deleted after a while or at stop. */
  probes: Set<string>;
}

let running: Calls | undefined;
export const calls = (): Calls | undefined => running;
let invitesRunning: CallInvites | undefined;
/** Call invitations from chats; present even when SIP is off, so agents hear why they cannot invite. */
export const invites = (): CallInvites | undefined => invitesRunning;

function contextHeaders(t: Trunk) {
  const h = t.contextHeaders;
  return {
    ...(h.interactionId ? { interactionId: h.interactionId } : {}),
    ...(h.website ? { website: h.website } : {}),
    ...(h.name ? { name: h.name } : {}),
    ...(h.email ? { email: h.email } : {}),
    ...(h.phone ? { phone: h.phone } : {}),
    ...(h.fields ? { fieldPrefix: h.fields.endsWith('-') ? h.fields : `${h.fields}-` } : {}),
  };
}

async function extensionOf(s: Services, agentId: string): Promise<string | null> {
  return (await s.db.getRepository(Agent).findOneBy({ id: agentId, active: true }))?.extension ?? null;
}

async function start(s: Services): Promise<() => Promise<void>> {
  const c = s.config().main;
  const log = s.log.child({ component: 'sip' });
  // Calls leave through the first trunk; per-queue trunks will pick theirs from queue.destination.trunk.
  const trunk = s.config().trunks[0]!;
  const credentials = new SipCredentialStore(s.redis, s.db);
  const recorder = new MysqlCallRecorder(s.db, log);
  let sip: SipService;
  try {
    sip = await startSipService({
      listen: { host: c.sip.host, ...(c.sip.publicHost ? { advertisedHost: c.sip.publicHost } : {}), udpPort: c.sip.udpPort, tcpPort: c.sip.tcpPort, wsPort: c.sip.wsPort },
      rtpengine: { host: c.rtpengine.host, port: c.rtpengine.ngPort, timeoutMs: c.rtpengine.timeoutMs },
      logger: log, recorder, authenticator: credentials, realm: c.xmpp.domain,
      router: new SwitchboardCallRouter(s.db, s.config),
      keepaliveMs: trunk.optionsPingSeconds * 1000,
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
          invites, control, agentExtension: (id) => extensionOf(s, id), recorder, db: s.db, log,
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
  followCalls(control.events, s.db, s.bus, log);
  const wsPort = engine.stack.transports.port('ws');
  const host = c.sip.publicHost ?? c.sip.host;
  const probes = new Set<string>();
  running = { credentials, wsUrl: `ws://${host}:${wsPort}`, domain: c.xmpp.domain, control, engine, events: control.events, recorder, media, probes };
  // A logout ends the agent's SIP secret with their sessions.
  const off = s.bus.on((e) => {
    if (e.type === 'agent.sessions-revoked') void credentials.revokeAgent(e.agentId);
  });
  log.info({ wsUrl: running.wsUrl, udp: engine.stack.transports.port('udp'), tcp: engine.stack.transports.port('tcp') }, 'sip engine listening');
  return async () => {
    off();
    running = undefined;
    await Promise.all([...probes].map((id) => media.delete(id)));
    await sip.close();
    await recorder.flush();
  };
}

/**
 * Where the agent's softphone stands for an invitation. The registrar is this instance's: an
 * invitation call reaches a softphone registered with the same instance as the visitor's SIP.
 */
async function softphoneOf(s: Services, agentId: string): Promise<'registered' | 'no-extension' | 'not-registered' | 'sip-down'> {
  const sip = calls();
  if (!sip) return 'sip-down';
  const extension = await extensionOf(s, agentId);
  if (!extension) return 'no-extension';
  return sip.control.registrar.lookup(extension) ? 'registered' : 'not-registered';
}

function registerInvites(s: Services, hub: RealtimeHub): () => void {
  const inv = new CallInvites(s, hub, (agentId) => softphoneOf(s, agentId));
  invitesRunning = inv;
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
    if (invitesRunning === inv) invitesRunning = undefined;
  };
}

export const callsModule: ServerModule = {
  name: 'calls',
  routes: callRoutes,
  start: async (s, hub) => {
    const stopInvites = registerInvites(s, hub);
    let stopSip: (() => Promise<void>) | undefined;
    try {
      stopSip = s.config().main.sip.enabled ? await start(s) : undefined;
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
