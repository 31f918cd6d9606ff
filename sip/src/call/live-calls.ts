// Calls that must not outlive the process that holds them. An answered call (a customer-first
// call from the customer's answer) is written to a store outside the process (the server's is
// Redis) with what ending it takes: each leg's dialog snapshot and the rtpengine session. When the
// process dies without ending it, another process (or this one, restarted) ends it from there: BYE
// to the legs it can reach, media deleted, call records closed, `ended` published (with who placed
// it, when no interaction is on record: they are the ones to tell).
import type { DialogSnapshot } from '../dialog/dialog.js';
import type { EndCause, PlacedBy } from './recorder.js';
import type { PendingInvite } from '../pending-invite.js';

export interface LiveCallLeg {
  legId: string;
  /** Absent where the engine keeps its dialogs itself (drachtio-server). */
  dialog?: DialogSnapshot;
}

export interface LiveCall {
  callSessionId: string;
  interactionId?: string;
  /** Who placed it, while no interaction is on record for it (see PlacedBy). */
  placedBy?: PlacedBy;
  /** rtpengine's call-id and the from-tag the session was offered with. */
  media?: { callId: string; fromTag: string };
  legs: LiveCallLeg[];
  /**
   * Our INVITEs not answered yet (an agent's phone ringing), by leg: written before each is sent,
   * gone with the next write after its final response. The process ending the call CANCELs them.
   */
  ringing?: (PendingInvite & { legId: string })[];
  answeredAt: string;
}

/** What a lost dialog turned out to be: a call to end now (claimed by the caller), or one already ended. */
export type LostDialog = { kind: 'claimed'; call: LiveCall } | { kind: 'ended' };

export interface LiveCallStore {
  /** The call is up (again after each in-dialog request, whose CSeq it carries). */
  save(call: LiveCall): Promise<void>;
  /** The call ended here, normally. */
  drop(callSessionId: string): Promise<void>;
  /**
   * A BYE came for a dialog this process does not hold: was it a call of a process that died?
   * A call returned as `claimed` is no longer anyone else's to end.
   */
  lostDialog(sipCallId: string, localTag: string): Promise<LostDialog | undefined>;
  /** A lost call was ended: a late BYE for one of its dialogs is answered 200 for a while. */
  lostEnded(call: LiveCall): Promise<void>;
}

/** Why a call ended without either party hanging up, for what the widget and records say. */
export const LOST_CAUSES = {
  /** The process holding it died (kill -9, crash, power): another one ended it. */
  crashed: 'server-lost',
  /** The process holding it was stopped (SIGTERM). */
  shutdown: 'server-shutdown',
  /** rtpengine lost the session (restarted): no media flows any more. */
  media: 'media-lost',
} as const satisfies Record<string, EndCause>;
