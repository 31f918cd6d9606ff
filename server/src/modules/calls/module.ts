import { startSipService, type CallControl, type CallEvents, type SipEngine, type SipService } from '@switchboard/sip';
import { StartupError } from '../../startup-error.js';
import type { ServerModule } from '../../module.js';
import type { Services } from '../../services.js';
import type { Trunk } from '../../config/schema.js';
import { SipCredentialStore } from './credentials.js';
import { MysqlCallRecorder } from './recorder.js';
import { SwitchboardCallRouter } from './router.js';
import { followCalls } from './lifecycle.js';
import { callRoutes } from './routes.js';

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
}

let running: Calls | undefined;
export const calls = (): Calls | undefined => running;

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
      trunk: {
        host: trunk.host,
        port: trunk.port,
        transport: trunk.transport,
        ...(trunk.auth ? { auth: { username: trunk.auth.username, password: trunk.auth.password, ...(trunk.auth.realm ? { realm: trunk.auth.realm } : {}) } } : {}),
        ...(trunk.callerId ? { fromUser: trunk.callerId.number } : {}),
        contextHeaders: contextHeaders(trunk),
      },
      realm: c.xmpp.domain,
      authenticator: credentials,
      router: new SwitchboardCallRouter(s.db, s.config),
      recorder,
      logger: log,
      keepaliveMs: trunk.optionsPingSeconds * 1000,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new StartupError(`A SIP port on ${c.sip.host} is already in use (switchboard.yaml: sip.udpPort ${c.sip.udpPort}, sip.tcpPort ${c.sip.tcpPort}, sip.wsPort ${c.sip.wsPort}). Stop the other program or pick other ports.`);
    }
    throw err;
  }
  const { engine, calls: control } = sip;
  followCalls(control.events, s.db, s.bus, log);
  const wsPort = engine.stack.transports.port('ws');
  const host = c.sip.publicHost ?? c.sip.host;
  running = { credentials, wsUrl: `ws://${host}:${wsPort}`, domain: c.xmpp.domain, control, engine, events: control.events, recorder };
  // A logout ends the agent's SIP secret with their sessions.
  const off = s.bus.on((e) => {
    if (e.type === 'agent.sessions-revoked') void credentials.revokeAgent(e.agentId);
  });
  log.info({ wsUrl: running.wsUrl, udp: engine.stack.transports.port('udp'), tcp: engine.stack.transports.port('tcp') }, 'sip engine listening');
  return async () => {
    off();
    running = undefined;
    await sip.close();
    await recorder.flush();
  };
}

export const callsModule: ServerModule = {
  name: 'calls',
  routes: callRoutes,
  start: async (s) => (s.config().main.sip.enabled ? start(s) : undefined),
};
