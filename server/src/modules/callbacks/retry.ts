import type { CallbacksKit } from './types.js';
import { Callback } from './callback.entity.js';
import { CallbackDueJob, nextJobId } from './due-job.js';

/**
 * After a failed attempt: the attempt's interaction ends (the agent is free), and unless the
 * queue's attempts are used up, a new held interaction is due after the backoff
 * (retryMinutes, doubled each attempt; outside hours the due job waits for the next opening).
 * After the last one the callback is unreached.
 */
export async function retryAfterFailure(s: CallbacksKit, cb: Callback, attempt: number, cause: string | null): Promise<void> {
  const repo = s.db.getRepository(Callback);
  const old = await s.routing.get(cb.interactionId);
  await closeQuietly(s, cb.interactionId);
  const queue = s.routing.queue(old?.queueId ?? '');
  const settings = queue?.callback ?? { attempts: 1, retryMinutes: 10 };
  if (!old || attempt >= settings.attempts) {
    await repo.update({ id: cb.id }, { state: 'unreached', lastCause: cause });
    if (old) await s.routing.journey(old, 'callback.unreached', null, { attempts: attempt, cause });
    s.log.info({ callbackId: cb.id, attempts: attempt, cause }, 'callback unreached');
    return;
  }
  const at = new Date(Date.now() + settings.retryMinutes * 60_000 * 2 ** (attempt - 1));
  const next = await s.routing.createHeld({ channel: 'callback', queueId: old.queueId!, websiteId: old.websiteId, contactId: old.contactId, subject: old.subject, routingVariables: old.routingVariables });
  const jobId = nextJobId(cb);
  await repo.update({ id: cb.id }, { state: 'scheduled', interactionId: next.id, dueAt: at, jobId, lastCause: cause });
  await s.routing.journey(next, 'callback.retry', null, { attempt: attempt + 1, previous: old.id, cause, dueAt: at.toISOString(), jobId, jobScope: s.jobs.scope });
  await new CallbackDueJob(s).schedule({ callbackId: cb.id }, { id: jobId, at });
}

/** Closes the interaction unless it is closed already (the end of its call may have done it). */
export async function closeQuietly(s: CallbacksKit, interactionId: string): Promise<void> {
  await s.routing.close(interactionId, { by: 'system' }).catch((err: { status?: number }) => {
    if (err.status !== 409 && err.status !== 404) throw err;
  });
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
