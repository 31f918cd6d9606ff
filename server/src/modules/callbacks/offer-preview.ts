import type { DataSource } from 'typeorm';
import type { CallbacksKit } from './types.js';
import type { Interaction } from '../interactions/index.js';
import type { JoinedColumns } from '../routing/index.js';
import { EntityRows } from '../../kernel/db/rows.js';
import { Callback } from './callback.entity.js';
import { callTime, websiteZone } from './confirmation.js';

/**
 * What a callback's offer shows the agent before accepting: the number, when the customer asked
 * to be called (and the attempts so far, with the last cause), and their message. `inHand`: the
 * callbacks a step (the due job) is routing, by interaction, as it has just read and written them.
 */
export function callbackPreview(s: Pick<CallbacksKit, 'db' | 'config'>, inHand: ReadonlyMap<string, Callback> = new Map()): (i: Interaction, joined?: Record<string, unknown>) => Promise<string[]> {
  return async (i, joined) => {
    const cb = inHand.get(i.id) ?? (joined ? callbackRows(s.db).from(joined) : await s.db.getRepository(Callback).findOneBy({ interactionId: i.id }));
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
