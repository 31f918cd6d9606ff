import { expect } from 'chai';
import { challengeHeader, createNonceIssuer, ha1, signRequest, verifyAuthorization } from './digest.js';
import type { SipRequest, SipResponse } from '../message.js';

function request(method = 'INVITE', uri = 'sip:7000@pbx.test'): SipRequest {
  return {
    kind: 'request', method, uri, version: '2.0', body: '',
    headers: { via: [], from: { uri: 'sip:a@x', params: { tag: '1' } }, to: { uri, params: {} }, 'call-id': 'c', cseq: { seq: 2, method } },
  };
}

describe('digest authentication', () => {
  it('matches the RFC 2617 §3.5 worked example', () => {
    const req = request('GET', '/dir/index.html');
    const ok = verifyAuthorization(req, {
      scheme: 'Digest', username: '"Mufasa"', realm: '"testrealm@host.com"', nonce: '"dcd98b7102dd2f0e8b11d0f600bfb0c093"',
      uri: '"/dir/index.html"', qop: 'auth', nc: '00000001', cnonce: '"0a4f113b"', response: '"6629fae49393a05397450978507c4ef1"',
    }, ha1('Mufasa', 'testrealm@host.com', 'Circle Of Life'));
    expect(ok).to.equal(true);
  });

  it('answers a 407 challenge so that the challenger can verify it, and not with a wrong password', () => {
    const nonces = createNonceIssuer();
    const challenge: SipResponse = {
      kind: 'response', status: 407, reason: 'Proxy Authentication Required', version: '2.0', body: '',
      headers: { ...request().headers, 'proxy-authenticate': [challengeHeader('sb.test', nonces.issue())] },
    };
    const req = request();
    expect(signRequest(req, challenge, { username: 'alice', password: 'pw' })).to.equal(true);
    const auth = req.headers['proxy-authorization']![0]!;
    expect(verifyAuthorization(req, auth, ha1('alice', 'sb.test', 'pw'))).to.equal(true);
    expect(verifyAuthorization(req, auth, ha1('alice', 'sb.test', 'other'))).to.equal(false);
    expect(verifyAuthorization({ ...req, method: 'BYE' }, auth, ha1('alice', 'sb.test', 'pw'))).to.equal(false);
  });

  it('issues nonces that cannot be forged and expire', () => {
    const secret = Buffer.from('k');
    let at = Date.now();
    const nonces = createNonceIssuer(secret, 60_000, () => at);
    const n = nonces.issue();
    expect(nonces.check(n)).to.equal('ok');
    expect(nonces.check(n.replace(/.$/, (c) => (c === '0' ? '1' : '0')))).to.equal('invalid');
    expect(nonces.check('garbage')).to.equal('invalid');
    expect(createNonceIssuer(Buffer.from('other'), 60_000).check(n), 'another secret').to.equal('invalid');
    // The genuine nonce is recognised until its lifetime is over, then stale; by any issuer with the secret.
    at += 60_000;
    expect(nonces.check(n)).to.equal('ok');
    at += 1;
    expect(nonces.check(n)).to.equal('stale');
    expect(createNonceIssuer(secret, 0, () => at).check(n), 'another issuer with the secret').to.equal('stale');
    expect(createNonceIssuer(secret, 60_001, () => at).check(n), 'another issuer with the secret').to.equal('ok');
  });

});
