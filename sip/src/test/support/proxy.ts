// The set-up shared by the tests through a proxy: Kamailio in front of the PBX (numbers 2xx and
// the queue 600 come back to Switchboard's extensions, everything else goes to a sipp PBX),
// Switchboard with a short T1 whose trunk is the proxy, the peers (ProxySuite) and the checks.
import { expect } from 'chai';
import { SessionState, type Invitation, type Session } from 'sip.js';
import type { RtpEngineRelay } from '../../media/relay.js';
import type { AgentExtension } from '../../call/call-control.js';
import { startKamailio, type Kamailio, type ProxySighting } from './kamailio.js';
import { freePort, rtpengineRelay, sipp, waitForUdpListener, type SippProcess, type SippResult } from './services.js';
import { AGENT, WIDGET_TOKEN, startHarness, type Harness } from './harness.js';
import { softphone, waitForState, type Softphone } from './softphone.js';
import { plannedSipPort } from './engine.js';

/** RFC 3261 T1 in these tests: 64·T1, when a UAS without ACK gives up, is 2.56 s. */
export const T1 = 40;
/** How long a call is held before it is checked: past 64·T1, with room for a loaded machine. */
export const PAST_64_T1 = 64 * T1 + 700;
/** How long a sipp peer talks before it acts (hangs up, holds): longer than the tests wait. */
export const TALK = PAST_64_T1 + 1500;
/** The queue number the proxy forwards to extension 201 at Switchboard. */
export const QUEUE = '600';

export interface ProxySetup {
  /** Does the proxy record-route? */
  recordRoute: boolean;
  /** Between Switchboard and the proxy (the PBX side is always UDP). */
  transport?: 'udp' | 'tcp';
  /** Trust the proxy's address (PBX → extension calls); a sipp caller on UDP would then be trusted too. */
  trustProxy?: boolean;
  widgetDestination?: string;
  agentExtension?: AgentExtension;
}

export interface ProxyWorld {
  h: Harness;
  k: Kamailio;
  /** The sipp PBX's port (behind the proxy). */
  pbxPort: number;
  /** Switchboard's UDP/TCP port, as the proxy sees its requests come from it (UDP). */
  sbPort: number;
}

async function startProxyWorld(relay: RtpEngineRelay, o: ProxySetup): Promise<ProxyWorld> {
  const sbPort = await plannedSipPort();
  const pbxPort = await freePort();
  const toSb = o.transport === 'tcp' ? ';transport=tcp' : '';
  const k = await startKamailio({
    recordRoute: o.recordRoute,
    routes: [
      { user: `^${QUEUE}$`, to: `sip:201@127.0.0.1:${sbPort}${toSb}` },
      { user: '^2[0-9][0-9]$', to: `sip:$rU@127.0.0.1:${sbPort}${toSb}` },
      { user: '^[0-9]+$', to: `sip:$rU@127.0.0.1:${pbxPort}` },
    ],
  });
  try {
    const h = await startHarness({
      pbxPort: k.port, sipPort: sbPort, relay, timers: { t1: T1 },
      trunk: { transport: o.transport ?? 'udp', trustedAddresses: o.trustProxy ? ['127.0.0.1'] : [] },
      ...(o.widgetDestination ? { widgetDestination: o.widgetDestination } : {}),
      ...(o.agentExtension ? { agentExtension: o.agentExtension } : {}),
    });
    return { h, k, pbxPort, sbPort };
  } catch (err) {
    await k.stop();
    throw err;
  }
}

export function sippOk(r: SippResult, who: string, k?: Kamailio): void {
  expect(r.code, `${who} sipp failed:\n${r.stderr.slice(-1500)}${k ? `\nproxy:\n${k.log()}` : ''}`).to.equal(0);
}

export const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits past 64·T1 and checks that the calls are still up: a UAS whose 2xx got no ACK (an ACK
 * that missed the proxy) ends its dialog with BYE at 64·T1.
 */
