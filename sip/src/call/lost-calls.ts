// Calls that lost what carried them: the process that held them (ended here from their live-call
// record) or their media session (rtpengine restarted). See docs/architecture/sip.md, "Calls that
// outlive their server or their media".
import type { Logger } from 'pino';
import type { SipEngineApi } from '../engine-api.js';
import type { MediaRelay } from '../media/relay.js';
import { END_CAUSE_HEADER, type CallSession } from './call-session.js';
import { describeCause, type CallEvents, type CallRecorder, type EndCause } from './recorder.js';
import { LOST_CAUSES, type LiveCall, type LiveCallStore } from './live-calls.js';

export interface LostCallDeps {
  engine: SipEngineApi;
  media: MediaRelay;
  recorder: CallRecorder;
  events: CallEvents;
  log: Logger;
  liveCalls?: LiveCallStore;
}

/**
 * Ends a call whose process died: CANCEL to an agent's phone still ringing, BYE to every leg
 * still reachable (a browser's WebSocket died with that process), the media session deleted, the
 * records closed and `ended` published, as if the call had ended here. Resolves once all that is done, without the BYEs' responses.
 */
export async function endLostCall(d: LostCallDeps, call: LiveCall, cause: EndCause): Promise<void> {
  const { engine, media, recorder, liveCalls } = d;
  const log = d.log.child({ callSessionId: call.callSessionId });
  // The BYEs go out now and their responses are not waited for, as in a call's own teardown. Many
  // peers answer where the call came from, the dead process's address, rather than to our Via
  // (sipp does), and a vanished one answers nothing: either would hold the media, the records
  // and the sweep of the dead process's other calls for 32 s (Timer F).
  // An agent's phone still ringing is CANCELled with the dead process's own Via (pending-invite.ts).
  // An engine that cannot (drachtio-server) was said so once at start, by the calls context.
  for (const invite of call.ringing ?? []) engine.cancelPending?.(invite);
  for (const l of call.legs) {
    if (!l.dialog || l.dialog.flow.protocol === 'ws' || !engine.endDialog) continue;
    engine.endDialog(l.dialog, { headers: { [END_CAUSE_HEADER]: cause } }).catch((err: unknown) => log.warn({ err }, 'BYE to a lost call failed'));
  }
  if (call.media) await media.delete(call.media.callId).catch((err: unknown) => log.warn({ err }, 'rtpengine delete of a lost call failed'));
  const at = new Date();
  try {
    await recorder.callLost?.(call.callSessionId, at, cause);
  } catch (err) {
    log.error({ err }, 'could not close a lost call');
  }
  await liveCalls?.lostEnded(call).catch((err: unknown) => log.warn({ err }, 'live call store failed'));
  log.info({ cause }, 'lost call ended');
  d.events.emit('ended', { callSessionId: call.callSessionId, ...(call.interactionId ? { interactionId: call.interactionId } : {}), ...(call.placedBy ? { placedBy: call.placedBy } : {}), at, cause, description: describeCause(cause) });
}

/**
 * A BYE for a dialog the engine does not hold: if it belonged to a call of a process that died,
 * the call is ended now (if nobody has yet) and the BYE is answered 200, not 481: for the peer
 * the call did end normally.
 */
export function answerLostDialogs(d: LostCallDeps, store: LiveCallStore): void {
  d.engine.onLostDialog = async (req) => {
    const lost = await store.lostDialog(req.msg.headers['call-id'], req.msg.headers.to.params.tag ?? '');
    if (!lost) return false;
    if (lost.kind === 'claimed') void endLostCall(d, lost.call, LOST_CAUSES.crashed);
    return true;
  };
}

/**
 * Every `every` ms, ends on both legs the answered calls whose media session the relay no longer
 * has. Returns what stops it.
 */
export function watchMedia(media: MediaRelay, sessions: () => Iterable<CallSession>, every: number, log: Logger): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const check = async (): Promise<void> => {
    const bySession = new Map<string, CallSession>();
    for (const s of sessions()) {
      const id = s.mediaSession;
      if (id) bySession.set(id, s);
    }
    if (!bySession.size) return;
    const lost = (await media.lostSessions?.([...bySession.keys()]).catch(() => [])) ?? [];
    for (const id of lost) {
      const s = bySession.get(id);
      // Ended meanwhile (its own delete made rtpengine forget it): nothing was lost.
      if (!s || s.state !== 'answered') continue;
      log.warn({ callSessionId: s.id }, 'rtpengine lost the media session: ending the call');
      void s.teardown(LOST_CAUSES.media);
    }
  };
  const tick = (): void => {
    timer = setTimeout(() => void check().catch((err: unknown) => log.warn({ err }, 'media check failed')).finally(() => {
      if (!stopped) tick();
    }), every);
    timer.unref();
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
