import type { DataSource } from 'typeorm';
import type { CallbacksKit } from './types.js';
import type { Interaction } from '../interactions/index.js';
import type { JoinedColumns, OfferDetails } from '../routing/index.js';
import { EntityRows } from '../../kernel/db/rows.js';
import { Callback } from './callback.entity.js';
import { websiteZone } from './confirmation.js';

/**
 * What a callback's offer shows the agent before accepting: the number, when the customer asked
 * to be called, the attempts so far with the last cause, and their message. Fields, not sentences:
 * the desktop words them in the agent's language. `inHand`: the callbacks a step (the due job) is
 * routing, by interaction, as it has just read and written them.
 */
export function callbackPreview(s: Pick<CallbacksKit, 'db' | 'config'>, inHand: ReadonlyMap<string, Callback> = new Map()): (i: Interaction, joined?: Record<string, unknown>) => Promise<OfferDetails> {
  return async (i, joined) => {
    const cb = inHand.get(i.id) ?? (joined ? callbackRows(s.db).from(joined) : await s.db.getRepository(Callback).findOneBy({ interactionId: i.id }));
    if (!cb) return { preview: [] };
    const config = s.config();
    const website = config.websites.find((w) => w.id === i.websiteId);
    // Offered while dialling: a customer-first call, the customer on the line in this attempt.
    const waiting = cb.state === 'dialling';
    return {
      preview: cb.message ? [cb.message] : [],
      callback: {
        phoneNumber: cb.phoneNumber,
        slot: cb.slotStart && cb.slotEnd ? { start: cb.slotStart.toISOString(), end: cb.slotEnd.toISOString() } : null,
        dueAt: cb.dueAt.toISOString(),
        timeZone: website ? websiteZone(config, website) : 'UTC',
        attempt: waiting ? cb.attempts : cb.attempts + 1,
        maxAttempts: config.queues.find((q) => q.id === i.queueId)?.callback?.attempts ?? null,
        lastCause: cb.lastCause,
        waiting,
      },
    };
  };
}

const rows = new WeakMap<DataSource, EntityRows<Callback>>();

function callbackRows(db: DataSource): EntityRows<Callback> {
  let r = rows.get(db);
  if (!r) rows.set(db, (r = new EntityRows(db, Callback, 'c')));
  return r;
}

/** The preview's callback, read with its interaction when routing reads the interaction for an offer (`joined`). */
export function callbackPreviewRead(s: Pick<CallbacksKit, 'db'>): JoinedColumns {
  return { joins: 'LEFT JOIN callbacks c ON c.interactionId = i.id', columns: callbackRows(s.db).select, params: () => [] };
}
