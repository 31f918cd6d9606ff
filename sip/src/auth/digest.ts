// HTTP Digest for SIP (RFC 3261 §22, RFC 2617 MD5 with qop=auth): answering a PBX's challenge,
// and challenging browsers. Nonces are stateless: timestamp + HMAC, so a restart or a second
// process cannot be fooled by a forged nonce, and no nonce table can be flooded.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthParams, SipRequest, SipResponse } from '../message.js';
import { unquote } from '../message.js';

export interface Credentials {
  username: string;
  password: string;
}

const md5 = (s: string): string => createHash('md5').update(s, 'binary').digest('hex');

export function ha1(username: string, realm: string, password: string): string {
  return md5(`${username}:${realm}:${password}`);
}

function digestResponse(p: { ha1: string; method: string; uri: string; nonce: string; qop?: string; nc?: string; cnonce?: string }): string {
  const ha2 = md5(`${p.method}:${p.uri}`);
  return p.qop ? md5(`${p.ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : md5(`${p.ha1}:${p.nonce}:${ha2}`);
}

/**
 * Adds Authorization/Proxy-Authorization answering a 401/407 to `req` (whose CSeq the caller has
 * already advanced). Returns false when the challenge is not one we can answer.
 */
export function signRequest(req: SipRequest, challengeRes: SipResponse, creds: Credentials): boolean {
  const proxy = challengeRes.status === 407;
  const challenges = (proxy ? challengeRes.headers['proxy-authenticate'] : challengeRes.headers['www-authenticate']) ?? [];
  const ch = challenges.find((c) => c.scheme?.toLowerCase() === 'digest');
  if (!ch) return false;
  const algorithm = unquote(ch.algorithm);
  if (algorithm && algorithm.toUpperCase() !== 'MD5') return false;
  const realm = unquote(ch.realm) ?? '';
  const nonce = unquote(ch.nonce) ?? '';
  const qops = (unquote(ch.qop) ?? '').split(',').map((q) => q.trim());
  const qop = qops.includes('auth') ? 'auth' : undefined;
  const nc = '00000001';
  const cnonce = randomBytes(8).toString('hex');
  const response = digestResponse({ ha1: ha1(creds.username, realm, creds.password), method: req.method, uri: req.uri, nonce, ...(qop ? { qop, nc, cnonce } : {}) });
  const auth: AuthParams = {
    scheme: 'Digest',
    username: `"${creds.username}"`,
    realm: `"${realm}"`,
    nonce: `"${nonce}"`,
    uri: `"${req.uri}"`,
    response: `"${response}"`,
    algorithm: 'MD5',
    ...(qop ? { qop, nc, cnonce: `"${cnonce}"` } : {}),
    ...(ch.opaque ? { opaque: ch.opaque } : {}),
  };
  req.headers[proxy ? 'proxy-authorization' : 'authorization'] = [auth];
  return true;
}

export interface NonceIssuer {
  issue(): string;
  /** 'ok', 'stale' (genuine but expired) or 'invalid'. */
  check(nonce: string): 'ok' | 'stale' | 'invalid';
}

export function createNonceIssuer(secret: Buffer = randomBytes(32), lifetimeMs = 300_000, now: () => number = Date.now): NonceIssuer {
  const sign = (ts: string): string => createHmac('sha256', secret).update(ts).digest('hex').slice(0, 32);
  return {
    issue() {
      const ts = now().toString(16);
      return `${ts}.${sign(ts)}`;
    },
    check(nonce) {
      const [ts, mac] = nonce.split('.');
      if (!ts || !mac || !/^[0-9a-f]+$/.test(ts)) return 'invalid';
      const expected = Buffer.from(sign(ts));
      const given = Buffer.from(mac);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
      return now() - parseInt(ts, 16) > lifetimeMs ? 'stale' : 'ok';
    },
  };
}

export function challengeHeader(realm: string, nonce: string, stale = false): AuthParams {
  return { scheme: 'Digest', realm: `"${realm}"`, nonce: `"${nonce}"`, algorithm: 'MD5', qop: '"auth"', ...(stale ? { stale: 'true' } : {}) };
}

/** The Authorization header offered for `realm`, if any. */
export function findAuthorization(req: SipRequest, realm: string): AuthParams | undefined {
  const all = [...(req.headers.authorization ?? []), ...(req.headers['proxy-authorization'] ?? [])];
  return all.find((a) => a.scheme?.toLowerCase() === 'digest' && unquote(a.realm) === realm);
}

/** Checks a digest answer against a known HA1. */
export function verifyAuthorization(req: SipRequest, auth: AuthParams, knownHa1: string): boolean {
  const nonce = unquote(auth.nonce);
  const uri = unquote(auth.uri);
  const response = unquote(auth.response);
  if (!nonce || !uri || !response) return false;
  const qop = unquote(auth.qop);
  const expected = digestResponse({
    ha1: knownHa1,
    method: req.method,
    uri,
    nonce,
    ...(qop ? { qop, nc: auth.nc ?? '', cnonce: unquote(auth.cnonce) ?? '' } : {}),
  });
  const a = Buffer.from(expected);
  const b = Buffer.from(response.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}
