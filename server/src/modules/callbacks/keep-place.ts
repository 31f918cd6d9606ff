// Keep my place (virtual hold): a visitor waiting in a chat or call queue of the widget leaves a
// number instead of waiting on. The callback is due at once and enters the callback queue with
// the waiting interaction's priority and the time it started waiting, so it is served when their
// turn comes — ahead of everyone who started waiting later — not at the end of the queue.
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Context } from 'koa';
import type { Website } from '../../kernel/config/schema.js';
import { HttpError, forbidden } from '../../kernel/http/errors.js';
import { bearer, hashToken } from '../intake/index.js';
import { Interaction } from '../interactions/index.js';
import { InteractionEvent } from '../journey/index.js';
import { Callback } from './callback.entity.js';
import { CallbackDueJob } from './due-job.js';
import { requestCallback, type CallbackRequested } from './service.js';
import type { CallbacksDeps, CallbacksKit } from './types.js';
import { callWaiting, endSwitchedCall } from './call-place.js';

export const keepPlaceBody = z
  .object({
    /** The chat or call the visitor is waiting in; its visitor token comes as the bearer. */
    interactionId: z.string().regex(/^[0-9a-f]{32}$/, 'must be the id of the chat or call waiting'),
    /** The website's callback form (phone, …) as field name → value. */
    fields: z.record(z.string(), z.unknown()),
    language: z.enum(['en', 'it', 'fr']).optional(),
  })
  .strict();
export type KeepPlaceBody = z.infer<typeof keepPlaceBody>;

export interface PlaceKept extends CallbackRequested {
  keptPlace: boolean;
  /** Its place in the callback queue when it entered (1 = next), or null when it could not keep it. */
  position: number | null;
}

/** The waiting interaction whose token came with the request; unknown and wrong token read alike. */
async function waiting(s: CallbacksKit, ctx: Context, website: Website, id: string): Promise<Interaction> {
  const token = bearer(ctx);
  if (!token) throw new HttpError(401, 'token_required', "Send the waiting chat's or call's token (Authorization: Bearer <token>).");
  const i = await s.db.getRepository(Interaction).findOneBy({ id });
  const expected = i?.visitorTokenHash ? Buffer.from(i.visitorTokenHash, 'hex') : Buffer.alloc(32);
  if (!i || !timingSafeEqual(expected, Buffer.from(hashToken(token), 'hex')) || i.websiteId !== website.id) throw forbidden('This token is not valid for this chat or call.');
  if (!['chat', 'phone', 'video'].includes(i.channel)) throw new HttpError(409, 'not_waiting', 'Only a chat or a call waiting in a queue can switch to a callback.');
  const isCall = i.channel !== 'chat';
  if (!i.queuedAt || (isCall ? !callWaiting(i) : i.state !== 'queued')) throw new HttpError(409, 'not_waiting', `This ${i.channel === 'chat' ? 'chat' : 'call'} is not waiting in a queue any more (it is ${i.state === 'assigned' ? 'with an agent' : i.state}).`);
  return i;
}

export async function keepPlace(s: CallbacksKit, mailer: CallbacksDeps['mailer'], ctx: Context, website: Website, body: KeepPlaceBody): Promise<PlaceKept> {
  const from = await waiting(s, ctx, website, body.interactionId);
  const queued = await s.db.getRepository(InteractionEvent).findOne({ where: { interactionId: from.id, type: 'queued' }, order: { seq: 'DESC' } });
  const queue = s.config().queues.find((q) => q.id === from.queueId);
  const priority = typeof queued?.data.priority === 'number' ? queued.data.priority : (queue?.priority ?? 5);
  const since = from.queuedAt!;
  let position: number | null = null;
  const r = await requestCallback(s, mailer, website, { fields: body.fields, slot: 'asap', ...(body.language ? { language: body.language } : {}) }, s.clock.now(), async (cb, held) => {
    const repo = s.db.getRepository(Callback);
    // Queued before it can be offered, as when its job runs: an agent may accept at once.
    await repo.update({ id: cb.id }, { state: 'queued' });
    const entered = await s.routing.enqueueHeld(held.id, { priority, since }).catch(async (err: unknown) => {
      await repo.update({ id: cb.id }, { state: 'scheduled' });
      throw err;
    });
    if (entered.outcome === 'queued') {
      position = entered.position;
      cb.state = 'queued';
      await s.routing.journey(held, 'callback.kept-place', null, { from: from.id, since: since.toISOString(), priority, position });
    } else {
      // Not routable right now (over the licensed limit, the callback queue's hours): the job
      // routes it when it can, at the end of the queue like any callback.
      await repo.update({ id: cb.id }, { state: 'scheduled' });
      await new CallbackDueJob(s).scheduleFor(cb);
    }
  });
  if (!r.existing) {
    await s.routing.journey(from, 'callback.kept-place', null, { callbackId: r.callbackId, reference: r.reference });
    // The wait is over: the call is hung up (its end closes it); the chat ends for the visitor and the agents.
    if (from.channel !== 'chat') await endSwitchedCall(s, from.id);
    else await s.routing.cancel(from.id).catch((err: { status?: number }) => {
      if (err.status !== 409 && err.status !== 404) throw err;
    });
  }
  s.log.info({ interactionId: from.id, callbackId: r.callbackId, position }, 'visitor switched to a callback keeping their place');
  return { ...r, keptPlace: position !== null, position };
}
