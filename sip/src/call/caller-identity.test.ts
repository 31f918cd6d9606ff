import { expect } from 'chai';
import { parseMessage, stringify, type SipRequest } from '../message.js';
import { MAX_HEADER_BYTES, MAX_PASSED_HEADERS, callerName, cleanHeaderValue, passedHeaders } from './caller-identity.js';

function invite(fromLine: string, extra: string[]): SipRequest {
  const text = [
    'INVITE sip:201@sb.test SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1',
    fromLine,
    'To: <sip:201@sb.test>',
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const r = parseMessage(text);
  if (!r.ok || r.message.kind !== 'request') throw new Error(r.ok ? 'not a request' : r.reason);
  return r.message;
}

describe("what a PBX call shows on the agent's softphone (caller identity, X- headers)", () => {
  it('passes X- headers and the configured others, not the rest', () => {
    const req = invite('From: <sip:+39021@pbx>;tag=1', ['X-Queue: sales', 'x-switchboard-interaction: int-42', 'Organization: ACME', 'Subject: hi']);
    expect(passedHeaders(req, ['X-*'])).to.deep.equal({ 'x-queue': 'sales', 'x-switchboard-interaction': 'int-42' });
    expect(passedHeaders(req, ['Subject', 'x-queue'])).to.deep.equal({ subject: 'hi', 'x-queue': 'sales' });
    expect(passedHeaders(req, [])).to.deep.equal({});
  });

  it('turns a lone CR or LF inside a value into a space, so the other leg gets no extra header line', () => {
    // The parser refuses such a request with 400; the values are cleaned all the same, whatever
    // path they took.
    const req = invite('From: <sip:+39021@pbx>;tag=1', ['X-Folded: part1\r\n  part2']);
    Object.assign(req.headers, { 'x-evil': 'a\rInjected: yes', 'x-lf': 'b\nVia: SIP/2.0/UDP evil' });
    const passed = passedHeaders(req, ['X-*']);
    expect(passed).to.deep.equal({ 'x-folded': 'part1 part2', 'x-evil': 'a Injected: yes', 'x-lf': 'b Via: SIP/2.0/UDP evil' });
    const out = stringify({ ...req, headers: { ...req.headers, ...passed } });
    expect(out.split('\r\n').filter((l) => /^(Injected|Via):/i.test(l))).to.deep.equal(['Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1']);
    expect(out).not.to.match(/[^\r]\n|\r[^\n]/);
  });

  it('drops over-long values and control characters, and passes a bounded number of headers', () => {
    expect(cleanHeaderValue('x'.repeat(MAX_HEADER_BYTES))).to.have.length(MAX_HEADER_BYTES);
    expect(cleanHeaderValue('x'.repeat(MAX_HEADER_BYTES + 1))).to.equal(undefined);
    expect(cleanHeaderValue('a\x00b\x1bc\x7f')).to.equal('abc');
    expect(cleanHeaderValue(' \r\n ')).to.equal(undefined);
    const many = Array.from({ length: MAX_PASSED_HEADERS + 5 }, (_, i) => `X-H${i}: ${i}`);
    expect(Object.keys(passedHeaders(invite('From: <sip:1@pbx>;tag=1', many), ['X-*']))).to.have.length(MAX_PASSED_HEADERS);
  });

  it('reads the caller name as UTF-8 text, unquoted, one line, bounded', () => {
    const utf8 = Buffer.from('"Zoë \\"Z\\" Doe" <sip:+39021@pbx>;tag=1', 'utf8').toString('binary');
    expect(callerName(invite(`From: ${utf8}`, []))).to.equal('Zoë "Z" Doe');
    expect(callerName(invite('From: Ada Lovelace <sip:1@pbx>;tag=1', []))).to.equal('Ada Lovelace');
    expect(callerName(invite('From: <sip:1@pbx>;tag=1', []))).to.equal(undefined);
    expect(callerName(invite(`From: "${'n'.repeat(200)}" <sip:1@pbx>;tag=1`, []))).to.have.length(64);
    const controls = invite('From: "a" <sip:1@pbx>;tag=1', []);
    controls.headers.from = { ...controls.headers.from, name: '"a\rb\x00c"' };
    expect(callerName(controls)).to.equal('a b c');
  });
});
