import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { HttpError } from './errors.js';

export interface ServerAddress {
  publicUrl: string;
  /** Behind a reverse proxy the browser's host and scheme arrive as X-Forwarded-Host/-Proto. */
  trustProxy: boolean;
}

const first = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h)?.split(',')[0]?.trim() || undefined;

/**
 * The origins pages of Switchboard itself (the desktop, the widget's frame) have: the public URL,
 * and the address the browser used to reach this server. The Host header cannot be set by page
 * script, and a page on a host name of its own never carries the agent's cookie.
 */
export function serverOrigins(req: IncomingMessage, server: ServerAddress): string[] {
  const list = [new URL(server.publicUrl).origin];
  const host = (server.trustProxy ? first(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host;
  const encrypted = (req.socket as TLSSocket | undefined)?.encrypted === true;
  const proto = (server.trustProxy ? first(req.headers['x-forwarded-proto']) : undefined) ?? (encrypted ? 'https' : 'http');
  if (host) list.push(`${proto}://${host}`);
  return list;
}

/**
 * Why a request authenticated by the session cookie does not come from a page of Switchboard, or
 * undefined when it does. Browsers set Origin on every request that can change something and on
 * every WebSocket upgrade, and Sec-Fetch-Site on all of them; page script can set neither. A page
 * on another port of the same host is "same-site" and gets the SameSite=Strict cookie, so only
 * "same-origin" counts. A client that sends neither header is no browser: it is refused too, as it
 * can use a bearer token instead (requireOrigin false: requests without a cookie, such as a
 * login, are refused only when a browser says they come from elsewhere).
 */
export function foreignReason(headers: IncomingHttpHeaders, own: string[], requireOrigin = true): string | undefined {
  const site = first(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin') return `the browser marks it as coming from another site (Sec-Fetch-Site: ${site.slice(0, 20)})`;
  const origin = headers.origin;
  if (origin !== undefined) return own.includes(origin) ? undefined : `it comes from ${JSON.stringify(origin.slice(0, 100))}, not from ${own[0]}`;
  if (site === undefined && requireOrigin) return 'it names no Origin';
  return undefined;
}

export function isBearer(headers: IncomingHttpHeaders): boolean {
  return headers.authorization?.startsWith('Bearer ') === true;
}

export function crossSiteRefusal(reason: string): HttpError {
  return new HttpError(
    403,
    'cross_site_request',
    `Refused: this request uses the session cookie but ${reason}. Use the desktop at its public URL, or send a bearer token.`,
  );
}

/** Content types an HTML form or a script without CORS can send: never a JSON route's. */
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

export function isFormType(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type !== undefined && FORM_TYPES.includes(type);
}
