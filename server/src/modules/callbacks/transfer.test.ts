// Issue #17: transfer works on a callback as on any call. Here it is carried through to a second
// agent, with real components: a record-routing Kamailio in front of the PBX, the customer's
// phone and both agents' extensions behind it (sipp UASes whose media is each a UDP socket of this
// test, so RTP is counted where it arrives). The first agent's phone sends the desktop's blind
// transfer (a REFER to the second agent's extension) along its route set; the customer must end
// up talking with the second agent, the interaction with it, and every in-dialog request of the
// dialogs through the proxy must follow their route sets (RFC 3261 §12.2.1.1), which the
// proxy's log shows: a request that skipped the route set never reaches it.
import { expect } from 'chai';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RtpEngineRelay } from '@switchboard/sip';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/index.js';
import { Call, CallLeg } from '../calls/index.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { api, login, setState, startRoutingServer, openDesktop, stateOf, waitState, type TestServer } from '../../test/routing.js';
import { attemptsOf, callbackOf, takeOffer } from '../../test/callbacks.js';
import { freePort, sipp, waitForUdpListener, type SippProcess } from '../../../../sip/dist/test/support/services.js';
import { startKamailio, type Kamailio } from '../../../../sip/dist/test/support/kamailio.js';
import { conversation, invitesIn, legPackets, rtpPeer, type RtpPeer } from '../../../../sip/dist/test/support/rtp.js';

/**
 * The agent presses Transfer on their phone: the sipp scenario sends its REFER once a MESSAGE with
 * its call's Call-ID arrives (a cue from this test, which the phone does not answer).
 */
