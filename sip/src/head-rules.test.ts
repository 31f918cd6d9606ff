// The head checks the parser library does not make (head-rules.ts), on message heads as received.
import { expect } from 'chai';
import { headProblem, portOutOfRange } from './head-rules.js';

const HEAD = ['OPTIONS sip:a@example.com SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1', 'From: <sip:b@example.com>;tag=1',
  'To: <sip:a@example.com>', 'Call-ID: h1', 'CSeq: 1 OPTIONS', 'Content-Length: 0'].join('\r\n');

describe('head rules', () => {
  it('accepts a plain head, tabs, folded values and control characters escaped by a quoted-pair (RFC 4475 3.1.1.3)', () => {
    expect(headProblem(HEAD)).to.equal(undefined);
    expect(headProblem(`${HEAD}\r\nX-A: a\tb`)).to.equal(undefined);
    expect(headProblem(`${HEAD}\r\nX-A: a\r\n \tb`)).to.equal(undefined);
    expect(headProblem(`${HEAD}\r\nTo: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F" <sip:a@example.com>`)).to.equal(undefined);
  });

  it('names what it refuses', () => {
    expect(headProblem(`${HEAD}\r\nl: 0`)).to.equal('duplicated Content-Length');
    expect(headProblem(HEAD.replace('\r\nVia', '\r\n\tVia'))).to.equal('folded first header line');
    expect(headProblem(`${HEAD}\r\nX-\x7fA: 1`)).to.equal('control character in a header name');
    expect(headProblem(`${HEAD}\r\nX-A: "a\x07"`), 'unescaped inside quotes').to.equal('control character in a header value');
    expect(headProblem(`${HEAD}\r\nX-A: a\r\n b\x00`), 'in a continuation line').to.equal('control character in a header value');
    expect(headProblem(`${HEAD}\r\nX-A: a\rX-B: b`)).to.equal('control character in a header value');
    expect(headProblem(`${HEAD}\r\nX-A: a\nX-B: b`)).to.equal('control character in a header value');
  });

  it('finds ports above 65535 in SIP URIs only where the port is', () => {
    expect(portOutOfRange('sip:a@example.com:65535')).to.equal(false);
    expect(portOutOfRange('sip:a@example.com:65536;transport=tcp')).to.equal(true);
    expect(portOutOfRange('sips:[2001:db8::1]:700000')).to.equal(true);
    expect(portOutOfRange('sip:example.com;lr')).to.equal(false);
    expect(portOutOfRange('sip:user:99999@example.com'), 'a password is not a port').to.equal(false);
    expect(portOutOfRange('tel:+3902123456789')).to.equal(false);
  });
});
