import type { Queue } from 'bullmq';

/** What perform() learns about the run it is part of. */
export interface JobRun {
  /** The job's id: the one given to schedule(), stable across attempts. */
  id: string;
  /** 1 for the first run; retries after a failure count up; a run after a stall keeps the number. */
  attempt: number;
}

export interface ScheduleOptions {
  /**
   * The job's id. Scheduling again with an id that is still waiting, delayed or running adds
   * nothing: a retried request or a double click cannot make two jobs.
   */
  id: string;
  /** When it is due; now (or in the past) runs it at once. */
  at?: Date;
}

/**
 * One kind of background work: one subclass per file, one BullMQ queue per subclass (its name).
 * A job is scheduled with an id (idempotent) and an optional due time; perform() runs it when due,
 * on whichever instance picks it up. A throw is retried `attempts` times with exponential
 * `backoffMs`; onFailed() runs once after the last attempt failed. perform() may run again after
 * a crash of the instance that ran it (BullMQ's stalled-job recovery): whatever it does outside
 * Redis must be idempotent or guarded by a record of its own.
 */
/** What a job needs of the runner (runner.ts, one per instance): its queue, and to be worked. */
export interface JobQueues {
  queue(name: string): Queue;
  work<T extends object>(job: BaseJob<T>): void;
}

export abstract class BaseJob<T extends object> {
  /** The BullMQ queue name: letters, digits and dashes. */
  abstract readonly name: string;
  readonly attempts: number = 3;
  readonly backoffMs: number = 2000;
  /** Jobs of this kind one instance runs at the same time. */
  readonly concurrency: number = 8;

  constructor(protected readonly runner: JobQueues) {}

  abstract perform(data: T, run: JobRun): Promise<void>;

  /** After the last attempt failed; the default only logs (the runner does). */
  async onFailed(_data: T, _err: Error): Promise<void> {}

  async schedule(data: T, opts: ScheduleOptions): Promise<void> {
    const delay = opts.at ? Math.max(0, opts.at.getTime() - Date.now()) : 0;
    await this.runner.queue(this.name).add(this.name, data, {
      jobId: opts.id,
      delay,
      attempts: this.attempts,
      backoff: { type: 'exponential', delay: this.backoffMs },
      // Finished jobs are kept a day: an id scheduled again in that time is still a no-op.
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 7 * 86_400 },
    });
  }

  /** Removes a job that has not started; false when it is running or gone. */
  async unschedule(id: string): Promise<boolean> {
    const job = await this.runner.queue(this.name).getJob(id);
    if (!job) return false;
    return (await job.remove().then(() => true, () => false)) as boolean;
  }

  /** Runs it now if it is waiting for its due time (tests, and "call now" from the desktop). */
  async runNow(id: string): Promise<boolean> {
    const job = await this.runner.queue(this.name).getJob(id);
    if (!job || !(await job.isDelayed())) return false;
    await job.promote();
    return true;
  }

  /** waiting, delayed, active, completed, failed…, or null when there is no such job. */
  async stateOf(id: string): Promise<string | null> {
    const job = await this.runner.queue(this.name).getJob(id);
    return job ? job.getState() : null;
  }

  /** Starts running jobs of this kind on this instance. */
  work(): void {
    this.runner.work(this);
  }
}
