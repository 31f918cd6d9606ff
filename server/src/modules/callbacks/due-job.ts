import { In } from 'typeorm';
import type { CallbacksKit } from './types.js';
import { BaseJob, type JobRun } from '../../kernel/jobs/job.js';
import { Callback } from './callback.entity.js';
import { callbackWithInteraction } from './reads.js';
import type { Interaction } from '../interactions/index.js';
import { execute } from '../../kernel/db/statements.js';
import { closeHeldOrQueued, endUnreached, slotEndPassed } from './unreached.js';

/** The callback turns queued in the statement that takes its interaction out of its hold; not when cancelled meanwhile. */
const AS_QUEUED = { join: "callbacks c ON c.id = ? AND c.state IN ('scheduled', 'queued')", set: "c.state = 'queued', c.updatedAt = CURRENT_TIMESTAMP" };

/** Over the licensed limit when due: try again this much later. */
const BUSY_RETRY_MS = 60_000;

/**
 * A callback's due time came: its interaction enters the callback queue and is offered like any
 * other. Never before: the interaction is held (state "new") until this runs.
 */
export class CallbackDueJob extends BaseJob<{ callbackId: string }> {
  readonly name = 'callback-due';
  override readonly attempts = 10;
  override readonly concurrency = 32;

  constructor(
    private readonly s: CallbacksKit,
    /** Customer-first queues: dials the customer instead of queueing (customer-first.ts). */
    private readonly customerFirst?: (cb: Callback) => Promise<void>,
    /** The callbacks being queued now, by interaction: their offer's preview shows them without reading them again. */
    private readonly inHand = new Map<string, Callback>(),
  ) {
    super(s.jobs);
  }

  async perform({ callbackId }: { callbackId: string }, run: JobRun): Promise<void> {
    const repo = this.s.db.getRepository(Callback);
    // With its interaction, in one statement.
    const cb = await callbackWithInteraction(this.s.db, callbackId);
    // Cancelled, already routed, or replaced by a later schedule of the same callback.
    if (!cb || cb.jobId !== run.id || (cb.state !== 'scheduled' && cb.state !== 'queued')) return;
    // A run after a crash finds the interaction already queued: nothing to do twice — unless the
    // run died between the interaction's row and Redis (resumeHeld tells, and queues it then).
    const interaction = cb.interaction;
    if (!interaction || (interaction.state !== 'new' && interaction.state !== 'queued')) {
      if (cb.state === 'scheduled') await this.toQueued(cb.id);
      return;
    }
    const resumed = interaction.state === 'queued';
    // Run only after its slot's end (an instance was down, a failed run was tried again later):
    // queued now, the customer would be called outside the time they chose. A run resuming a
    // queueing begun in time goes on.
    const now = this.s.clock.now();
    if (!resumed && slotEndPassed(cb, now)) return this.slotEnded(cb, interaction, now, {});
    const customerFirst = !resumed && !!this.customerFirst && this.s.routing.queue(interaction.queueId ?? '')?.callback.order === 'customer-first';
    // Queued before it can be offered: an agent may accept the offer before enqueueHeld returns,
    // and the dialling starts only for a queued callback. Taken out of its hold here, the
    // interaction takes the callback along in its statement (AS_QUEUED).
    if ((resumed || customerFirst) && cb.state === 'scheduled' && !(await this.toQueued(cb.id))) return;
    cb.state = 'queued';
    // Customer first: the customer is called now; the interaction is queued once they answer.
    if (customerFirst && this.customerFirst) {
      await this.customerFirst(cb);
      await this.s.routing.journey(interaction, 'callback.due', null, { jobId: run.id, order: 'customer-first' });
      return;
    }
    // The customer may cancel meanwhile (withdraw(): the callback first, then the interaction —
    // closed while held, taken out of the queue once queued). enqueueHeld queues it only while it
    // is held, and a close before its queueing reached Redis marks it there, which the queueing
    // refuses: so withdraw() either closed it (enqueueHeld fails, below) or finds it queued in
    // Redis and takes it out of the queue itself.
    let r: Awaited<ReturnType<typeof this.s.routing.enqueueHeld>>;
    this.inHand.set(cb.interactionId, cb);
    try {
      if (resumed) {
        const again = await this.s.routing.resumeHeld(interaction);
        if (!again) return;
        r = again;
      } else r = await this.s.routing.enqueueHeld(interaction, undefined, { ...AS_QUEUED, params: [cb.id] });
    } catch (err) {
      // withdraw() closed the held interaction first: nothing to queue, nothing to try again.
      if (((await execute(this.s.db, 'SELECT state FROM callbacks WHERE id = ?', [cb.id])) as { state: string }[])[0]?.state === 'cancelled') return;
      await repo.update({ id: cb.id, state: 'queued' }, { state: 'scheduled' });
      throw err;
    } finally {
      this.inHand.delete(cb.interactionId);
    }
    if (r.outcome === 'unmanaged') {
      const at = r.nextOpening ? new Date(r.nextOpening) : new Date(now.getTime() + BUSY_RETRY_MS);
      // A slot callback is called within its slot or not at all (unreached.ts): one that cannot be
      // queued before the slot's end ends unreached now, rather than be dialled after it. An "as
      // soon as possible" callback waits for the opening.
      if (slotEndPassed(cb, at)) return this.slotEnded(cb, interaction, at, { notRoutable: r.reason });
      const jobId = nextJobId(cb);
      // Not over a cancel: a cancelled callback is never scheduled again. Still scheduled when it
      // was not taken out of its hold (its queue closed).
      if (!(await repo.update({ id: cb.id, state: In(['scheduled', 'queued']) }, { state: 'scheduled', dueAt: at, jobId })).affected) return;
      await this.schedule({ callbackId: cb.id }, { id: jobId, at });
      await this.s.routing.journey(interaction, 'callback.deferred', null, { reason: r.reason, dueAt: at.toISOString(), jobId });
      this.s.log.info({ callbackId: cb.id, reason: r.reason, dueAt: at }, 'callback due but not routable now: deferred');
      return;
    }
    await this.s.routing.journey(interaction, 'callback.due', null, { jobId: run.id, position: r.position });
  }

