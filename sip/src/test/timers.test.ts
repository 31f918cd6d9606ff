// RFC 3261 timers seen from outside: over UDP, final responses are retransmitted (G) until ACK
// or H, and a 2xx until ACK (then the call is ended with BYE); over TCP nothing is retransmitted
// and a silent peer still times out (B).
import { expect } from 'chai';
import net from 'node:net';
import { parseMessage, type SipRequest, type SipResponse } from '../message.js';
import { signRequest } from '../auth/digest.js';
import { freePort, rtpengineRelay, sipp, waitForUdpListener, type SippProcess } from './support/services.js';
import { WIDGET_TOKEN, startHarness, type Harness } from './support/harness.js';
import { ENGINE_KIND } from './support/engine.js';
import { REPLY_BUDGET_MS, statusOf, tcpClient, udpClient, type Client } from './support/raw.js';
import type { RtpEngineRelay } from '../media/relay.js';

const T1 = 40;
const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

function invite(n: number, cseq = 1, extra = '', contactPort = 9): string {
  return [
    `INVITE sip:7000@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKraw${n}c${cseq}`,
    `From: <sip:visitor@127.0.0.1>;tag=raw${n}`,
    `To: <sip:7000@127.0.0.1>`,
    `Call-ID: raw-${n}@127.0.0.1`,
    `CSeq: ${cseq} INVITE`,
    `Contact: <sip:visitor@127.0.0.1:${contactPort}>`,
    `Max-Forwards: 70`,
    ...(extra ? [extra] : []),
    `Content-Type: application/sdp`,
    `Content-Length: ${SDP.length}`,
    '',
    SDP,
  ].join('\r\n');
}

