// A Switchboard SIP side as the server would wire it, with test implementations of the
// server's interfaces (Authenticator, CallRouter) and the in-memory CallRecorder.
import { expect } from 'chai';
import type { RunningEngine } from '../../engine-api.js';
import { CallControl, type AgentExtension, type CallRouter, type TrunkConfig } from '../../call/call-control.js';
import { InMemoryCallRecorder, type CallEventMap } from '../../call/recorder.js';
import type { Authenticator } from '../../auth/middleware.js';
import type { MediaRelay } from '../../media/relay.js';
import { PassthroughRelay } from '../../media/relay.js';
import type { RtpEngineRelay } from '../../media/relay.js';
import type { TimerConfig } from '../../transaction/transactions.js';
import type { FloodLimitOptions } from '../../auth/flood.js';
import type { LiveCallStore } from '../../call/live-calls.js';
import { startTestEngine } from './engine.js';

export const WIDGET_TOKEN = { username: 'call-tok-1', password: 'tok-secret' };
export const AGENT = { username: 'alice', password: 'alice-pw' };
export const CONTEXT = {
  interactionId: 'int-42',
  website: 'shop.example.com',
  name: 'Zoë Müller',
  email: 'zoe@example.com',
  phone: '+39 02 1234',
  fields: { topic: 'billing' },
};

export interface Harness {
  engine: RunningEngine;
  kind: 'in-process' | 'drachtio';
  cc: CallControl;
  recorder: InMemoryCallRecorder;
  relay: MediaRelay;
  sipPort: number;
  wsPort: number;
  events: Array<{ name: keyof CallEventMap; payload: CallEventMap[keyof CallEventMap][0] }>;
  endedSessions: string[];
  close(): Promise<void>;
  /** Waits until no dialog, call session or rtpengine session of ours is left, then asserts it. */
  assertClean(): Promise<void>;
}

export async function startHarness(opts: {
  pbxPort: number;
  relay?: RtpEngineRelay;
  trunk?: Partial<TrunkConfig>;
  timers?: Partial<TimerConfig>;
  agentExtension?: AgentExtension;
  floodLimit?: FloodLimitOptions;
  /** Media relay used for calls when it must differ from `relay` (which checks for leftovers). */
  media?: MediaRelay;
  dialogKeepaliveMs?: number;
  /** How often answered calls' media sessions are checked (default: off in tests). */
  mediaCheckMs?: number;
  /** UDP/TCP port to listen on (default: a free one), for a proxy configured before we start. */
  sipPort?: number;
  /** The PBX number widget calls are routed to (default 7000). */
  widgetDestination?: string;
  /** Where answered calls are kept for another process (default: none). */
  liveCalls?: LiveCallStore;
}): Promise<Harness> {
  const { engine, kind, sipPort, wsPort } = await startTestEngine({ ...(opts.timers ? { timers: opts.timers } : {}), ...(opts.sipPort ? { sipPort: opts.sipPort } : {}) });
  const authenticator: Authenticator = {
    async lookup(username) {
      if (username === WIDGET_TOKEN.username) {
        return { secret: { password: WIDGET_TOKEN.password }, identity: { kind: 'call-token', username, interactionId: CONTEXT.interactionId } };
      }
      if (username === AGENT.username) return { secret: { password: AGENT.password }, identity: { kind: 'agent', username, agentId: 'agent-1' } };
      return undefined;
    },
  };
  const router: CallRouter = {
    async routeWidgetCall(identity) {
      return identity.interactionId === CONTEXT.interactionId ? { destination: opts.widgetDestination ?? '7000', context: CONTEXT } : undefined;
    },
    async agentExtension(agentId) {
      return agentId === 'agent-1' ? (opts.agentExtension ?? { extension: '201' }) : undefined;
    },
  };
  const recorder = new InMemoryCallRecorder();
  const relay: MediaRelay = opts.media ?? opts.relay ?? new PassthroughRelay();
  const cc = new CallControl({
    engine, media: relay, recorder, router, authenticator, realm: 'switchboard.test',
    trunk: { host: '127.0.0.1', port: opts.pbxPort, transport: 'udp', trustedAddresses: [], ...opts.trunk },
    keepaliveMs: 0,
    mediaCheckMs: opts.mediaCheckMs ?? 0,
    ...(opts.dialogKeepaliveMs !== undefined ? { dialogKeepaliveMs: opts.dialogKeepaliveMs } : {}),
    ...(opts.liveCalls ? { liveCalls: opts.liveCalls } : {}),
    // Every test peer is on 127.0.0.1: tell sources apart by port.
    floodLimit: { key: (req) => `${req.source.address}:${req.source.port}`, ...opts.floodLimit },
  });
  const events: Harness['events'] = [];
  const endedSessions: string[] = [];
  for (const name of ['ringing', 'answered', 'held', 'ended'] as const) {
    cc.events.on(name, (payload: CallEventMap[typeof name][0]) => {
      events.push({ name, payload });
      if (name === 'ended') endedSessions.push(payload.callSessionId);
    });
  }
  return {
    engine, kind, cc, recorder, relay, sipPort, wsPort, events, endedSessions,
    async close() {
      await cc.close();
      await engine.close();
    },
    async assertClean() {
      const rtp = opts.relay;
      const leftovers = async (): Promise<string[]> => (rtp ? (await rtp.list()).filter((id) => endedSessions.includes(id) || cc.activeSessions.has(id)) : []);
      // BYEs and their answers may still be in flight when a test's peers are done.
      for (let i = 0; i < 200; i++) {
        if (engine.dialogs.size === 0 && cc.activeSessions.size === 0 && (await leftovers()).length === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect([...engine.dialogs.keys()], 'dialogs left over').to.deep.equal([]);
      expect([...cc.activeSessions.keys()], 'call sessions left over').to.deep.equal([]);
      expect(await leftovers(), 'rtpengine sessions left over').to.deep.equal([]);
    },
  };
}
