import type { CallbacksKit } from './types.js';
import { InteractionEvent } from '../journey/index.js';
import { Callback } from './callback.entity.js';
import { CallbackDueJob, nextJobId } from './due-job.js';
import { closeHeldOrQueued, closeQuietly, endUnreached, slotEndPassed, termsOf, type CallbackTerms } from './unreached.js';

/**
 * After a failed attempt: the attempt's interaction ends (the agent is free), and unless the
 * queue's attempts are used up, a new held interaction is due after the backoff
 * (retryMinutes, doubled each attempt; outside hours the due job waits for the next opening).
 * After the last one the callback is unreached, and a customer mailed its confirmation is mailed so.
 * A callback for a slot is never retried after the slot's end: the customer asked to be called
 * within it, so a backoff that passes it leaves the callback unreached, for a new one to be asked.
 * `terms`: the callback's row as the caller has it; read here otherwise, once.
 */
export async function retryAfterFailure(s: CallbacksKit, cb: Pick<Callback, 'id' | 'interactionId' | 'jobId'>, attempt: number, cause: string | null, terms?: CallbackTerms | null): Promise<void> {
  const repo = s.db.getRepository(Callback);
  const old = await s.routing.get(cb.interactionId);
  await closeQuietly(s, cb.interactionId);
  const queue = s.routing.queue(old?.queueId ?? '');
  const settings = queue?.callback ?? { attempts: 1, retryMinutes: 10 };
  const at = new Date(s.clock.now().getTime() + settings.retryMinutes * 60_000 * 2 ** (attempt - 1));
  const row = terms ?? (await termsOf(s, cb.id));
  // Gone meanwhile (its interaction deleted): nothing to retry, nobody to tell.
  if (!row) return;
  const slotEnd = old && attempt < settings.attempts ? slotEndPassed(row, at) : null;
  if (!old || attempt >= settings.attempts || slotEnd) {
    await endUnreached(s, row, old, { attempts: attempt, cause, slotEnd });
    return;
  }
  const next = await s.routing.createHeld({ channel: 'callback', queueId: old.queueId!, websiteId: old.websiteId, contactId: old.contactId, subject: old.subject, routingVariables: old.routingVariables });
  const jobId = nextJobId(cb);
  await repo.update({ id: cb.id }, { state: 'scheduled', interactionId: next.id, dueAt: at, jobId, lastCause: cause });
  await s.routing.journey(next, 'callback.retry', null, { attempt: attempt + 1, previous: old.id, cause, dueAt: at.toISOString(), jobId, jobScope: s.jobs.scope });
  await new CallbackDueJob(s).schedule({ callbackId: cb.id }, { id: jobId, at });
}

/**
 * An attempt's cause as recorded (64 characters at most): "486 busy", or for a media server that
 * refused or did not answer, "media-failed: " and its reason ("Ran out of ports"), so the record
 * says what to fix.
 */
export function attemptCause(end: { cause: string; status?: number; detail?: string }): string {
  const text = end.cause === 'media-failed' && end.detail ? `media-failed: ${end.detail}` : `${end.status ?? ''} ${end.cause}`.trim();
  return text.slice(0, 64);
}

/**
 * The agent's phone did not take the call (leg A never answered): the customer was not called, so
 * the callback goes back to its queue at once, at the place it had — its priority and the time it
 * first entered, on a new interaction (the call's end closed the old one) — and that agent is
 * passed over for the queue's cool-down. It counts as an attempt: with none left it ends as after
 * any failure, so a phone that never answers cannot keep a callback going round. Nor does it go
 * back, or wait for the queue to open, past its slot's end: it ends unreached then, as a retry would.
 */
export async function requeueAfterAgentFailure(s: CallbacksKit, cb: Pick<Callback, 'id' | 'interactionId' | 'jobId'>, attempt: number, cause: string | null, agentId: string): Promise<void> {
  const old = await s.routing.get(cb.interactionId);
  const queue = s.routing.queue(old?.queueId ?? '');
  const row = await termsOf(s, cb.id);
  if (!old?.queuedAt || !queue || !row || attempt >= queue.callback.attempts) return retryAfterFailure(s, cb, attempt, cause, row);
  const now = s.clock.now();
  // The phone rang past the slot's end: back in its queue, the customer would be called after it.
  const ended = slotEndPassed(row, now);
  if (ended) {
    await closeQuietly(s, old.id);
    await endUnreached(s, row, old, { attempts: attempt, cause, slotEnd: ended });
    return;
  }
  const queued = await s.db.getRepository(InteractionEvent).findOne({ where: { interactionId: old.id, type: 'queued' }, order: { seq: 'DESC' } });
  const priority = typeof queued?.data.priority === 'number' ? queued.data.priority : queue.priority;
  await closeQuietly(s, old.id);
  const next = await s.routing.createHeld({ channel: 'callback', queueId: old.queueId!, websiteId: old.websiteId, contactId: old.contactId, subject: old.subject, routingVariables: old.routingVariables });
  const repo = s.db.getRepository(Callback);
  // Queued before it can be offered: an agent may accept at once, and only a queued callback is dialled.
  if (!(await repo.update({ id: cb.id, state: 'dialling' }, { state: 'queued', interactionId: next.id, lastCause: cause })).affected) {
    // Changed meanwhile (the customer cancelled): nothing to queue.
    await s.routing.closeHeld(next.id, 'system');
    return;
  }
  const entered = await s.routing.enqueueHeld(next.id, { priority, since: old.queuedAt, passOver: [agentId] }).catch(async (err: unknown) => {
    s.log.error({ err, callbackId: cb.id }, 'could not put a callback back in its queue after the agent\'s phone failed; its due job routes it');
    return null;
  });
  if (entered?.outcome === 'queued') {
    await s.routing.journey(next, 'callback.retry', null, { attempt: attempt + 1, previous: old.id, cause, keptPlace: true, since: old.queuedAt.toISOString(), position: entered.position });
    return;
  }
  // Not routable now (hours, licensed limit): its due job routes it when it can, like any retry —
  // at the queue's next opening, unless that comes after the slot's end.
  const notNow = entered?.outcome === 'unmanaged' ? entered : null;
  const at = notNow?.nextOpening ? new Date(notNow.nextOpening) : now;
  const slotEnd = slotEndPassed(row, at);
  if (slotEnd) {
    if (await endUnreached(s, row, next, { attempts: attempt, cause, slotEnd, data: { previous: old.id, notRoutable: notNow?.reason, nextTry: at.toISOString() } }, ['queued'])) await closeHeldOrQueued(s, next.id);
    return;
  }
  const jobId = nextJobId(cb);
  await repo.update({ id: cb.id }, { state: 'scheduled', dueAt: at, jobId });
  await s.routing.journey(next, 'callback.retry', null, { attempt: attempt + 1, previous: old.id, cause, dueAt: at.toISOString(), jobId, jobScope: s.jobs.scope });
  await new CallbackDueJob(s).schedule({ callbackId: cb.id }, { id: jobId, at });
}
