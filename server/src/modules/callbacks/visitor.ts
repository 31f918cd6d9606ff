import { In } from 'typeorm';
import type { Website } from '../../kernel/config/schema.js';
import type { CallbacksKit } from './types.js';
import { conflict, notFound } from '../../kernel/http/errors.js';
import type { CallbackStatus } from '@switchboard/protocol';
import { Callback } from './callback.entity.js';
import { CallbackDueJob } from './due-job.js';
import { reference } from '../intake/index.js';

/** What the visitor who asked may see of their callback: never the agent, never the number dialled. */
export type { CallbackStatus } from '@switchboard/protocol';

/**
 * The callback of this website with this id. The id (128 random bits) is the visitor's proof of
 * asking: it is only ever given to the page that made the request. Another website's reads as unknown.
 */
async function find(s: CallbacksKit, website: Website, id: string): Promise<Callback> {
  const rows: { id: string }[] = await s.db.query('SELECT c.id FROM callbacks c JOIN interactions i ON i.id = c.interactionId WHERE c.id = ? AND i.websiteId = ?', [id, website.id]);
  const cb = rows.length ? await s.db.getRepository(Callback).findOneBy({ id: In([rows[0]!.id]) }) : null;
  if (!cb) throw notFound('Callback');
  return cb;
}

export async function callbackStatus(s: CallbacksKit, website: Website, id: string): Promise<CallbackStatus> {
  return presentStatus(await find(s, website, id));
}

export function presentStatus(cb: Callback): CallbackStatus {
  return {
    reference: reference('CB', cb.id),
    state: cb.state,
    asap: cb.asap,
    dueAt: cb.dueAt.toISOString(),
    slot: cb.slotStart && cb.slotEnd ? { start: cb.slotStart.toISOString(), end: cb.slotEnd.toISOString() } : null,
    attempts: cb.attempts,
  };
}

export async function cancelCallback(s: CallbacksKit, website: Website, id: string): Promise<CallbackStatus> {
  return presentStatus(await withdraw(s, await find(s, website, id), 'widget'));
}

/**
 * The visitor withdraws the request (from the widget, or the mail's cancel link): its job is
 * removed and its interaction closed (held) or abandoned (waiting in the queue or offered). Once
 * dialling has begun it is too late (409). Withdrawing a cancelled callback again changes nothing.
 */
export async function withdraw(s: CallbacksKit, cb: Callback, via: 'widget' | 'mail'): Promise<Callback> {
  if (cb.state === 'cancelled') return cb;
  const r = await s.db.getRepository(Callback).update({ id: cb.id, state: In(['scheduled', 'queued']) }, { state: 'cancelled' });
  if (!r.affected) {
    const now = await s.db.getRepository(Callback).findOneByOrFail({ id: cb.id });
    if (now.state === 'cancelled') return now;
    throw conflict(`This callback cannot be cancelled any more: it is ${now.state}.`);
  }
  const fresh = await s.db.getRepository(Callback).findOneByOrFail({ id: cb.id });
  if (fresh.jobId) await new CallbackDueJob(s).unschedule(fresh.jobId);
  if (!(await s.routing.closeHeld(fresh.interactionId, 'customer'))) {
    await s.routing.cancel(fresh.interactionId).catch((err: { status?: number }) => {
      if (err.status !== 409 && err.status !== 404) throw err;
    });
  }
  const i = await s.routing.get(fresh.interactionId);
  if (i) await s.routing.journey(i, 'callback.cancelled', null, { by: 'customer', via });
  s.log.info({ callbackId: cb.id, via }, 'callback cancelled by the customer');
  return fresh;
}
