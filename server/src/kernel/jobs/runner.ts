import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import type { SwitchboardFile } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { BaseJob } from './job.js';
import { JobLoop } from './loop.js';

export interface RunnerOptions {
  /** How often a worker looks for jobs whose instance died (BullMQ's stalled check). */
  stalledIntervalMs?: number;
  /** How long a running job's lock lasts without renewal: a killed instance's jobs are free after it. */
  lockDurationMs?: number;
}

/** A queue whose jobs due now are run by this instance's loop when it has a slot free (JobLoop.addAndRun). */
class OwnQueue extends Queue {
  loop?: JobLoop<object>;

  override async add(name: string, data: object, opts?: JobsOptions): Promise<Job> {
    if (this.loop && opts?.jobId && !opts.delay && !opts.priority) {
      const job = await this.loop.addAndRun(this, name, data, opts);
      if (job) return job;
    }
    return super.add(name, data, opts);
  }
}

/**
 * The BullMQ side of jobs: one Queue per job name (to schedule) and, on instances that run that
 * kind of job, one Worker. Keys live under the configured Redis prefix, so instances sharing a
 * prefix share the jobs and tests with their own prefix see only theirs.
 */
export class JobRunner {
  private readonly queues = new Map<string, OwnQueue>();
  private readonly loops = new Map<string, JobLoop<object>>();
  private readonly workers: JobLoop<object>[] = [];
  /** The BullMQ key prefix: instances with the same scope share their jobs. */
  readonly scope: string;
  private closed = false;

  constructor(
    private readonly redis: SwitchboardFile['redis'],
    private readonly log: Logger,
    private readonly opts: RunnerOptions = {},
  ) {
    this.scope = `${redis.keyPrefix}jobs`;
  }

  private connection(forWorker: boolean): ConnectionOptions {
    return {
      host: this.redis.host,
      port: this.redis.port,
      password: this.redis.password,
      db: this.redis.db,
      connectTimeout: 3000,
      // Scheduling answers a request: fail fast while Redis is away. Workers block on Redis and
      // must wait for it to come back (BullMQ requires null there).
      maxRetriesPerRequest: forWorker ? null : 1,
      enableOfflineQueue: forWorker,
      ...(forWorker ? {} : { commandTimeout: this.redis.commandTimeoutMs }),
      retryStrategy: (times: number) => Math.min(200 * times, 2000),
    };
  }

  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new OwnQueue(name, { connection: this.connection(false), prefix: this.scope });
      q.loop = this.loops.get(name);
      q.on('error', (err) => this.log.warn({ err, queue: name }, 'job queue: Redis error'));
      this.queues.set(name, q);
    }
    return q;
  }

  /** Jobs per state in each queue this runner has opened (read by /metrics). */
  async depths(): Promise<{ queue: string; state: string; count: number }[]> {
    const out: { queue: string; state: string; count: number }[] = [];
    for (const [name, q] of this.queues) {
      const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
      for (const [state, count] of Object.entries(counts)) out.push({ queue: name, state, count });
    }
    return out;
  }

  work<T extends object>(job: BaseJob<T>): void {
    if (this.closed) return;
    const w = new JobLoop<T>(job.name, async (j: Job<T>) => job.perform(j.data, { id: j.id!, attempt: j.attemptsMade + 1 }), {
      connection: this.connection(true),
      prefix: this.scope,
      concurrency: job.concurrency,
      stalledInterval: this.opts.stalledIntervalMs ?? this.redis.jobStalledCheckSeconds * 1000,
      lockDuration: this.opts.lockDurationMs ?? this.redis.jobLockSeconds * 1000,
      // A job whose instance died is run again once; a second stall fails it (onFailed decides).
      maxStalledCount: 1,
    });
    w.on('error', (err) => this.log.warn({ err, queue: job.name }, 'job worker: Redis error'));
    w.on('failed', (j, err) => {
      if (!j) return;
      const last = j.attemptsMade >= (j.opts.attempts ?? 1) || err.name === 'UnrecoverableError' || /stalled more than/.test(err.message);
      this.log[last ? 'error' : 'warn']({ err, job: job.name, jobId: j.id, attempt: j.attemptsMade }, last ? 'job failed for good' : 'job failed; it will be retried');
      if (last) job.onFailed(j.data, err).catch((e) => this.log.error({ err: e, job: job.name, jobId: j.id }, 'job onFailed threw'));
    });
    w.start();
    this.workers.push(w as unknown as JobLoop<object>);
    this.loops.set(job.name, w as unknown as JobLoop<object>);
    const q = this.queues.get(job.name);
    if (q) q.loop = w as unknown as JobLoop<object>;
  }

  /** Resolves once every worker started here fetches (tests). */
  async running(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.fetching));
  }

  /** Workers first (a running job gets graceMs to finish; after that it is left to stall), then the queues. */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.workers.map(async (w) => {
        const late = setTimeout(() => w.abandon(), graceMs);
        await w.close();
        clearTimeout(late);
      }),
    );
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
  }
}
