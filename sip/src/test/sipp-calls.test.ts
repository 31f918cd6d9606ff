// Black-box calls: a sipp caller (playing the widget, authenticated with a per-call token)
// → Switchboard (engine + CallControl + rtpengine) → a sipp PBX stand-in. Each scenario file
// says in its name what the caller must see; sipp exits non-zero when anything else happens.
import { expect } from 'chai';
import dgram from 'node:dgram';
import { RtpEngineRelay } from '../media/relay.js';
import { freePort, rtpengineRelay, sipp, waitForTcpListener, waitForUdpListener, type SippResult } from './support/services.js';
import { startHarness, type Harness } from './support/harness.js';
import type { TrunkConfig } from '../call/call-control.js';
import type { TimerConfig } from '../transaction/transactions.js';
import { finalResponse, statusOf, udpClient } from './support/raw.js';

/** A PBX that never answers: records what reached it. */
async function silentPbx(): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  const received: string[] = [];
  sock.on('message', (m) => received.push(m.toString('binary')));
  const port = await new Promise<number>((r) => sock.bind(0, '127.0.0.1', () => r(sock.address().port)));
  return { port, received, close: () => new Promise((r) => sock.close(() => r())) };
}

function ok(r: SippResult, who: string): void {
  expect(r.code, `${who} sipp failed:\n${r.stderr.slice(-1500)}`).to.equal(0);
}

