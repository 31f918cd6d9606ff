// In-dialog requests carried from one leg to the other once a call is up: re-INVITE (hold,
// resume, codec change) through rtpengine, INFO (SIP INFO DTMF), REFER (blind transfer is done
// by the PBX: we pass the REFER on, except one towards a browser and an agent's transfer of a
// callback to another agent, which call control carries out)
// and the NOTIFYs that report its progress.
import type { Logger } from 'pino';
import type { SipDialog } from '../engine-api.js';
import { SipStatusError } from '../dialog/dialog.js';
import type { IncomingRequest, ServerResponse } from '../request.js';
import type { MediaProfile, MediaRelay } from '../media/relay.js';
import { isHold, sdpProblem } from '../sdp.js';

/** The call whose legs are relayed: its media session id, its logger, and where hold is reported. */
export interface RelayedCall {
  readonly id: string;
  readonly log: Logger;
  setHeld(held: boolean, by: 'a' | 'b'): void;
  /** The far end reported a transfer it was handed done: the call now goes on without us. */
  handedOver(): void;
}

export interface RelayLeg {
  dialog: SipDialog;
  profile: MediaProfile;
  side: 'a' | 'b';
  /** The tag rtpengine knows this leg's media by (set when the session was offered). */
  mediaTag: string;
}

const PASSED_HEADERS = ['refer-to', 'referred-by', 'event', 'subscription-state', 'content-type', 'replaces'];

function pick(req: IncomingRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const h of PASSED_HEADERS) if (req.msg.headers[h] !== undefined) out[h] = req.msg.headers[h];
  return out;
}

/** The relays of a call; a transfer puts a new leg in place of the one it replaces. */
export interface InDialogRelays {
  leg(side: 'a' | 'b'): RelayLeg;
  replace(leg: RelayLeg): void;
}

/**
 * Takes a REFER instead of passing it on (true when it did, false to pass it on): see
 * CallSession's transfers.
 */
export type ReferHandler = (from: RelayLeg, to: RelayLeg, relays: InDialogRelays, req: IncomingRequest, res: ServerResponse) => boolean | Promise<boolean>;

export function wireInDialogRelays(session: RelayedCall, a: RelayLeg, b: RelayLeg, media: MediaRelay, onRefer?: ReferHandler): InDialogRelays {
  const legs = { a, b };
  const other = (side: 'a' | 'b'): RelayLeg => legs[side === 'a' ? 'b' : 'a'];
  const unlink = new Map<RelayLeg, () => void>();
  // The far leg is looked up per request: after a transfer the relays reach the leg now in place.
  const link = (from: RelayLeg): void => {
    const modify = (req: IncomingRequest, res: ServerResponse): void => void relayModify(session, media, from, other(from.side), req, res);
    const refer = (req: IncomingRequest, res: ServerResponse): void => {
      void Promise.resolve(onRefer?.(from, other(from.side), relays, req, res) ?? false)
        .catch((err: unknown) => {
          session.log.warn({ err }, 'REFER handling failed; passed on');
          return false;
        })
        .then((taken) => (taken ? undefined : relayRequest(session, other(from.side), req, res)));
    };
    const plain = (req: IncomingRequest, res: ServerResponse): void => {
      if (transferDone(req)) session.handedOver();
      void relayRequest(session, other(from.side), req, res);
    };
    const events = ['info', 'notify', 'message'] as const;
    from.dialog.on('modify', modify);
    from.dialog.on('refer', refer);
    for (const event of events) from.dialog.on(event, plain);
    unlink.set(from, () => {
      from.dialog.off('modify', modify);
      from.dialog.off('refer', refer);
      for (const event of events) from.dialog.off(event, plain);
      unlink.delete(from);
    });
  };
  const relays: InDialogRelays = {
    leg: (side) => legs[side],
    replace(leg) {
      unlink.get(legs[leg.side])?.();
      legs[leg.side] = leg;
      link(leg);
    },
  };
  link(a);
  link(b);
  return relays;
}

/**
 * A NOTIFY of a REFER we passed on saying the new call is up (RFC 3515 §2.4.5, a 2xx sipfrag):
 * whoever took the transfer hangs up on the transferor next, and that ends the call as
 * transferred, not as hung up.
 */
function transferDone(req: IncomingRequest): boolean {
  return req.method === 'NOTIFY' && /^refer\b/i.test(req.get('event') ?? '') && /^SIP\/2\.0 2\d\d/.test(req.body ?? '');
}

async function relayRequest(session: RelayedCall, to: RelayLeg, req: IncomingRequest, res: ServerResponse): Promise<void> {
  try {
    const r = await to.dialog.request(req.method, { headers: pick(req), body: req.body });
    res.send(r.status, r.reason, r.body ? { body: r.body, headers: { 'content-type': r.headers['content-type'] } } : {});
    if (req.method === 'REFER' && r.status < 300) session.log.info({ referTo: req.get('refer-to') }, 'transfer handed to the far end');
  } catch (err) {
    session.log.warn({ err, method: req.method }, 'in-dialog relay failed');
    res.send(500);
  }
}

async function relayModify(
  session: RelayedCall, media: MediaRelay, from: RelayLeg, to: RelayLeg, req: IncomingRequest, res: ServerResponse,
): Promise<void> {
  const sdp = req.body;
  if (!sdp) {
    // Session refresh without SDP: answer with what this side already has.
    res.send(200, 'OK', { body: from.dialog.localSdp, headers: { contact: from.dialog.contact } });
    return;
  }
  const problem = sdpProblem(sdp);
  if (problem) {
    res.send(488, 'Not Acceptable Here', { headers: { warning: `399 switchboard "${problem}"` } });
    return;
  }
  try {
    const fromTag = from.mediaTag;
    const toTag = to.mediaTag;
    const offer = await media.offer({ sessionId: session.id, fromTag, sdp, profile: to.profile });
    const answerFar = await to.dialog.modify(offer);
    const answer = await media.answer({ sessionId: session.id, fromTag, toTag, sdp: answerFar, profile: from.profile });
    res.send(200, 'OK', { body: answer, headers: { contact: from.dialog.contact, 'content-type': 'application/sdp' } });
    session.setHeld(isHold(sdp), from.side);
  } catch (err) {
    if (err instanceof SipStatusError) {
      res.send(err.status, err.reason);
      return;
    }
    session.log.warn({ err }, 're-INVITE relay failed');
    res.send(500);
  }
}
