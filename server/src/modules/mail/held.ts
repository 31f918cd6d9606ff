import { In, type DataSource } from 'typeorm';
import type { Logger } from '../../kernel/logger.js';
import type { RedisHandle } from '../../kernel/redis.js';
import { BaseJob, type JobQueues, type JobRun } from '../../kernel/jobs/job.js';
import { Interaction } from '../interactions/index.js';
import { InteractionEvent } from '../journey/index.js';
import type { CreateResult, InteractionSteps } from '../routing/index.js';

/** Over the licensed limit: try again at the next whole minute. */
const BUSY_RETRY_MS = 60_000;
/**
 * A ticket waiting for an opening far off looks again at least this often, so hours moved earlier
 * by a configuration reload are noticed without waiting for the opening known when it was held.
 */
const LONGEST_WAIT_MS = 15 * 60_000;
/** A held ticket never held before is taken for stranded after this. */
const STRANDED_MS = 2 * 60_000;
/** Held tickets are looked at again at start and this often (jobs lost with a Redis without AOF). */
const REPAIR_MS = 10 * 60_000;

/**
 * When to try again: the opening, or a minute later when only the licensed limit stood in the way,
 * but no later than the next quarter hour (times on a fixed grid, so the tries of two instances
 * for one ticket fall on the same job id), and never at the time of the job running now.
 */
export function retryAt(opening: number | null, now: number): number {
  const next = (step: number) => Math.floor((now + 1000) / step) * step + step;
  return Math.max(Math.min(opening ?? next(BUSY_RETRY_MS), next(LONGEST_WAIT_MS)), now + 1000);
}

/** What a held ticket needs of the rest of the server. */
export interface HeldMailDeps {
  jobs: JobQueues;
  /** The job scope (BullMQ prefix) of this installation: its held tickets are the ones it looks after. */
  scope: string;
  db: DataSource;
  redis: RedisHandle;
  log: Logger;
  routing: Pick<InteractionSteps, 'enqueueHeld' | 'journey'>;
}

/**
 * A mail ticket (a message left outside hours, the mail form, a mail to the support mailbox) is
 * never unmanaged: nobody has to answer it now, but somebody must. It is created held (state
 * "new") with its thread and first message, then queued; while its queue or website is closed, or
 * the licensed limit is reached, this job queues it at the next opening (or a minute later). Once
 * queued it waits for an agent like any other interaction, even with nobody logged in.
 */
export class HeldMailJob extends BaseJob<{ interactionId: string }> {
  readonly name = 'mail-held';
  override readonly attempts = 10;
  override readonly concurrency = 16;

  constructor(private readonly d: HeldMailDeps) {
    super(d.jobs);
  }

  /** Queues the held ticket now, or schedules the try at its queue's next opening. */
  async release(interactionId: string): Promise<CreateResult['outcome'] | 'gone'> {
    // One try at a time per ticket: the request that made it, its job and the start-up check may meet.
    const lock = this.d.redis.key('mail', 'held', interactionId);
    if ((await this.d.redis.client.set(lock, '1', 'PX', 30_000, 'NX')) !== 'OK') throw new Error(`held ticket ${interactionId} is being queued elsewhere`);
    try {
      const i = await this.d.db.getRepository(Interaction).findOneBy({ id: interactionId });
      if (!i || i.state !== 'new' || i.channel !== 'mail') return 'gone';
      const r = await this.d.routing.enqueueHeld(i.id);
      if (r.outcome === 'queued') return 'queued';
      const at = new Date(retryAt(r.nextOpening ? Date.parse(r.nextOpening) : null, Date.now()));
      // The id names the time, so the start-up check scheduling the same wait again adds nothing.
      await this.schedule({ interactionId: i.id }, { id: `${i.id}-${at.getTime()}`, at });
      await this.d.routing.journey(i, 'mail.held', null, { reason: r.reason, nextOpening: r.nextOpening, retryAt: at.toISOString(), scope: this.d.scope });
      this.d.log.info({ interactionId: i.id, reason: r.reason, retryAt: at }, 'mail ticket held until its queue can take it');
      return 'unmanaged';
    } finally {
      await this.d.redis.client.del(lock).catch(() => undefined);
    }
  }

  async perform({ interactionId }: { interactionId: string }, _run: JobRun): Promise<void> {
    await this.release(interactionId);
  }

  /**
   * Every held mail ticket of this installation gets a try: at start (a job lost with a Redis
   * without its append-only file) and every few minutes (a ticket whose request died between
   * MySQL and BullMQ). A ticket whose job is still delayed is scheduled again under the same id,
   * which adds nothing. Ours: held here before (its `mail.held` step names our job scope), or never
   * held and older than a couple of minutes (another installation sharing the database would
   * have queued it by then).
   */
  async repair(): Promise<number> {
    // Oldest first: each goes to the end of its queue as it is released, so they queue in the order they came.
    const held = await this.d.db.getRepository(Interaction).find({ where: { channel: 'mail', state: 'new' }, select: { id: true, createdAt: true }, order: { createdAt: 'ASC' } });
    if (!held.length) return 0;
    const steps = await this.d.db.getRepository(InteractionEvent).find({ where: { interactionId: In(held.map((i) => i.id)), type: 'mail.held' }, order: { seq: 'ASC' } });
    const scopeOf = new Map(steps.map((e) => [e.interactionId, e.data.scope]));
    const ours = held.filter((i) => (scopeOf.has(i.id) ? scopeOf.get(i.id) === this.d.scope : i.createdAt.getTime() < Date.now() - STRANDED_MS));
    for (const { id } of ours) await this.release(id).catch((err) => this.d.log.warn({ err, interactionId: id }, 'a held mail ticket could not be looked at; trying again later'));
    return ours.length;
  }

  /**
   * Runs the jobs on this instance and looks at held tickets now, every few minutes, and when
   * this instance reloaded the configuration (hours moved earlier take effect at once).
   */
  start(bus: { on(h: (e: { type: string; instance?: string }) => void): () => void; instanceId: string }): () => void {
    this.work();
    const look = (lease: boolean) => {
      void (async () => {
        if (lease && (await this.d.redis.client.set(this.d.redis.key('mail', 'held-repair'), '1', 'PX', REPAIR_MS - 1000, 'NX')) !== 'OK') return;
        const n = await this.repair();
        if (n) this.d.log.info({ tickets: n }, 'held mail tickets looked at');
      })().catch((err) => this.d.log.warn({ err }, 'looking at held mail tickets failed; trying again later'));
    };
    look(true);
    const timer = setInterval(() => look(true), REPAIR_MS);
    timer.unref();
    // Only the instance that reloaded: the others may still read the old files.
    const off = bus.on((e) => e.type === 'config.reloaded' && e.instance === bus.instanceId && look(false));
    return () => {
      clearInterval(timer);
      off();
    };
  }
}
