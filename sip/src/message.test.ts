import { expect } from 'chai';
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
