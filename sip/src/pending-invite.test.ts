// The CANCEL another process sends for an INVITE whose sender died (RFC 3261 §9.1): built from the
// record the sender made before sending it (JSON, as the live-call store keeps it), sent by a
// second engine, and compared with the INVITE the phone got, both parsed by our parser.
import { expect } from 'chai';
import { pino } from 'pino';
import { SipEngine } from './engine.js';
import { parseMessage, type SipRequest } from './message.js';
import type { PendingInvite } from './pending-invite.js';
import { SipStatusError } from './dialog/dialog.js';
import { freePort } from './test/support/services.js';
import { udpClient, type Client } from './test/support/raw.js';

async function engineOn(port: number): Promise<SipEngine> {
  const e = new SipEngine({ listen: { host: '127.0.0.1', udpPort: port, tcpPort: port, wsPort: await freePort() }, logger: pino({ level: 'silent' }) });
  await e.listen();
  return e;
}

function request(text: string): SipRequest {
  const p = parseMessage(text);
  if (!p.ok || p.message.kind !== 'request') throw new Error(`not a request: ${text}`);
  return p.message;
}

/** The next request of `method` the phone got (responses and other requests skipped). */
async function nextRequest(phone: Client, method: string): Promise<{ text: string; req: SipRequest }> {
  for (;;) {
    const text = await phone.next();
    if (text.startsWith(`${method} `)) return { text, req: request(text) };
  }
}

describe('CANCEL for an INVITE another process sent (§9.1)', () => {
  let sender: SipEngine | undefined;
  let survivor: SipEngine | undefined;
  let phone: Client | undefined;
  afterEach(async () => {
    phone?.close();
    await sender?.close();
    await survivor?.close();
    [sender, survivor, phone] = [undefined, undefined, undefined];
  });

  it('carries the INVITE\'s Request-URI, Call-ID, From, To, CSeq number, Route and its one Via, branch included', async () => {
    const senderPort = await freePort();
    sender = await engineOn(senderPort);
    survivor = await engineOn(await freePort());
    phone = await udpClient(senderPort);
    const records: string[] = [];
    const call = sender.createUAC(`sip:4711@127.0.0.1:${phone.port}`, {
      target: { protocol: 'udp', address: '127.0.0.1', port: phone.port },
      from: 'sip:switchboard@example.test', fromName: 'Callback: Zoë "quoted"', to: 'sip:4711@pbx.example.test',
      headers: { route: [{ uri: 'sip:edge.example.test;lr', params: {} }, { uri: 'sip:core.example.test:5070;lr;transport=udp', params: {} }] },
      localSdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
      // Kept as the live-call store keeps it: as JSON.
      onInvite: (p) => void records.push(JSON.stringify(p)),
    });
    const { text: inviteText, req: invite } = await nextRequest(phone, 'INVITE');
    expect(records, 'one record, made before the INVITE left').to.have.length(1);
    phone.send(ringing(inviteText));

    survivor.cancelPending(JSON.parse(records[0]!) as PendingInvite);
    const { req: cancel } = await nextRequest(phone, 'CANCEL');

    expect(cancel.uri).to.equal(invite.uri);
    expect(cancel.headers['call-id']).to.equal(invite.headers['call-id']);
    expect(cancel.headers.from).to.deep.equal(invite.headers.from);
    expect(cancel.headers.from.params.tag).to.be.a('string').and.not.equal('');
    expect(cancel.headers.to).to.deep.equal(invite.headers.to);
    expect(cancel.headers.to.params.tag).to.equal(undefined);
    expect(cancel.headers.cseq).to.deep.equal({ seq: invite.headers.cseq.seq, method: 'CANCEL' });
    expect(cancel.headers.route).to.have.length(2).and.deep.equal(invite.headers.route);
    expect(cancel.headers.via, 'exactly one Via').to.have.length(1);
    expect(cancel.headers.via[0], 'the INVITE\'s top Via: sent-by and branch').to.deep.equal(invite.headers.via[0]);
    expect(cancel.headers.via[0]!.port).to.equal(senderPort);
    expect(cancel.headers['max-forwards']).to.equal('70');
    expect(cancel.headers['content-length']).to.equal(0);
    expect(cancel.body).to.equal('');

    // The phone ends the INVITE as a phone does on that CANCEL: the sender (alive here) gets the 487.
    phone.send(final(inviteText, 487, 'Request Terminated'));
    const err = await call.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(SipStatusError).and.include({ status: 487 });
  });

  it('a challenged INVITE is recorded again, with its new CSeq and branch', async () => {
    const senderPort = await freePort();
    sender = await engineOn(senderPort);
    phone = await udpClient(senderPort);
    const records: PendingInvite[] = [];
    const call = sender.createUAC(`sip:4711@127.0.0.1:${phone.port}`, {
      target: { protocol: 'udp', address: '127.0.0.1', port: phone.port },
      auth: { username: 'switchboard', password: 'secret' },
      localSdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
      onInvite: (p) => void records.push(p),
    });
    const first = await nextRequest(phone, 'INVITE');
    phone.send(final(first.text, 407, 'Proxy Authentication Required', 'Proxy-Authenticate: Digest realm="pbx", nonce="abc"\r\n'));
    const second = await nextRequest(phone, 'INVITE');
    expect(records.map((r) => [r.cseq, r.via.params.branch])).to.deep.equal([
      [first.req.headers.cseq.seq, first.req.headers.via[0]!.params.branch],
      [second.req.headers.cseq.seq, second.req.headers.via[0]!.params.branch],
    ]);
    expect(second.req.headers.cseq.seq).to.be.greaterThan(first.req.headers.cseq.seq);
    phone.send(final(second.text, 486, 'Busy Here'));
    const err = await call.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(SipStatusError).and.include({ status: 486 });
  });
});

/** A response to `invite` (its Via, From, To with a tag, Call-ID, CSeq). */
function final(invite: string, status: number, reason: string, extra = ''): string {
  const h = (n: string) => new RegExp(`^${n}:.*$`, 'im').exec(invite)![0];
  return `SIP/2.0 ${status} ${reason}\r\n${h('Via')}\r\n${h('From')}\r\n${h('To')};tag=phone1\r\n${h('Call-ID')}\r\n${h('CSeq')}\r\n${extra}Content-Length: 0\r\n\r\n`;
}
function ringing(invite: string): string {
  return final(invite, 180, 'Ringing');
}
