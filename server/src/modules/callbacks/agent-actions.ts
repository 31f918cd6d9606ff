import type { AgentCallback } from '@switchboard/protocol';
import type { CallbacksKit } from './types.js';
import { HttpError, badRequest, conflict, notFound } from '../../kernel/http/errors.js';
import type { Interaction } from '../interactions/index.js';
import { reference } from '../intake/index.js';
import { Callback, type CallbackState } from './callback.entity.js';
import { CallbackAttempt } from './attempt.entity.js';
import { nextJobId, type CallbackDueJob } from './due-job.js';
import type { CallbackDialJob } from './dial-job.js';
import { SLOT_MINUTES } from './slots.js';

/** States in which nothing is left to do for an agent: a finished callback is not called again. */
const FINISHED: CallbackState[] = ['cancelled', 'closed'];
/** Ends reached by dialling. */
const ENDED: CallbackState[] = ['completed', 'unreached', 'failed'];

/** The callback's jobs come with it: a pending one is replaced or removed by every action. */
export type Deps = Pick<CallbacksKit, 'db' | 'routing' | 'jobs' | 'log'> & { due: CallbackDueJob };

interface Found {
  cb: Callback;
  interaction: Interaction | null;
  /** The agent holding its interaction now, else the agent of its last attempt, else the last to hold it. */
  handler: string | null;
}

async function load(s: Deps, where: { id: string } | { interactionId: string }): Promise<Found> {
  const cb = await s.db.getRepository(Callback).findOneBy(where);
  if (!cb) throw notFound('Callback');
  const interaction = await s.routing.get(cb.interactionId);
  const live = interaction && (interaction.state === 'assigned' || interaction.state === 'conference') ? interaction.assignedAgentId : null;
  const last = await s.db.getRepository(CallbackAttempt).findOne({ where: { callbackId: cb.id }, order: { attempt: 'DESC' } });
  return { cb, interaction, handler: live ?? last?.agentId ?? interaction?.assignedAgentId ?? null };
}

/** Only the agent handling a callback acts on it; supervisors and admins may read any. */
async function forAgent(s: Deps, where: { id: string } | { interactionId: string }, agentId: string, readOnly = false, role = 'agent'): Promise<Found> {
  const f = await load(s, where);
  if (f.handler !== agentId && !(readOnly && role !== 'agent')) throw new HttpError(403, 'not_yours', 'This callback is handled by another agent.');
  return f;
}

export async function agentCallback(s: Deps, where: { id: string } | { interactionId: string }, agentId: string, role: string): Promise<AgentCallback> {
  return present(s, (await forAgent(s, where, agentId, true, role)).cb);
}

/**
 * The agent's Call (preview mode) or Call again: one new attempt, dialled by the dial job under
 * its per-attempt id. A callback waiting for a retry, or already ended (unreached, completed,
 * failed), is taken back by the agent: its pending job is removed and its interaction — the
 * held one, or a new one — becomes the agent's.
 */
export async function dialNow(s: Deps, dial: CallbackDialJob, callbackId: string, agentId: string): Promise<AgentCallback> {
  const { cb, interaction } = await forAgent(s, { id: callbackId }, agentId);
  if (cb.state === 'dialling') throw new HttpError(409, 'dialling', 'This callback is being dialled now.');
  if (FINISHED.includes(cb.state)) throw conflict(`This callback is ${cb.state}: it cannot be called.`);
  const mine = interaction?.assignedAgentId === agentId && (interaction.state === 'assigned' || interaction.state === 'conference');
  let fresh = cb;
  if (!(mine && cb.state === 'queued')) {
    const interactionId = await takeBack(s, cb, interaction, mine);
    await s.routing.claim(interactionId, agentId, { via: 'callback', by: 'agent' });
    fresh = await s.db.getRepository(Callback).findOneByOrFail({ id: cb.id });
  }
  // The attempt is counted from the row read before the claim: in automatic mode the claim's
  // assignment schedules the same attempt, and its dial may already have counted it in the row —
  // counting from `fresh` then asked for the next attempt too, and the customer was dialled twice.
  await dial.dialFor({ id: cb.id, attempts: cb.attempts }, agentId);
  s.log.info({ callbackId: cb.id, agentId, attempt: cb.attempts + 1 }, 'callback dialled by the agent');
  return present(s, fresh);
}

/**
 * The callback's interaction for the agent's new attempt: kept while it is theirs, the held one
 * of a pending retry, or a new one after it ended. The row changes only if nobody changed it
 * meanwhile (its due job firing, the customer cancelling): otherwise 409.
 */
async function takeBack(s: Deps, cb: Callback, interaction: Interaction | null, mine: boolean): Promise<string> {
  let interactionId = cb.interactionId;
  // Held, waiting or offered: claimed as it is (an offer to another agent is withdrawn).
  const reusable = mine || ['new', 'queued', 'offered'].includes(interaction?.state ?? '');
  if (!reusable) interactionId = (await heldCopy(s, cb, interaction)).id;
  // The job id stays: a run of the removed job that had already started finds the callback
  // queued on an assigned interaction and does nothing, and the next retry gets a new id.
  const r = await s.db.getRepository(Callback).update({ id: cb.id, state: cb.state, jobId: cb.jobId ?? undefined }, { state: 'queued', interactionId });
  if (!r.affected) throw conflict('This callback changed meanwhile; reload it and try again.');
  if (cb.jobId) await s.due.unschedule(cb.jobId);
  return interactionId;
}

async function heldCopy(s: Deps, cb: Callback, old: Interaction | null): Promise<Interaction> {
  if (!old?.queueId) throw conflict('This callback has no queue any more.');
  return s.routing.createHeld({ channel: 'callback', queueId: old.queueId, websiteId: old.websiteId, contactId: old.contactId, subject: old.subject ?? `Callback to ${cb.phoneNumber}`, routingVariables: old.routingVariables });
}

