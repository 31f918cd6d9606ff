// What a call leg is dialled with, shared by CallSession's bridge and originate.
import type { Credentials } from '../auth/digest.js';
import type { MediaProfile } from '../media/relay.js';
import type { Flow } from '../transport/types.js';
import type { UacOptions } from '../engine-api.js';
import { stripControls } from '../message.js';

/** Where a leg goes and what its side speaks. */
export interface LegTarget {
  uri: string;
  target?: Flow;
  from?: string;
  /** Display name, as text. */
  fromName?: string;
  to?: string;
  /** Extra headers; string values as written on the wire (UTF-8 bytes as a binary string, see `toHeaderValue`). */
  headers?: Record<string, unknown>;
  auth?: Credentials;
  profile: MediaProfile;
  /** The leg goes to the trunk (recorded with the call). */
  trunk?: boolean;
}

/**
 * What the engine dials a leg with. Every leg call control places goes through here, so this is
 * where what it writes into headers — context values a visitor typed, a PBX's headers passed on,
 * display names — loses every control character (a NUL in a name made a PBX refuse the call),
 * and a header whose name is not a token is left out.
 */
export function uacOptions(t: LegTarget, ids: { callId: string; localTag: string }): Omit<UacOptions, 'localSdp'> {
  const fromName = t.fromName === undefined ? undefined : stripControls(t.fromName).replace(/[\u0080-\u009f]/g, '').trim();
  return {
    callId: ids.callId,
    fromTag: ids.localTag,
    ...(t.target ? { target: t.target } : {}),
    ...(t.from ? { from: t.from } : {}),
    ...(fromName ? { fromName } : {}),
    ...(t.to ? { to: t.to } : {}),
    ...(t.headers ? { headers: headerSafe(t.headers) } : {}),
    ...(t.auth ? { auth: t.auth } : {}),
  };
}

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/** Header values as written on the wire (binary strings), without control characters. */
function headerSafe(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) continue;
    out[name] = typeof value === 'string' ? stripControls(value) : value;
  }
  return out;
}

/** What rtpengine is offered for a B leg not called yet: G.711 and RFC 4733 events. */
export function placeholderSdp(host: string): string {
  return [
    'v=0', `o=switchboard ${Date.now()} 1 IN IP4 ${host}`, 's=switchboard', `c=IN IP4 ${host}`, 't=0 0',
    'm=audio 9 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=sendrecv', '',
  ].join('\r\n');
}

/** The user part of a REFER's Refer-To when it names a number or user (no other scheme, no headers). */
export function referredUser(referTo: { uri?: string } | undefined): string | undefined {
  const m = /^sips?:([^@;?>\s]+)@[^?]+$/.exec(referTo?.uri ?? '');
  const user = m?.[1] ? decodeURIComponent(m[1]) : undefined;
  return user && /^[+0-9A-Za-z*#._-]{1,64}$/.test(user) ? user : undefined;
}

/** The same SIP URI with another user part. */
export function withUser(uri: string, user: string): string {
  return uri.replace(/^(sips?:)(?:[^@]*@)?/, `$1${user}@`);
}