  /**
   * No time is left in the callback's slot to call it (`nextTry`: the earliest it could have been):
   * unreached, its held interaction closed with it. Not over a cancel made meanwhile.
   */
  private async slotEnded(cb: Callback, interaction: Interaction, nextTry: Date, data: Record<string, unknown>): Promise<void> {
    const end = { attempts: cb.attempts, cause: cb.lastCause, slotEnd: cb.slotEnd, data: { ...data, nextTry: nextTry.toISOString() } };
    if (await endUnreached(this.s, cb, interaction, end, ['scheduled', 'queued'])) await closeHeldOrQueued(this.s, interaction.id);
  }

  /**
   * Scheduled → queued; false when it was not scheduled any more. Written as SQL, like the other
   * statements every callback sends: built by the ORM they cost twice the CPU of the round trip.
   */
  private async toQueued(id: string): Promise<boolean> {
    const r = (await execute(this.s.db, "UPDATE callbacks SET state = 'queued', updatedAt = CURRENT_TIMESTAMP WHERE id = ? AND state = 'scheduled'", [id])) as { affectedRows: number };
    return r.affectedRows > 0;
  }

  /** The callback's job as its row says; scheduling an existing id again changes nothing. */
  scheduleFor(cb: Pick<Callback, 'id' | 'jobId' | 'dueAt'>): Promise<void> {
    return this.schedule({ callbackId: cb.id }, { id: cb.jobId ?? cb.id, at: cb.dueAt });
  }
}

/** The first job of a callback has the callback's id; each later one (deferral, retry) a new suffix. */
export function nextJobId(cb: Pick<Callback, 'id' | 'jobId'>): string {
  const n = cb.jobId && cb.jobId !== cb.id ? Number(cb.jobId.slice(cb.id.length + 1)) || 1 : 1;
  return `${cb.id}-${n + 1}`;
}
