import type { CallbacksKit } from './types.js';
import type { Interaction } from '../interactions/index.js';
import { Callback } from './callback.entity.js';
import { callTime, websiteZone } from './confirmation.js';

/**
 * What a callback's offer shows the agent before accepting: the number, when the customer asked
 * to be called (and the attempts so far, with the last cause), and their message. `inHand`: the
 * callbacks a step (the due job) is routing, by interaction, as it has just read and written them.
 */
export function callbackPreview(s: Pick<CallbacksKit, 'db' | 'config'>, inHand: ReadonlyMap<string, Callback> = new Map()): (i: Interaction) => Promise<string[]> {
  return async (i) => {
    const cb = inHand.get(i.id) ?? (await s.db.getRepository(Callback).findOneBy({ interactionId: i.id }));
    if (!cb) return [];
    const config = s.config();
    const website = config.websites.find((w) => w.id === i.websiteId);
    const max = config.queues.find((q) => q.id === i.queueId)?.callback?.attempts;
    const when = callTime(cb, website ? websiteZone(config, website) : 'UTC', 'en');
    // Offered while dialling: a customer-first call, the customer on the line in this attempt.
    const live = cb.state === 'dialling';
    const made = live ? cb.attempts - 1 : cb.attempts;
    const tries = made ? ` · attempt ${made + 1}${max ? ` of ${max}` : ''}${cb.lastCause ? ` (last: ${cb.lastCause})` : ''}` : '';
    return [live ? `${cb.phoneNumber} · on the line, waiting` : cb.phoneNumber, `${when}${tries}`, ...(cb.message ? [cb.message] : [])];
  };
}
