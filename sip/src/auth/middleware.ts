// Authentication step of the request middleware. Requests from the PBX trunk are trusted by
// source address; everything else that could cost money or reach the PBX (INVITE, REGISTER,
// MESSAGE, SUBSCRIBE, REFER) must answer a digest challenge. Checking happens before any routing,
// so an unauthenticated request never produces traffic towards the PBX.
import type { Middleware } from '../engine.js';
import type { AuthIdentity } from '../request.js';
import { challengeHeader, createNonceIssuer, findAuthorization, ha1, verifyAuthorization, type NonceIssuer } from './digest.js';
import { unquote } from '../message.js';

export interface AuthLookup {
  /** The secret: a password, or the HA1 (MD5 of user:realm:password) when only that is stored. */
  secret: { password: string } | { ha1: string };
  identity: AuthIdentity;
}

/**
 * Implemented by the server: agent credentials, or a short-lived per-call token issued to the
 * widget (username = token id, password = token secret).
 */
export interface Authenticator {
  lookup(username: string, realm: string, method: string): Promise<AuthLookup | undefined>;
}

export interface AuthMiddlewareOptions {
  realm: string;
  authenticator: Authenticator;
  /** Source addresses whose requests are trusted without a challenge (the PBX). */
  trustedAddresses?: string[];
  /** Methods that need authentication (default INVITE, REGISTER, MESSAGE, SUBSCRIBE, REFER). */
  methods?: string[];
  nonces?: NonceIssuer;
}

export function digestAuth(opts: AuthMiddlewareOptions): Middleware {
  const nonces = opts.nonces ?? createNonceIssuer();
  const methods = new Set(opts.methods ?? ['INVITE', 'REGISTER', 'MESSAGE', 'SUBSCRIBE', 'REFER']);
  const trusted = new Set(opts.trustedAddresses ?? []);
  return async (req, res, next) => {
    if (trusted.has(req.source.address) && req.source.protocol !== 'ws') {
      req.locals.auth = { kind: 'trusted-peer', peer: req.source.address };
      return next();
    }
    if (!methods.has(req.method)) return next();
    const challenge = (stale = false): void => {
      const header = challengeHeader(opts.realm, nonces.issue(), stale);
      if (req.method === 'REGISTER') res.send(401, 'Unauthorized', { headers: { 'www-authenticate': [header] } });
      else res.send(407, 'Proxy Authentication Required', { headers: { 'proxy-authenticate': [header] } });
    };
    const auth = findAuthorization(req.msg, opts.realm);
    if (!auth) return challenge();
    const nonceState = nonces.check(unquote(auth.nonce) ?? '');
    if (nonceState !== 'ok') return challenge(nonceState === 'stale');
    const username = unquote(auth.username) ?? '';
    const found = username ? await opts.authenticator.lookup(username, opts.realm, req.method) : undefined;
    if (!found) {
      res.send(403, 'Forbidden');
      return;
    }
    const known = 'ha1' in found.secret ? found.secret.ha1 : ha1(username, opts.realm, found.secret.password);
    if (!verifyAuthorization(req.msg, auth, known)) {
      res.send(403, 'Forbidden');
      return;
    }
    req.locals.auth = found.identity;
    next();
  };
}