export async function expectUpPast64T1(h: Harness, calls: number): Promise<void> {
  await wait(PAST_64_T1);
  expect(h.events.filter((e) => e.name === 'ended'), 'calls ended').to.deep.equal([]);
  expect([...h.cc.activeSessions.values()].map((s) => s.state), 'call states').to.deep.equal(Array(calls).fill('answered'));
  expect([...h.engine.dialogs.values()].filter((d) => d.awaitingAck), 'dialogs still waiting for their ACK').to.deep.equal([]);
}

/** In-dialog requests the proxy forwarded along a Route, from `source`, as "METHOD". */
export function routedFrom(k: Kamailio, source: number): string[] {
  return k.seen().filter((s) => s.kind === 'routed' && s.source === `127.0.0.1:${source}`).map((s) => s.method);
}

/** Sightings of in-dialog requests that reached the proxy without a Route for it. */
export function unrouted(k: Kamailio): ProxySighting[] {
  return k.seen().filter((s) => s.kind === 'direct');
}

/**
 * The hooks and steps of a describe block whose tests each run in their own proxy world: call it
 * at the top of the block. Whatever a test started is stopped after it, and `assertClean()`
 * checks that no dialog, call or rtpengine session was left.
 */
export class ProxySuite {
  private relay?: RtpEngineRelay;
  private current?: ProxyWorld;
  private readonly phones: Softphone[] = [];
  private readonly procs: SippProcess[] = [];

  constructor() {
    before(async () => {
      this.relay = await rtpengineRelay();
    });
    after(() => this.relay?.close());
    afterEach(async () => {
      for (const p of this.phones.splice(0)) await p.stop();
      for (const p of this.procs.splice(0)) p.kill();
      const w = this.current;
      this.current = undefined;
      if (!w) return;
      try {
        await w.h.assertClean();
      } finally {
        await w.h.close();
        await w.k.stop();
      }
    });
  }

  get w(): ProxyWorld {
    if (!this.current) throw new Error('start() the world first');
    return this.current;
  }

  async start(o: ProxySetup): Promise<ProxyWorld> {
    this.current = await startProxyWorld(this.relay!, o);
    return this.current;
  }

  /** A sipp PBX stand-in behind the proxy; `-d` is the time it talks before acting. */
  async pbxBehind(scenario: string): Promise<SippProcess> {
    const p = this.track(sipp({ scenario, port: this.w.pbxPort, extra: ['-d', String(TALK)] }));
    await waitForUdpListener(this.w.pbxPort, p);
    return p;
  }

  /** A sipp PBX calling through the proxy. */
  async pbxCalling(scenario: string): Promise<SippProcess> {
    return this.track(sipp({ scenario, port: await freePort(), remote: `127.0.0.1:${this.w.k.port}`, extra: ['-d', String(TALK)] }));
  }

  /** A sipp process of the test's own making, stopped after it. */
  track(p: SippProcess): SippProcess {
    this.procs.push(p);
    return p;
  }

  /** The visitor's call to the queue, from the widget over WebSocket, once established. */
  async widgetCall(): Promise<Session> {
    const phone = await softphone({ wsPort: this.w.h.wsPort, ...WIDGET_TOKEN, user: 'visitor' });
    this.phones.push(phone);
    const session = await phone.call('sip:queue@switchboard.test');
    await waitForState(session, SessionState.Established);
    return session;
  }

  /** The agent's softphone, registered as extension 201 and answering by itself. */
  async agent(): Promise<Softphone> {
    const phone = await softphone({ wsPort: this.w.h.wsPort, ...AGENT, user: 'alice', autoAnswer: true });
    this.phones.push(phone);
    expect(await phone.register()).to.equal(200);
    return phone;
  }

  /** The next call `phone` is offered, once it has answered it. */
  async answered(phone: Softphone): Promise<Invitation> {
    for (let i = 0; i < 200 && phone.incoming.length === 0; i++) await wait(50);
    const call = phone.incoming.at(-1);
    if (!call) throw new Error('no call reached the softphone');
    await waitForState(call, SessionState.Established);
    return call;
  }
}
