// RFC 3261 §12 on the wire, on a bare engine with raw UDP peers standing in for proxies: the UAS
// copies Record-Route into its 1xx/2xx and keeps it as its route set, the UAC takes the 2xx's
// reversed, both address in-dialog requests by the remote target (refreshed by re-INVITE and its
// 2xx) and send them to the first Route — or, for an RFC 2543 strict router, put it in the
// Request-URI and the remote target last in Route.
import { expect } from 'chai';
import { pino } from 'pino';
import { SipEngine } from '../engine.js';
import type { Dialog } from './dialog.js';
import { freePort } from '../test/support/services.js';
import net from 'node:net';
import { tcpClient, udpClient, type Client } from '../test/support/raw.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const header = (msg: string, name: string): string[] => [...msg.matchAll(new RegExp(`^${name}: ?(.*)$`, 'gim'))].map((m) => m[1]!.trim());
const requestLine = (msg: string): string => msg.split('\r\n')[0]!;
/** Every value of a header, over all its lines (values here hold no commas of their own). */
const values = (msg: string, name: string): string[] => header(msg, name).flatMap((v) => v.split(/\s*,\s*/));

/**
 * Waits for the next message on `c` whose first line starts with `start` (and, given `cseq`, of
 * that CSeq: a 2xx the engine resends until our ACK gets in may come before the one awaited).
 */
async function next(c: Client, start: string, cseq?: string): Promise<string> {
  for (;;) {
    const m = await c.next();
    if (m.startsWith(start) && (!cseq || header(m, 'CSeq')[0] === cseq)) return m;
  }
}

