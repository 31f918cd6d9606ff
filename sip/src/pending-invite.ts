// An INVITE of ours not answered yet (an agent's phone ringing), kept outside the process with what
// a CANCEL for it takes, so that another process can cancel it when the sender dies. RFC 3261 §9.1:
// the CANCEL carries the INVITE's Request-URI, Call-ID, From (with tag), To (without tag), CSeq
// number, Route headers, and exactly one Via equal to the INVITE's top Via — same sent-by, same
// branch: the phone matches it to its INVITE server transaction by them (§17.2.3). Its 200 and
// the INVITE's 487 go to that Via, the sender's address, which nobody answers: the phone stops
// ringing all the same.
import type { NameAddr, SipRequest, Via } from './message.js';
import type { Flow, TransportProtocol } from './transport/types.js';

export interface PendingInvite {
  uri: string;
  callId: string;
  from: NameAddr;
  to: NameAddr;
  cseq: number;
  /** The INVITE's only Via (ours). */
  via: Via;
  route?: NameAddr[];
  /** Where the INVITE went: a new connection for TCP, the sender's died with it. */
  flow: { protocol: TransportProtocol; address: string; port: number };
}

/** What a CANCEL for `invite` (as sent, our Via on it) needs. */
export function pendingInvite(invite: SipRequest, flow: Flow): PendingInvite {
  const h = invite.headers;
  return {
    uri: invite.uri,
    callId: h['call-id'],
    from: h.from,
    to: h.to,
    cseq: h.cseq.seq,
    via: h.via[0]!,
    ...(h.route?.length ? { route: h.route } : {}),
    flow: { protocol: flow.protocol, address: flow.address, port: flow.port },
  };
}

/** The CANCEL for a pending INVITE, sent as it is: no transaction of its own, nothing waited for. */
export function cancelFor(p: PendingInvite): SipRequest {
  return {
    kind: 'request',
    method: 'CANCEL',
    uri: p.uri,
    version: '2.0',
    headers: {
      via: [p.via],
      'max-forwards': '70',
      from: p.from,
      to: p.to,
      'call-id': p.callId,
      cseq: { seq: p.cseq, method: 'CANCEL' },
      ...(p.route?.length ? { route: p.route } : {}),
    },
    body: '',
  };
}