describe('calls through Switchboard to a PBX (sipp caller and sipp PBX)', function () {
  let relay: RtpEngineRelay;
  let h: Harness | undefined;
  const kills: Array<() => void> = [];

  before(async () => {
    relay = await rtpengineRelay();
  });
  after(() => relay.close());
  afterEach(async () => {
    for (const k of kills.splice(0)) k();
    if (h) {
      try {
        await h.assertClean();
      } finally {
        await h.close();
        h = undefined;
      }
    }
  });

  async function call(pbxScenario: string | number, callerScenario: string, opts: { trunk?: Partial<TrunkConfig>; timers?: Partial<TimerConfig> } = {}): Promise<{ caller: SippResult; pbx?: SippResult }> {
    const pbxPort = typeof pbxScenario === 'number' ? pbxScenario : await freePort();
    h = await startHarness({ pbxPort, relay, ...opts });
    let pbxDone: Promise<SippResult> | undefined;
    if (typeof pbxScenario === 'string') {
      const pbx = sipp({ scenario: pbxScenario, port: pbxPort });
      kills.push(pbx.kill);
      pbxDone = pbx.done;
      await waitForUdpListener(pbxPort, pbx);
    }
    const caller = sipp({ scenario: callerScenario, port: await freePort(), remote: `127.0.0.1:${h.sipPort}` });
    kills.push(caller.kill);
    const c = await caller.done;
    const p = pbxDone ? await pbxDone : undefined;
    return { caller: c, ...(p ? { pbx: p } : {}) };
  }

  it('bridges an answered call with the interaction context in X- headers, and records both legs', async () => {
    const r = await call('uas-answer.xml', 'uac-answer-expect-200.xml');
    ok(r.caller, 'caller');
    ok(r.pbx!, 'PBX (checks X-Interaction-Id, X-Website, X-Form-Topic and RTP/AVP SDP)');
    await h!.assertClean();
    const legs = [...h!.recorder.legs.values()];
    expect(legs).to.have.length(2);
    expect(legs.map((l) => l.direction).sort()).to.deep.equal(['inbound', 'outbound']);
    for (const l of legs) {
      expect(l.interactionId).to.equal('int-42');
      expect(l.callId, 'SIP Call-ID').to.match(/\S{6,}/);
      expect(l.localTag, 'our tag').to.match(/^[0-9a-f]{12}$/);
      expect(l.remoteTag, 'their tag').to.match(/SIPpTag/);
      expect(l.answeredAt, 'answered').to.be.instanceOf(Date);
      expect(l.ended?.cause).to.equal('caller-hangup');
    }
    expect(h!.events.map((e) => e.name)).to.deep.equal(['ringing', 'answered', 'ended']);
    const [inbound, outbound] = [legs.find((l) => l.direction === 'inbound')!, legs.find((l) => l.direction === 'outbound')!];
    expect(inbound.callId).to.not.equal(outbound.callId);
    expect(inbound.ringingAt!.getTime()).to.be.at.most(inbound.answeredAt!.getTime());
    expect(outbound.answeredAt!.getTime()).to.be.at.most(inbound.ended!.at.getTime());
  });

  it('keeps handling the call when a call-event listener of the server throws', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    for (const name of ['ringing', 'answered', 'ended'] as const) {
      h.cc.events.on(name, () => {
        throw new Error(`listener bug on ${name}`);
      });
    }
    const pbx = sipp({ scenario: 'uas-answer.xml', port: pbxPort });
    kills.push(pbx.kill);
    await waitForUdpListener(pbxPort, pbx);
    const caller = sipp({ scenario: 'uac-answer-expect-200.xml', port: await freePort(), remote: `127.0.0.1:${h.sipPort}` });
    kills.push(caller.kill);
    ok(await caller.done, 'caller');
    ok(await pbx.done, 'PBX');
    await h.assertClean();
  });

  it('ends the caller leg with BYE when the PBX hangs up first', async () => {
    const r = await call('uas-bye-first.xml', 'uac-answer-bye-received-expect-200.xml');
    ok(r.caller, 'caller');
    ok(r.pbx!, 'PBX');
    await h!.assertClean();
    const ended = h!.events.find((e) => e.name === 'ended')!.payload as { cause: string };
    expect(ended.cause).to.equal('callee-hangup');
  });

  for (const [pbx, caller, cause] of [
    ['uas-busy.xml', 'uac-busy-expect-486.xml', 'busy'],
    ['uas-unavailable.xml', 'uac-unavailable-expect-480.xml', 'unavailable'],
    ['uas-down.xml', 'uac-pbx-down-expect-503.xml', 'service-unavailable'],
    ['uas-no-route.xml', 'uac-no-route-expect-404.xml', 'not-found'],
  ] as const) {
    it(`passes the PBX's refusal back to the caller and reports "${cause}" (${pbx})`, async () => {
      const r = await call(pbx, caller);
      ok(r.caller, 'caller');
      ok(r.pbx!, 'PBX');
      await h!.assertClean();
      const ended = h!.events.find((e) => e.name === 'ended')!.payload as { cause: string; description: string };
      expect(ended.cause).to.equal(cause);
      expect(ended.description).to.be.a('string').and.not.match(/\d{3}/);
    });
  }

  it('retransmits the INVITE over UDP (timer A) and answers 408 when the PBX never replies (timer B)', async () => {
    const pbx = await silentPbx();
    try {
      const r = await call(pbx.port, 'uac-timeout-expect-408.xml', { timers: { t1: 40 } });
      ok(r.caller, 'caller');
      const invites = pbx.received.filter((m) => m.startsWith('INVITE '));
      // drachtio-server's sofia-sip waits at least 1 s before its first timer A retransmission
      // (whatever T1 is), so within a short timer B it sends two copies where T1 allows more.
      expect(invites.length, 'INVITE copies (first + timer A retransmissions)').to.be.at.least(h!.kind === 'drachtio' ? 2 : 3);
      const branches = new Set(invites.map((m) => /branch=([^;\r\n]+)/.exec(m)?.[1]));
      expect(branches.size, 'retransmissions reuse the branch').to.equal(1);
      await h!.assertClean();
      expect((h!.events.find((e) => e.name === 'ended')!.payload as { cause: string }).cause).to.equal('no-answer');
    } finally {
      await pbx.close();
    }
  });

  it('cancels the PBX leg when the caller cancels while ringing', async () => {
    const r = await call('uas-no-answer.xml', 'uac-cancel-expect-487.xml');
    ok(r.caller, 'caller');
    ok(r.pbx!, 'PBX (must receive CANCEL)');
    await h!.assertClean();
    expect((h!.events.find((e) => e.name === 'ended')!.payload as { cause: string }).cause).to.equal('canceled');
  });

  it('relays a hold re-INVITE from the PBX to the caller and reports the call held', async () => {
    const r = await call('uas-reinvite.xml', 'uac-hold-by-pbx-expect-200.xml');
    ok(r.caller, 'caller (must receive the re-INVITE)');
    ok(r.pbx!, 'PBX (expects a=recvonly in the answer)');
    await h!.assertClean();
    const held = h!.events.find((e) => e.name === 'held')?.payload as { held: boolean; by: string } | undefined;
    expect(held).to.include({ held: true, by: 'b' });
  });

  it('relays early media (183 with SDP) from the PBX before the answer', async () => {
    const r = await call('uas-early-media.xml', 'uac-early-media-expect-200.xml');
    ok(r.caller, 'caller (must get 183 with SDP, then 200)');
    ok(r.pbx!, 'PBX');
  });

  it('answers the trunk digest challenge (401) with the trunk credentials', async () => {
    const r = await call('uas-challenge.xml', 'uac-answer-expect-200.xml', { trunk: { auth: { username: 'trunk', password: 'trunk-pw' } } });
    ok(r.caller, 'caller');
    ok(r.pbx!, 'PBX (verifies the digest)');
  });

  it('never lets an unauthenticated INVITE reach the PBX', async () => {
    const pbx = await silentPbx();
    try {
      const r = await call(pbx.port, 'uac-no-auth-expect-407.xml');
      ok(r.caller, 'caller');
      expect(pbx.received).to.deep.equal([]);
    } finally {
      await pbx.close();
    }
  });

  it('answers 488 to a malformed SDP offer without calling the PBX', async () => {
    const pbx = await silentPbx();
    try {
      const r = await call(pbx.port, 'uac-bad-sdp-expect-488.xml');
      ok(r.caller, 'caller');
      expect(pbx.received).to.deep.equal([]);
    } finally {
      await pbx.close();
    }
  });

  it('bridges a call to a PBX trunk over TCP', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, trunk: { transport: 'tcp' } });
    const pbx = sipp({ scenario: 'uas-answer.xml', port: pbxPort, transport: 't1' });
    kills.push(pbx.kill);
    await waitForTcpListener(pbxPort, pbx);
    const caller = sipp({ scenario: 'uac-answer-expect-200.xml', port: await freePort(), remote: `127.0.0.1:${h.sipPort}` });
    kills.push(caller.kill);
    ok(await caller.done, 'caller (UDP)');
    ok(await pbx.done, 'PBX (TCP)');
  });

  it('challenges MESSAGE from outside like calls, and never forwards it', async () => {
    const pbx = await silentPbx();
    h = await startHarness({ pbxPort: pbx.port, relay });
    const c = await udpClient(h.sipPort);
    try {
      c.send(['MESSAGE sip:7000@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKmsg1', 'From: <sip:x@127.0.0.1>;tag=m1',
        'To: <sip:7000@127.0.0.1>', 'Call-ID: msg-1@127.0.0.1', 'CSeq: 1 MESSAGE', 'Max-Forwards: 70', 'Content-Type: text/plain',
        'Content-Length: 2', '', 'hi'].join('\r\n'));
      expect(statusOf(await finalResponse(c))).to.equal(407);
      expect(pbx.received).to.deep.equal([]);
    } finally {
      c.close();
      await pbx.close();
    }
  });

  it('answers 503 without calling the PBX when rtpengine does not answer', async () => {
    const pbx = await silentPbx();
    const deadRtpengine = new RtpEngineRelay({ host: '127.0.0.1', port: await freePort(), timeout: 300 });
    try {
      h = await startHarness({ pbxPort: pbx.port, relay, media: deadRtpengine });
      const caller = sipp({ scenario: 'uac-media-down-expect-503.xml', port: await freePort(), remote: `127.0.0.1:${h.sipPort}` });
      kills.push(caller.kill);
      ok(await caller.done, 'caller');
      expect(pbx.received).to.deep.equal([]);
      await h.assertClean();
      const ended = h.events.find((e) => e.name === 'ended')!.payload as { cause: string; detail?: string };
      // The caller hears only that media failed; the records say why (each command tried twice).
      expect([ended.cause, ended.detail]).to.deep.equal(['media-failed', 'no reply within 300 ms (2 tries)']);
    } finally {
      deadRtpengine.close();
      await pbx.close();
    }
  });
});