function reply(req: string, status: string, extra: string[], body = ''): string {
  const keep = (n: string): string[] => header(req, n).map((v) => `${n}: ${v}`);
  const to = `To: ${header(req, 'To')[0]}${/;tag=/.test(header(req, 'To')[0]!) ? '' : ';tag=peer1'}`;
  return [`SIP/2.0 ${status}`, ...keep('Via'), ...keep('From'), to, ...keep('Call-ID'), ...keep('CSeq'), ...extra,
    ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${body.length}`, '', body].join('\r\n');
}

describe('dialog route sets and remote targets (RFC 3261 §12)', () => {
  let engine: SipEngine;
  let port: number;
  const uas: Dialog[] = [];
  const clients: Client[] = [];

  beforeEach(async () => {
    port = await freePort();
    uas.length = 0;
    engine = new SipEngine({ listen: { host: '127.0.0.1', udpPort: port, tcpPort: port }, logger: pino({ level: process.env.SIP_TEST_LOG ?? 'silent' }) });
    engine.use('INVITE', async (req, res) => {
      res.send(180);
      uas.push(await engine.createUAS(req, res, { localSdp: SDP }));
    });
    await engine.listen();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await engine.close();
  });

  async function peer(): Promise<Client> {
    const c = await udpClient(port);
    clients.push(c);
    return c;
  }

  /** `from` sends an INVITE carrying `recordRoute`; returns the 180 and 200, and ACKs the 200. */
  async function inviteFrom(from: Client, recordRoute: string[], contact: string): Promise<{ ringing: string; ok: string }> {
    const invite = [`INVITE sip:svc@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${from.port};branch=z9hG4bKrr${from.port}`,
      `From: <sip:caller@example.com>;tag=c1`, `To: <sip:svc@127.0.0.1>`, `Call-ID: rr-${from.port}@test`, 'CSeq: 5 INVITE',
      ...recordRoute.map((r) => `Record-Route: ${r}`), `Contact: <${contact}>`, 'Max-Forwards: 70', 'Content-Type: application/sdp',
      `Content-Length: ${SDP.length}`, '', SDP].join('\r\n');
    from.send(invite);
    const ringing = await next(from, 'SIP/2.0 180');
    const ok = await next(from, 'SIP/2.0 200');
    from.send([`ACK ${contact} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${from.port};branch=z9hG4bKack${from.port}`, 'From: <sip:caller@example.com>;tag=c1',
      `To: ${header(ok, 'To')[0]}`, `Call-ID: rr-${from.port}@test`, 'CSeq: 5 ACK', 'Content-Length: 0', '', ''].join('\r\n'));
    for (let i = 0; i < 500 && (!uas[0] || uas[0].awaitingAck); i++) await new Promise((r) => setTimeout(r, 10));
    return { ringing, ok };
  }

  it('UAS: copies every Record-Route into 180 and 200 in order, and routes its BYE through the first (loose) one', async () => {
    const proxy = await peer();
    const rr = [`<sip:127.0.0.1:${proxy.port};lr;ftag=c1>`, '<sip:far.example.com;transport=tcp;lr>;x=1'];
    const { ringing, ok } = await inviteFrom(proxy, rr, 'sip:caller@192.0.2.9:5099');
    expect(values(ringing, 'Record-Route'), '180').to.deep.equal(rr);
    expect(values(ok, 'Record-Route'), '200').to.deep.equal(rr);
    void uas[0]!.destroy(); // nobody answers the BYE here: its transaction is not waited for
    const bye = await next(proxy, 'BYE ');
    expect(requestLine(bye), 'Request-URI: the remote target').to.equal('BYE sip:caller@192.0.2.9:5099 SIP/2.0');
    expect(values(bye, 'Route').join(', ')).to.equal(`<sip:127.0.0.1:${proxy.port};lr;ftag=c1>, <sip:far.example.com;transport=tcp;lr>`);
    expect(header(bye, 'CSeq')).to.deep.equal(['1 BYE']);
  });

  it('UAS: addresses a strict router (no lr) in the Request-URI and puts the remote target last in Route', async () => {
    const strict = await peer();
    await inviteFrom(strict, [`<sip:127.0.0.1:${strict.port};method=INVITE>`, '<sip:next.example.com;lr>'], 'sip:caller@192.0.2.9:5099');
    void uas[0]!.destroy();
    const bye = await next(strict, 'BYE ');
    expect(requestLine(bye)).to.equal(`BYE sip:127.0.0.1:${strict.port} SIP/2.0`);
    expect(values(bye, 'Route').join(', ')).to.equal('<sip:next.example.com;lr>, <sip:caller@192.0.2.9:5099>');
  });

  it("UAS: without a route set sends to the remote target, and a re-INVITE's Contact replaces it", async () => {
    const caller = await peer();
    const moved = await peer();
    await inviteFrom(caller, [], `sip:caller@127.0.0.1:${caller.port}`);
    caller.send([`INVITE sip:svc@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${caller.port};branch=z9hG4bKre${caller.port}`,
      'From: <sip:caller@example.com>;tag=c1', `To: <sip:svc@127.0.0.1>;tag=${uas[0]!.localTag}`, `Call-ID: rr-${caller.port}@test`, 'CSeq: 6 INVITE',
      `Contact: <sip:caller@127.0.0.1:${moved.port}>`, 'Content-Type: application/sdp', `Content-Length: ${SDP.length}`, '', SDP].join('\r\n'));
    const ok = await next(caller, 'SIP/2.0 200', '6 INVITE');
    caller.send([`ACK sip:switchboard@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${caller.port};branch=z9hG4bKreack`, 'From: <sip:caller@example.com>;tag=c1',
      `To: ${header(ok, 'To')[0]}`, `Call-ID: rr-${caller.port}@test`, 'CSeq: 6 ACK', 'Content-Length: 0', '', ''].join('\r\n'));
    // An in-dialog request with a CSeq lower than the last one is out of order (§12.2.2).
    caller.send([`INFO sip:switchboard@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${caller.port};branch=z9hG4bKold`,
      'From: <sip:caller@example.com>;tag=c1', `To: ${header(ok, 'To')[0]}`, `Call-ID: rr-${caller.port}@test`, 'CSeq: 4 INFO', 'Content-Length: 0', '', ''].join('\r\n'));
    expect(requestLine(await next(caller, 'SIP/2.0 ', '4 INFO'))).to.match(/^SIP\/2.0 500/);
    void uas[0]!.destroy();
    const bye = await next(moved, 'BYE ');
    expect(requestLine(bye)).to.equal(`BYE sip:caller@127.0.0.1:${moved.port} SIP/2.0`);
    expect(header(bye, 'Route')).to.deep.equal([]);
  });

  it('TCP: a dialog outlives the connection it was set up on (RFC 3261 §18: connections come and go), its BYE opens a new one', async () => {
    const received: string[] = [];
    const listener = net.createServer((sock) => sock.on('data', (d) => received.push(d.toString('binary'))));
    const listenPort = await new Promise<number>((r) => listener.listen(0, '127.0.0.1', () => r((listener.address() as net.AddressInfo).port)));
    try {
      const caller = await tcpClient(port);
      const contact = `sip:caller@127.0.0.1:${listenPort};transport=tcp`;
      caller.send([`INVITE sip:svc@127.0.0.1:${port};transport=tcp SIP/2.0`, 'Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKtcp1', 'From: <sip:caller@example.com>;tag=t1',
        'To: <sip:svc@127.0.0.1>', 'Call-ID: tcp-1@test', 'CSeq: 1 INVITE', `Contact: <${contact}>`, 'Content-Type: application/sdp', `Content-Length: ${SDP.length}`, '', SDP].join('\r\n'));
      const ok = await next(caller, 'SIP/2.0 200');
      caller.send([`ACK ${contact} SIP/2.0`, 'Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKtcp1ack', 'From: <sip:caller@example.com>;tag=t1', `To: ${header(ok, 'To')[0]}`,
        'Call-ID: tcp-1@test', 'CSeq: 1 ACK', 'Content-Length: 0', '', ''].join('\r\n'));
      for (let i = 0; i < 500 && (!uas[0] || uas[0].awaitingAck); i++) await new Promise((r) => setTimeout(r, 10));
      // The engine has dealt with the connection's end once it says so.
      const closed = new Promise((r) => engine.once('connection-closed', r));
      caller.close();
      await closed;
      expect(uas[0]!.state, 'the dialog after its connection closed').to.equal('confirmed');
      void uas[0]!.destroy();
      for (let i = 0; i < 500 && !received.join('').includes('BYE '); i++) await new Promise((r) => setTimeout(r, 20));
      expect(received.join('')).to.match(new RegExp(`^BYE ${contact.replace(/[.;]/g, '\\$&')} SIP/2.0`, 'm'));
    } finally {
      listener.close();
    }
  });

  it("UAC: takes the 2xx's Record-Route reversed, sends ACK and BYE to the first Route, and follows a re-INVITE 2xx's new Contact", async () => {
    const nearProxy = await peer();
    const farProxy = await peer();
    const callee = await peer();
    const calling = engine.createUAC(`sip:callee@127.0.0.1:${nearProxy.port}`, { localSdp: SDP });
    const invite = await next(nearProxy, 'INVITE ');
    // In a response the proxy nearest the callee comes first.
    nearProxy.send(reply(invite, '200 OK', [`Record-Route: <sip:127.0.0.1:${farProxy.port};lr>, <sip:127.0.0.1:${nearProxy.port};lr>`,
      `Contact: <sip:callee@127.0.0.1:${callee.port}>`], SDP));
    const dialog = await calling;
    const route = `<sip:127.0.0.1:${nearProxy.port};lr>, <sip:127.0.0.1:${farProxy.port};lr>`;
    const ack = await next(nearProxy, 'ACK ');
    expect(requestLine(ack)).to.equal(`ACK sip:callee@127.0.0.1:${callee.port} SIP/2.0`);
    expect(values(ack, 'Route').join(', ')).to.equal(route);
    expect(header(ack, 'CSeq')).to.deep.equal(['1 ACK']);

    const modified = dialog.modify('hold');
    const reinvite = await next(nearProxy, 'INVITE ');
    expect(values(reinvite, 'Route').join(', ')).to.equal(route);
    nearProxy.send(reply(reinvite, '200 OK', [`Contact: <sip:callee@127.0.0.1:${farProxy.port}>`], SDP));
    await modified;
    const ack2 = await next(nearProxy, 'ACK ');
    expect(requestLine(ack2), "the 2xx's Contact is the new remote target").to.equal(`ACK sip:callee@127.0.0.1:${farProxy.port} SIP/2.0`);
    expect(header(ack2, 'CSeq')).to.deep.equal(['2 ACK']);
    void dialog.destroy();
    const bye = await next(nearProxy, 'BYE ');
    expect(requestLine(bye)).to.equal(`BYE sip:callee@127.0.0.1:${farProxy.port} SIP/2.0`);
    expect(values(bye, 'Route').join(', ')).to.equal(route);
    expect(callee.all.filter((m) => !m.startsWith('SIP/')), 'requests that skipped the route set').to.deep.equal([]);
  });
});
