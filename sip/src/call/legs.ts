// What a call leg is dialled with, shared by CallSession's bridge and originate.
import type { Credentials } from '../auth/digest.js';
import type { MediaProfile } from '../media/relay.js';
import type { Flow } from '../transport/types.js';
import type { UacOptions } from '../uac.js';

/** Where a leg goes and what its side speaks. */
export interface LegTarget {
  uri: string;
  target?: Flow;
  from?: string;
  fromName?: string;
  to?: string;
  headers?: Record<string, unknown>;
  auth?: Credentials;
  profile: MediaProfile;
}

export function uacOptions(t: LegTarget, ids: { callId: string; localTag: string }): Omit<UacOptions, 'localSdp'> {
  return {
    callId: ids.callId,
    fromTag: ids.localTag,
    ...(t.target ? { target: t.target } : {}),
    ...(t.from ? { from: t.from } : {}),
    ...(t.fromName ? { fromName: t.fromName } : {}),
    ...(t.to ? { to: t.to } : {}),
    ...(t.headers ? { headers: t.headers } : {}),
    ...(t.auth ? { auth: t.auth } : {}),
  };
}

/** What rtpengine is offered for a B leg not called yet: G.711 and RFC 4733 events. */
export function placeholderSdp(host: string): string {
  return [
    'v=0', `o=switchboard ${Date.now()} 1 IN IP4 ${host}`, 's=switchboard', `c=IN IP4 ${host}`, 't=0 0',
    'm=audio 9 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=sendrecv', '',
  ].join('\r\n');
}
