import { In } from 'typeorm';
import type { CallbacksKit } from './types.js';
import type { Interaction } from '../interactions/index.js';
import { Callback, type CallbackState } from './callback.entity.js';
import { sendUnreached } from './confirmation.js';

/** What deciding a callback's next time and ending it need of its row: its slot, and for the mail its token, language and number. */
export type CallbackTerms = Pick<Callback, 'id' | 'asap' | 'slotEnd' | 'tokenHash' | 'language' | 'phoneNumber'>;

/** The callback's terms, read once for the decision and the mail alike; null when it is gone. */
export function termsOf(s: Pick<CallbacksKit, 'db'>, callbackId: string): Promise<CallbackTerms | null> {
  return s.db.getRepository(Callback).findOne({ select: { id: true, asap: true, slotEnd: true, tokenHash: true, language: true, phoneNumber: true }, where: { id: callbackId } });
}

/**
 * The end of the callback's slot when, due at `at`, it would be called after it; null for "as soon
 * as possible" or a time inside the slot. The customer asked to be called within it, so whatever
 * the system makes due again (a retry's backoff, a deferral to the next opening, a requeue after
 * the agent's phone failed) must still fall inside it. Its end is not in it: due then, it would be
 * offered and dialled after it.
 */
export function slotEndPassed(cb: Pick<Callback, 'asap' | 'slotEnd'>, at: Date): Date | null {
  if (cb.asap || !cb.slotEnd) return null;
  return at.getTime() >= cb.slotEnd.getTime() ? cb.slotEnd : null;
}

export interface UnreachedEnd {
  attempts: number;
  cause: string | null;
  /** The slot's end that left no time for another attempt; null when the attempts were used up. */
  slotEnd: Date | null;
  /** More for the journey entry (why it could not be made due again). */
  data?: Record<string, unknown>;
}

/**
 * The callback is unreached: journey `callback.unreached` (why: 'attempts-used' or 'slot-ended'),
 * the log line, and the customer's unreached mail. The one way every path ends a callback so, so the
 * widget, the supervisor's outcomes and the customer hear the same. `from`: only from these states
 * (a cancel made meanwhile stands); false when it was in none of them.
 */
export async function endUnreached(s: CallbacksKit, cb: CallbackTerms, interaction: Pick<Interaction, 'id' | 'contactId' | 'websiteId'> | null, end: UnreachedEnd, from?: CallbackState[]): Promise<boolean> {
  const r = await s.db.getRepository(Callback).update({ id: cb.id, ...(from ? { state: In(from) } : {}) }, { state: 'unreached', lastCause: end.cause });
  if (from && !r.affected) return false;
  const reason = end.slotEnd ? 'slot-ended' : 'attempts-used';
  if (interaction) await s.routing.journey(interaction, 'callback.unreached', null, { attempts: end.attempts, cause: end.cause, reason, ...(end.slotEnd ? { slotEnd: end.slotEnd.toISOString() } : {}), ...end.data });
  s.log.info({ callbackId: cb.id, attempts: end.attempts, cause: end.cause, reason }, 'callback unreached');
  // The callback stands unreached even when the mail cannot be stored.
  if (interaction) await sendUnreached(s, cb, interaction, end.attempts).catch((err: unknown) => s.log.error({ err, callbackId: cb.id }, 'could not queue the callback unreached mail'));
  return true;
}

/** Closes the interaction unless it is closed already (the end of its call may have done it). */
export async function closeQuietly(s: Pick<CallbacksKit, 'routing'>, interactionId: string): Promise<void> {
  await s.routing.close(interactionId, { by: 'system' }).catch((err: { status?: number }) => {
    if (err.status !== 409 && err.status !== 404) throw err;
  });
}

/** Closes a callback's interaction however it stands: held (never queued), or queued. */
export async function closeHeldOrQueued(s: Pick<CallbacksKit, 'routing'>, interactionId: string): Promise<void> {
  if (!(await s.routing.closeHeld(interactionId, 'system'))) await closeQuietly(s, interactionId);
}
