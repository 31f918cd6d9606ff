import { expect } from 'chai';
import sipLib from 'sip';
import { makeResponse, parseMessage, stringify, toHeaderValue, type SipRequest } from './message.js';
import { StreamFramer } from './transport/framer.js';

const INVITE = [
  'INVITE sip:7000@pbx.example.com SIP/2.0',
  'Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKabc;rport',
  'f: "Zoë" <sip:visitor@example.com>;tag=ft1',
  't: <sip:7000@pbx.example.com>',
  'i: call-1@example.com',
  'CSeq: 2 INVITE',
  'X-Interaction-Id: int-1',
  'Content-Length: 4',
  '',
  'abcd',
].join('\r\n');

describe('SIP message parsing and serialising', () => {
  it('parses compact headers into structures and keeps unknown headers as text', () => {
    const r = parseMessage(Buffer.from(INVITE, 'binary'));
    if (!r.ok) throw new Error(r.reason);
    const m = r.message as SipRequest;
    expect(m.kind).to.equal('request');
    expect(m.method).to.equal('INVITE');
    expect(m.headers.cseq).to.deep.equal({ seq: 2, method: 'INVITE' });
    expect(m.headers.from.params.tag).to.equal('ft1');
    expect(m.headers['call-id']).to.equal('call-1@example.com');
    expect(m.headers['x-interaction-id']).to.equal('int-1');
    expect(m.body).to.equal('abcd');
  });

  it('refuses a non-numeric CSeq but still offers a request to answer 400 to', () => {
    const r = parseMessage(INVITE.replace('CSeq: 2 INVITE', 'CSeq: two INVITE'));
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.reason).to.match(/CSeq/);
    expect(r.respondable?.headers['call-id']).to.equal('call-1@example.com');
    const res = makeResponse(r.respondable!, 400, 'Bad Request');
    expect(stringify(res)).to.match(/^SIP\/2\.0 400 Bad Request\r\n/);
  });

  it('offers no 400 for a broken response (responses are never answered)', () => {
    const r = parseMessage('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: x\r\n\r\n');
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.respondable).to.equal(undefined);
  });

  it('round-trips through stringify with a correct byte Content-Length', () => {
    const r = parseMessage(INVITE);
    if (!r.ok) throw new Error(r.reason);
    const again = parseMessage(stringify(r.message));
    if (!again.ok) throw new Error(again.reason);
    expect(again.message.headers.from.params.tag).to.equal('ft1');
    expect(again.message.body).to.equal('abcd');
    expect(stringify(r.message)).to.contain('X-Interaction-Id: int-1');
  });

  it('serialises exactly as the sip library does (our stringify is a faster copy of it)', () => {
    const texts = [
      INVITE,
      [
        'SIP/2.0 407 Proxy Authentication Required',
        'Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKa;received=10.0.0.9;rport=5071',
        'Via: SIP/2.0/TCP pbx.example.com;branch=z9hG4bKb',
        'Record-Route: <sip:10.0.0.2;lr;ftag=x>, <sip:p2.example.com:5080;transport=tcp;lr>',
        'From: <sip:a@example.com>;tag=1',
        'To: "B" <sip:b@example.com>;tag=2',
        'Call-ID: c1',
        'CSeq: 7 INVITE',
        'Contact: <sip:b@10.0.0.3:5060>;expires=60, <sip:b2@10.0.0.4>',
        'Proxy-Authenticate: Digest realm="pbx",nonce="n1",algorithm=MD5,qop="auth"',
        'Refer-To: <sip:c@example.com>',
        'x-weird-name: 1',
        'Content-Length: 0',
        '', '',
      ].join('\r\n'),
      'REGISTER sip:pbx SIP/2.0\r\nVia: SIP/2.0/WSS h.invalid;branch=z9hG4bKc\r\nFrom: <sip:1@pbx>;tag=3\r\nTo: <sip:1@pbx>\r\nCall-ID: r\r\nCSeq: 1 REGISTER\r\nContact: *\r\nExpires: 0\r\n\r\n',
    ];
    for (const text of texts) {
      const r = parseMessage(text);
      if (!r.ok) throw new Error(r.reason);
      const headers: Record<string, unknown> = { ...r.message.headers };
      delete headers['content-length'];
      const m = { ...r.message, headers } as typeof r.message;
      const lib = m.kind === 'request'
        ? { method: m.method, uri: m.uri, version: m.version, headers: { ...headers }, content: m.body }
        : { status: m.status, reason: m.reason, version: m.version, headers: { ...headers }, content: m.body };
      expect(stringify(m)).to.equal(sipLib.stringify(lib));
    }
  });

  it('cuts the body at Content-Length and refuses a body shorter than it declares', () => {
    const longer = parseMessage(INVITE + 'trailing');
    const shorter = parseMessage(INVITE.replace('Content-Length: 4', 'Content-Length: 2'));
    if (!longer.ok || !shorter.ok) throw new Error('parse');
    expect(longer.message.body).to.equal('abcd');
    expect(shorter.message.body).to.equal('ab');
    expect(parseMessage(INVITE.slice(0, -2)).ok).to.equal(false);
  });

  it('puts user text into headers as UTF-8 bytes without line breaks', () => {
    const v = toHeaderValue('Zoë\r\nInjected: yes');
    expect(Buffer.from(v, 'binary').toString('utf8')).to.equal('Zoë Injected: yes');
  });

  it('adds a To tag to final responses only', () => {
    const r = parseMessage(INVITE);
    if (!r.ok || r.message.kind !== 'request') throw new Error('parse');
    expect(makeResponse(r.message, 100, 'Trying', { toTag: 'x' }).headers.to.params.tag).to.equal(undefined);
    expect(makeResponse(r.message, 180, 'Ringing', { toTag: 'x' }).headers.to.params.tag).to.equal('x');
  });
});

describe('stream framing (TCP)', () => {
  it('cuts messages by Content-Length across chunks and skips CRLF keep-alives', () => {
    const f = new StreamFramer(65536);
    const two = `\r\n\r\n${INVITE}${INVITE}`;
    const frames = [...f.push(Buffer.from(two.slice(0, 50), 'binary')), ...f.push(Buffer.from(two.slice(50), 'binary'))];
    expect(frames.map((x) => x.fatal)).to.deep.equal([false, false]);
    expect(frames.map((x) => x.data.toString('binary'))).to.deep.equal([INVITE, INVITE]);
  });

  it('flags a non-numeric Content-Length and an oversized head as fatal', () => {
    expect(new StreamFramer(65536).push(Buffer.from(INVITE.replace('Content-Length: 4', 'Content-Length: -4')))[0]?.fatal).to.equal(true);
    expect(new StreamFramer(100).push(Buffer.from('X'.repeat(200)))[0]?.fatal).to.equal(true);
  });
});