/**
 * A new slot: the pending job is removed and a new one made for `at` (a new job id, so a late
 * run of the old one does nothing). The agent's interaction ends now; a held one waits for the slot.
 */
export async function reschedule(s: Deps, callbackId: string, agentId: string, at: Date, now = new Date()): Promise<AgentCallback> {
  if (at.getTime() < now.getTime() + 60_000) throw badRequest('Pick a time at least a minute from now.', [{ field: 'at', problem: 'must be in the future' }]);
  if (at.getTime() > now.getTime() + 30 * 86_400_000) throw badRequest('Pick a time within the next 30 days.', [{ field: 'at', problem: 'must be within 30 days' }]);
  const { cb, interaction } = await forAgent(s, { id: callbackId }, agentId);
  if (cb.state === 'dialling') throw new HttpError(409, 'dialling', 'This callback is being dialled now; reschedule it once the call has ended.');
  if (FINISHED.includes(cb.state)) throw conflict(`This callback is ${cb.state}: it cannot be rescheduled.`);
  const held = interaction?.state === 'new' ? interaction : await heldCopy(s, cb, interaction);
  const jobId = nextJobId(cb);
  const r = await s.db.getRepository(Callback).update(
    { id: cb.id, state: cb.state, jobId: cb.jobId ?? undefined },
    { state: 'scheduled', interactionId: held.id, dueAt: at, jobId, asap: false, slotStart: at, slotEnd: new Date(at.getTime() + SLOT_MINUTES * 60_000) },
  );
  if (!r.affected) throw conflict('This callback changed meanwhile; reload it and try again.');
  if (cb.jobId) await s.due.unschedule(cb.jobId);
  if (interaction && interaction.id !== held.id) await closeForAgent(s, interaction, agentId, null);
  await s.routing.journey(held, 'callback.rescheduled', agentId, { dueAt: at.toISOString(), jobId, jobScope: s.jobs.scope, previous: interaction?.id ?? null });
  await s.due.schedule({ callbackId: cb.id }, { id: jobId, at });
  s.log.info({ callbackId: cb.id, agentId, dueAt: at }, 'callback rescheduled by the agent');
  return present(s, await s.db.getRepository(Callback).findOneByOrFail({ id: cb.id }));
}

/**
 * The agent closes the callback for good with a disposition: no job left, no more attempts. Its
 * interaction takes the disposition (closed now, or already closed by the call's end).
 */
export async function closeCallback(s: Deps, callbackId: string, agentId: string, disposition: string): Promise<AgentCallback> {
  s.routing.checkDisposition(disposition);
  const { cb, interaction } = await forAgent(s, { id: callbackId }, agentId);
  if (cb.state === 'dialling') throw new HttpError(409, 'dialling', 'This callback is being dialled now; close it once the call has ended.');
  if (FINISHED.includes(cb.state)) throw conflict(`This callback is ${cb.state} already.`);
  // An outcome already reached (completed, unreached, failed) stays what happened; the disposition is added.
  const state: CallbackState = ENDED.includes(cb.state) ? cb.state : 'closed';
  const r = await s.db.getRepository(Callback).update({ id: cb.id, state: cb.state, jobId: cb.jobId ?? undefined }, { state });
  if (!r.affected) throw conflict('This callback changed meanwhile; reload it and try again.');
  if (cb.jobId) await s.due.unschedule(cb.jobId);
  if (interaction) {
    await closeForAgent(s, interaction, agentId, disposition);
    await s.routing.journey(interaction, 'callback.closed', agentId, { dispositionId: disposition, state: cb.state });
  }
  s.log.info({ callbackId: cb.id, agentId, disposition }, 'callback closed by the agent');
  return present(s, await s.db.getRepository(Callback).findOneByOrFail({ id: cb.id }));
}

/** Ends the interaction however it stands; one already closed keeps its end and takes the disposition. */
async function closeForAgent(s: Deps, i: Interaction, agentId: string, disposition: string | null): Promise<void> {
  if (i.state === 'assigned' || i.state === 'conference') {
    await s.routing.close(i.id, { agentId }, disposition);
    return;
  }
  if (!(await s.routing.closeHeld(i.id, 'system'))) {
    await s.routing.close(i.id, { by: 'system' }).catch((err: { status?: number }) => {
      if (err.status !== 409 && err.status !== 404) throw err;
    });
  }
  if (disposition) await s.routing.setDisposition(i.id, disposition);
}

async function present(s: Deps, cb: Callback): Promise<AgentCallback> {
  const interaction = await s.routing.get(cb.interactionId);
  const settings = s.routing.queue(interaction?.queueId ?? '')?.callback;
  const rows = await s.db.getRepository(CallbackAttempt).find({ where: { callbackId: cb.id }, order: { attempt: 'ASC' } });
  return {
    callbackId: cb.id,
    reference: reference('CB', cb.id),
    interactionId: cb.interactionId,
    state: cb.state,
    phoneNumber: cb.phoneNumber,
    message: cb.message,
    asap: cb.asap,
    dueAt: cb.dueAt.toISOString(),
    slot: cb.slotStart && cb.slotEnd ? { start: cb.slotStart.toISOString(), end: cb.slotEnd.toISOString() } : null,
    mode: settings?.mode ?? 'automatic',
    attempts: cb.attempts,
    maxAttempts: settings?.attempts ?? 1,
    lastCause: cb.lastCause,
    history: rows.map((a) => ({ attempt: a.attempt, outcome: a.outcome, cause: a.cause, dialled: a.dialled, startedAt: a.startedAt.toISOString(), endedAt: a.endedAt?.toISOString() ?? null })),
  };
}