async function pressTransfer(phonePort: number, callId: string): Promise<void> {
  const s = dgram.createSocket('udp4');
  const port = await new Promise<number>((r) => s.bind(0, '127.0.0.1', () => r(s.address().port)));
  const msg = [
    `MESSAGE sip:pbx@127.0.0.1:${phonePort} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${randomBytes(6).toString('hex')}`,
    'From: <sip:desk@127.0.0.1>;tag=desk', 'To: <sip:pbx@127.0.0.1>', `Call-ID: ${callId}`, 'CSeq: 1 MESSAGE', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
  ].join('\r\n');
  await new Promise<void>((resolve, reject) => s.send(msg, phonePort, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  s.close();
}

const traceFile = (name: string) => path.join(mkdtempSync(path.join(os.tmpdir(), `sb-cbx-${name}-`)), 'trace.log');
const uuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
const CAPACITY = { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 };

describe('callbacks: the agent transfers the call to a second agent, through a record-routing Kamailio', function () {
  this.timeout(180_000);
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  function phone(scenario: string, name: string, rtp: RtpPeer, port: number, extra: string[] = []): { p: SippProcess; trace: string } {
    const trace = traceFile(name);
    const p = sipp({ scenario, port, calls: 1, timeoutS: 150, extra: ['-set', 'rtp_port', String(rtp.port), '-trace_msg', '-message_file', trace, ...extra] });
    cleanup.push(() => p.kill());
    return { p, trace };
  }

  it("the second agent's phone rings and answers, the customer talks with them (RTP both ways), the first agent is freed, the interaction is the second agent's ('transferred'), in-dialog requests follow the route sets", async () => {
    const extA = String(500000 + Math.floor(Math.random() * 249999));
    const extB = String(750000 + Math.floor(Math.random() * 249999));
    const [rtpA, rtpB, rtpC] = [await rtpPeer(), await rtpPeer(), await rtpPeer()];
    cleanup.push(() => rtpA.socket.close(), () => rtpB.socket.close(), () => rtpC.socket.close());
    const [portA, portB, portC] = [await freePort(), await freePort(), await freePort()];
    const phoneA = phone('uas-answer-reinvite-media-refer.xml', 'agent-a', rtpA, portA, ['-set', 'refer_to', extB]);
    const phoneB = phone('uas-answer-media.xml', 'agent-b', rtpB, portB);
    const customer = phone('uas-answer-media.xml', 'customer', rtpC, portC);
    await waitForUdpListener(portA, phoneA.p);
    await waitForUdpListener(portB, phoneB.p);
    await waitForUdpListener(portC, customer.p);
    const k: Kamailio = await startKamailio({
      recordRoute: true,
      routes: [
        { user: `^${extA}$`, to: `sip:$rU@127.0.0.1:${portA}` },
        { user: `^${extB}$`, to: `sip:$rU@127.0.0.1:${portB}` },
        { user: '^0[0-9]+$', to: `sip:$rU@127.0.0.1:${portC}` },
      ],
    });
    cleanup.push(() => k.stop());
    const t: TestServer = await startRoutingServer({
      'switchboard.yaml:sip.enabled': true,
      'trunks.yaml:trunks.0.port': k.port,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'trunks.yaml:trunks.0.dialPlan': { countryCode: '39', outsideLinePrefix: '0' },
    });
    cleanup.push(() => t.stop());
    const c = t.sb.kernel.config().main.rtpengine;
    const relay = new RtpEngineRelay({ host: c.host, port: c.ngPort, timeout: c.timeoutMs });
    cleanup.push(() => relay.close());
    const admin = await login(t.url);
    const agent = async (ext: string, name: string) => {
      const username = `cbx-${ext}`;
      const made = await api(t.url, 'POST', '/api/agents', { username, name, role: 'agent', password: 'callback-password-1', extension: ext, capacity: CAPACITY }, admin);
      expect(made.status, JSON.stringify(made.body)).to.equal(201);
      const token = await login(t.url, username, 'callback-password-1');
      const socket = await openDesktop(t.url, token);
      cleanup.push(() => socket.close());
      return { id: made.body.agent.id as string, token, username, socket };
    };
    // No softphone registered: each agent is rung at their extension behind the proxy.
    const a = await agent(extA, 'First Agent');
    const b = await agent(extB, 'Second Agent');
    await setState(t.url, a, 'available');

    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const interactionId = await takeOffer({ t, agent: a });
    // Only now free: the callback was the first agent's to take.
    await setState(t.url, b, 'available');
    const cb = await eventually(() => callbackOf(t, r.body.callbackId), (x) => x.state === 'completed', 300, 200);
    const [attempt] = await attemptsOf(t, cb.id);
    const sessionId = uuid(attempt!.callId!);

    // Bridged: the first agent and the customer hear each other.
    const toC = invitesIn(customer.trace)[0]!;
    const toA = invitesIn(phoneA.trace).at(-1)!;
    const before = await conversation(rtpA, toA, rtpC, toC);
    expect(before.x, 'RTP from the customer reaching the first agent').to.be.at.least(50);
    expect(before.y, 'RTP from the first agent reaching the customer').to.be.at.least(50);

    // The first agent transfers to the second agent's extension; the second agent's phone, behind
    // the proxy, rings with the interaction and answers; the first agent's leg ends.
    await pressTransfer(portA, invitesIn(phoneA.trace)[0]!.callId);
    expect((await phoneA.p.done).code, `first agent's phone (REFER, NOTIFYs, BYE):\n${k.log()}`).to.equal(0);
    const [toB] = invitesIn(phoneB.trace);
    expect(readFileSync(phoneB.trace, 'utf8'), "the second agent is rung with the interaction").to.match(new RegExp(`^X-Switchboard-Interaction: ${interactionId}`, 'im'));
    expect(invitesIn(customer.trace), 'the customer is never re-INVITEd').to.have.length(1);

    // The customer now talks with the second agent, through the same media session.
    const after = await conversation(rtpB, toB!, rtpC, toC);
    expect(after.x, 'RTP from the customer reaching the second agent').to.be.at.least(50);
    expect(after.y, 'RTP from the second agent reaching the customer').to.be.at.least(50);
    const counted = await legPackets(relay, sessionId);
    expect(counted, 'rtpengine packets per leg').to.have.length(2);
    for (const n of counted) expect(n, `rtpengine packets per leg: ${counted.join(', ')}`).to.be.at.least(100);

    // The interaction went with the call: the second agent's, Busy; the first agent free again.
    const moved = await eventually(() => t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: interactionId }), (i) => i.assignedAgentId === b.id);
    expect(moved.state).to.equal('assigned');
    expect(await stateOf(t.url, b)).to.equal('busy');
    await waitState(t.url, a, 'available');
    await a.socket.next((m) => m.type === 'interaction.removed' && m.interactionId === interactionId && m.reason === 'transferred');
    const journey = async () => (await t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId }, order: { seq: 'ASC' } }));
    const handed = (await journey()).filter((e) => e.type === 'assigned' || e.type === 'transferred');
    expect(handed.map((e) => [e.type, e.agentId])).to.deep.equal([['assigned', a.id], ['transferred', b.id]]);
    expect(handed[1]!.data).to.deep.include({ from: a.id, via: 'transfer', call: attempt!.callId });

    // The call ends from our side (the desktop's hang-up): the BYEs to the customer and to the
    // second agent go along their route sets.
    expect(await t.sb.contexts.calls()!.control.hangup(sessionId)).to.equal(true);
    expect((await phoneB.p.done).code, 'second agent\'s phone').to.equal(0);
    expect((await customer.p.done).code, 'customer\'s phone').to.equal(0);
    await eventually(() => t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: interactionId }), (i) => i.state === 'closed');
    await eventually(journey, (j) => j.some((e) => e.type === 'closed' && e.agentId === b.id));

    // One call, its legs: the first agent's ended transferred, the customer's and the second agent's with the hang-up.
    const call = await eventually(() => t.sb.kernel.db.getRepository(Call).findOneBy({ interactionId }), (x) => !!x?.endedAt);
    const legs = await eventually(() => t.sb.kernel.db.getRepository(CallLeg).find({ where: { callId: call!.id }, order: { side: 'ASC' } }), (l) => l.length === 3 && l.every((x) => !!x.endedAt));
    expect(legs.map((l) => [l.remoteUri.replace(/@.*/, ''), !!l.answeredAt, l.cause])).to.deep.equal([
      [`sip:${extA}`, true, 'transferred'],
      ['sip:00612345678', true, 'callee-hangup'],
      [`sip:${extB}`, true, 'callee-hangup'],
    ]);

    // Every in-dialog request went through the proxy on its route set: the first agent's REFER
    // and Switchboard's NOTIFYs and BYE back, the second agent's ACK and BYE, the customer's BYE.
    const seen = k.seen();
    const callIdOf = (trace: string) => invitesIn(trace)[0]!.callId;
    const routed = (callId: string) => seen.filter((s) => s.callId === callId && s.kind !== 'initial').map((s) => `${s.kind} ${s.method}`);
    expect(routed(callIdOf(phoneA.trace)), "the first agent's dialog").to.deep.equal(['routed ACK', 'routed INVITE', 'routed ACK', 'routed REFER', 'routed NOTIFY', 'routed NOTIFY', 'routed BYE']);
    expect(routed(callIdOf(phoneB.trace)), "the second agent's dialog").to.deep.equal(['routed ACK', 'routed BYE']);
    expect(routed(callIdOf(customer.trace)), "the customer's dialog").to.deep.equal(['routed ACK', 'routed BYE']);
    const calls = t.sb.contexts.calls()!;
    await eventually(async () => ({ dialogs: calls.engine.dialogs.size, sessions: calls.control.activeSessions.size, media: (await relay.list()).includes(sessionId) }), (x) => x.dialogs === 0 && x.sessions === 0 && !x.media);
  });
});