function ack(n: number, res: string, cseq = 1): string {
  const to = /\r\nTo: ([^\r\n]+)/i.exec(res)?.[1];
  const via = /\r\nVia: ([^\r\n]+)/i.exec(res)?.[1];
  return [`ACK sip:7000@127.0.0.1 SIP/2.0`, `Via: ${via}`, `From: <sip:visitor@127.0.0.1>;tag=raw${n}`, `To: ${to}`,
    `Call-ID: raw-${n}@127.0.0.1`, `CSeq: ${cseq} ACK`, `Max-Forwards: 70`, `Content-Length: 0`, '', ''].join('\r\n');
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/**
 * Counts what the client has read, after one pass over pending I/O: a copy sent by a timer that
 * fired in the same late tick as the test's wait is already in the socket, and must be counted
 * with the copies before it, not after.
 */
const count = async (c: Client, status: number): Promise<number> => {
  await new Promise((r) => setImmediate(r));
  return c.all.filter((m) => statusOf(m) === status).length;
};

/** Answers the 407 and sends the authenticated INVITE (CSeq 2), whose Contact is the client. */
async function authenticatedInvite(c: Client, n: number): Promise<void> {
  c.send(invite(n, 1, '', c.port));
  let challenge = '';
  while (statusOf(challenge) !== 407) challenge = await c.next();
  c.send(ack(n, challenge));
  const parsedReq = parseMessage(invite(n, 2, '', c.port));
  const parsedRes = parseMessage(challenge);
  if (!parsedReq.ok || !parsedRes.ok) throw new Error('test message did not parse');
  const req = parsedReq.message as SipRequest;
  signRequest(req, parsedRes.message as SipResponse, WIDGET_TOKEN);
  const auth = req.headers['proxy-authorization']![0]!;
  const header = 'Proxy-Authorization: Digest ' + Object.entries(auth).filter(([k]) => k !== 'scheme').map(([k, v]) => `${k}=${v}`).join(', ');
  c.send(invite(n, 2, header, c.port));
}

describe('transaction timers, seen from the wire', function () {
  let relay: RtpEngineRelay;
  let h: Harness | undefined;
  const procs: SippProcess[] = [];
  const closers: Array<() => void> = [];
  before(async () => {
    relay = await rtpengineRelay();
  });
  after(() => relay.close());
  afterEach(async () => {
    for (const c of closers.splice(0)) c();
    for (const p of procs.splice(0)) p.kill();
    if (h) {
      try {
        await h.assertClean();
      } finally {
        await h.close();
        h = undefined;
      }
    }
  });

  it('over UDP retransmits a final error until ACKed (timer G), then stops (timer H)', async () => {
    h = await startHarness({ pbxPort: await freePort(), relay, timers: { t1: T1 } });
    const c = await udpClient(h.sipPort);
    closers.push(() => c.close());
    c.send(invite(1));
    // Timers only ever fire late on a busy machine: leave room past H before taking the count.
    await wait(64 * T1 + 1000);
    const copies = await count(c, 407);
    expect(copies, '407 copies without ACK').to.be.at.least(4);
    await wait(1000);
    expect(await count(c, 407), 'no copies after timer H').to.equal(copies);
  });

  it('over UDP stops retransmitting once the ACK arrives', async () => {
    // Timer G's first copies come at T1 and 3·T1: the default T1 leaves the ACK 1.5 s to arrive
    // on a loaded machine before "at most 2" could be exceeded.
    const t1 = 500;
    h = await startHarness({ pbxPort: await freePort(), relay, timers: { t1 } });
    const c = await udpClient(h.sipPort);
    closers.push(() => c.close());
    c.send(invite(2));
    let r = '';
    while (statusOf(r) !== 407) r = await c.next();
    c.send(ack(2, r));
    await wait(t1); // the ACK is in; a copy already on its way may still land
    const settled = await count(c, 407);
    await wait(8 * t1); // without the ACK, timer G would have sent 2 more by now
    expect(await count(c, 407)).to.equal(settled);
    expect(settled).to.be.at.most(2);
  });

  it('over TCP sends the final response once (no timer G)', async () => {
    h = await startHarness({ pbxPort: await freePort(), relay, timers: { t1: T1 } });
    const c = await tcpClient(h.sipPort);
    closers.push(() => c.close());
    c.send(invite(3).replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
    expect(statusOf(await c.next())).to.equal(407);
    await wait(16 * T1); // over UDP, timer G would have resent it 4 times by now
    expect(await count(c, 407)).to.equal(1);
  });

  it('retransmits a 2xx until ACKed, and ends the call with BYE both ways when no ACK comes', async function () {
    // drachtio-server resends its 2xx and gives up on the ACK by its compiled-in timers (T1 =
    // 500 ms, 64·T1 = 32 s), whatever its configured T1.
    const ackWait = 64 * (ENGINE_KIND === 'drachtio' ? 500 : T1);
    this.timeout(ackWait + 20000);
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, timers: { t1: T1 } });
    const pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort, timeoutS: ackWait / 1000 + 12 });
    procs.push(pbx);
    await waitForUdpListener(pbxPort, pbx);
    const c = await udpClient(h.sipPort);
    closers.push(() => c.close());
    await authenticatedInvite(c, 4);
    // The BYE comes once the ACK wait is over, counted from a 200 that first crossed the PBX.
    let m = '';
    while (!m.startsWith('BYE ')) m = await c.next(ackWait + REPLY_BUDGET_MS);
    expect(await count(c, 200), '200 copies without ACK').to.be.at.least(4);
    expect((await pbx.done).code, 'PBX got BYE').to.equal(0);
  });

  it('over a TCP trunk never retransmits the INVITE and still times out (timer B → 408)', async () => {
    const received: string[] = [];
    const server = net.createServer((s) => s.on('data', (d) => received.push(d.toString('binary'))));
    const pbxPort = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
    closers.push(() => server.close());
    h = await startHarness({ pbxPort, relay, timers: { t1: T1 }, trunk: { transport: 'tcp' } });
    const c = await udpClient(h.sipPort);
    closers.push(() => c.close());
    await authenticatedInvite(c, 5);
    // A copy of the first INVITE's 407, resent by timer G before our ACK got in, is no answer to this one.
    let r = '';
    while (statusOf(r) < 200 || !/\r\nCSeq: 2 INVITE\r\n/i.test(r)) r = await c.next();
    expect(statusOf(r)).to.equal(408);
    expect(received.join('').match(/^INVITE /gm) ?? []).to.have.length(1);
  });

  it('tears down a call whose caller vanished without BYE (in-dialog OPTIONS keepalive)', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, timers: { t1: T1 }, dialogKeepaliveMs: 300 });
    const pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort });
    procs.push(pbx);
    await waitForUdpListener(pbxPort, pbx);
    const c = await udpClient(h.sipPort);
    await authenticatedInvite(c, 6);
    let ok = '';
    while (statusOf(ok) !== 200) ok = await c.next();
    c.send(ack(6, ok, 2).replace(/^Via: [^\r\n]*/m, 'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKraw6ack'));
    await wait(100); // let the ACK leave before the socket goes
    c.close(); // gone: no BYE, no answer to anything
    expect((await pbx.done).code, 'PBX got BYE').to.equal(0);
    await h.assertClean();
    const ended = h.events.find((e) => e.name === 'ended')!.payload as { cause: string; status?: number };
    // 408 from the keepalive OPTIONS (an ACK timeout would have ended it without a status).
    expect(ended).to.include({ cause: 'transport-lost', status: 408 });
  });
});
