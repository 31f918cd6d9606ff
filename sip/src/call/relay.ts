// In-dialog requests carried from one leg to the other once a call is up: re-INVITE (hold,
// resume, codec change) through rtpengine, INFO (SIP INFO DTMF), REFER (blind transfer is done
// by the PBX: we pass the REFER on) and the NOTIFYs that report its progress.
import type { Dialog } from '../dialog/dialog.js';
import { SipStatusError } from '../dialog/dialog.js';
import type { IncomingRequest, ServerResponse } from '../request.js';
import type { MediaProfile, MediaRelay } from '../media/relay.js';
import { isHold, sdpProblem } from '../sdp.js';
import type { CallSession } from './call-session.js';

export interface RelayLeg {
  dialog: Dialog;
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

export function wireInDialogRelays(session: CallSession, a: RelayLeg, b: RelayLeg, media: MediaRelay): void {
  const link = (from: RelayLeg, to: RelayLeg): void => {
    from.dialog.on('modify', (req, res) => void relayModify(session, media, from, to, req, res));
    for (const event of ['info', 'refer', 'notify', 'message'] as const) {
      from.dialog.on(event, (req, res) => void relayRequest(session, to, req, res));
    }
  };
  link(a, b);
  link(b, a);
}

async function relayRequest(session: CallSession, to: RelayLeg, req: IncomingRequest, res: ServerResponse): Promise<void> {
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
  session: CallSession, media: MediaRelay, from: RelayLeg, to: RelayLeg, req: IncomingRequest, res: ServerResponse,
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
