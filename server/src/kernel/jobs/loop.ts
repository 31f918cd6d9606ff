import { Job, Worker, isNotConnectionError, raw2NextJobData, type JobJson, type JobsOptions, type Processor, type Queue, type RedisClient, type WorkerOptions } from 'bullmq';
import { ADD_AND_TAKE_COMMAND, ADD_COMMAND, useAddAndTake, useOurTakeScripts } from './scripts.js';

/** Longest a blocked fetch waits for a marker before it looks at the queue anyway. */
const IDLE_BLOCK_SECONDS = 10;
/** Pause after a failed fetch or wait, so a broken Redis is not hammered. */
const RETRY_AFTER_MS = 1000;

/**
 * One job kind's fetch loop on one instance, on BullMQ's own primitives (moveToActive, the
 * marker wait, processJob with its lock renewal, retries and stalled check) but with a policy of
 * its own, because BullMQ's loop pays for every job in round trips that find nothing:
 *
 * - after taking a job it asks again at once only when the take said more are waiting;
 * - a finished job fetches the next in the same round trip (moveToFinished's fetchNext);
 * - an idle loop blocks on the marker until the next delayed job is due, or 10 s;
 * - a take wakes no other instance unless there is more to take, and then says so (scripts.ts);
 * - a job due now, scheduled on an instance that runs its kind with a slot free, is taken as it is
 *   added and runs there (addAndRun): no worker is woken to fetch it.
 */
export class JobLoop<T extends object> extends Worker<T> {
  private readonly inFlight = new Set<Promise<void>>();
  private slotFree: (() => void) | null = null;
  private nextDueAt = 0;
  private tokens = 0;
  private abandoned!: () => void;
  private ready = false;
  private markReady!: () => void;
  /** Resolves once the loop fetches, and jobs added here may be taken as they are added (tests). */
  readonly fetching = new Promise<void>((r) => (this.markReady = r));

  constructor(name: string, processor: Processor<T>, opts: WorkerOptions) {
    super(name, processor, { ...opts, autorun: false });
  }

  /** Starts the stalled check, the lock renewal and the fetch loop; close() ends them. */
  start(): void {
    const loop = (async () => {
      useOurTakeScripts(await this.backend.client);
      await this.startStalledCheckTimer();
      this.lockManager.start();
      this.ready = true;
      this.markReady();
      await this.fetchLoop();
      await Promise.all([...this.inFlight]);
    })();
    loop.catch((err: Error) => this.emit('error', err));
    // Worker.close() disconnects the blocked wait and then waits for this: the jobs running, or
    // abandon().
    this.mainLoopRunning = Promise.race([loop.catch(() => undefined), new Promise<void>((r) => (this.abandoned = r))]);
  }

  /**
   * Lets close() go on without the jobs still running: their locks are no longer renewed, so once
   * they expire another instance's stalled check runs them again, as after a crash.
   */
  abandon(): void {
    this.abandoned();
  }

  private async fetchLoop(): Promise<void> {
    while (!this.closing) {
      if (this.inFlight.size >= this.concurrency) {
        await new Promise<void>((r) => (this.slotFree = r));
        continue;
      }
      // Due: a delayed job's time has come, or the last take said more are waiting (scripts.ts).
      if (!(this.nextDueAt && this.nextDueAt <= Date.now())) {
        if (!(await this.waitForMarker())) continue;
        if (this.closing) break;
      }
      const job = await this.fetch();
      if (job) this.perform(job);
    }
  }

  /** Blocks until a marker or the next due time: true when it is time to fetch. */
  private async waitForMarker(): Promise<boolean> {
    const now = Date.now();
    const seconds = this.nextDueAt > now ? Math.max((this.nextDueAt - now) / 1000, this.minimumBlockTimeout) : IDLE_BLOCK_SECONDS;
    try {
      const marker = await this.backend.waitForJob(Math.min(seconds, IDLE_BLOCK_SECONDS));
      // A delayed job's marker carries its due time: wait on until then unless it is due now.
      if (marker && marker.score > Date.now() + 1) {
        this.nextDueAt = this.nextDueAt > Date.now() ? Math.min(this.nextDueAt, marker.score) : marker.score;
        return false;
      }
      return true;
    } catch (err) {
      if (this.closing) return false;
      if (isNotConnectionError(err as Error)) this.emit('error', err as Error);
      await this.backend.reconnectBlocking().catch(() => undefined);
      await new Promise((r) => setTimeout(r, RETRY_AFTER_MS));
      return false;
    }
  }

  /** The next job, undefined when there is none, null when Redis failed (after a pause). */
  private async fetch(): Promise<Job<T> | undefined | null> {
    const token = `${this.id}:${this.tokens++}`;
    try {
      const [jobData, id, , delayUntil] = (await this.backend.moveToActive(token, this.opts.name)) as [JobJson | null | undefined, string | 0 | undefined, number, number];
      this.nextDueAt = Number(delayUntil) || 0;
      return (await this.nextJobFromJobData(jobData || undefined, id || undefined, token)) ?? undefined;
    } catch (err) {
      if (this.closing) return null;
      this.emit('error', err as Error);
      await new Promise((r) => setTimeout(r, RETRY_AFTER_MS));
      return null;
    }
  }

  /**
   * Adds a job due now to `queue` (this loop's) and, in the same round trip, takes it and runs it
   * here; undefined, having added nothing, when this loop cannot run it now (not started, closing,
   * no slot free). A job id that exists already adds and runs nothing, as with Queue.add.
   */
  async addAndRun(queue: Queue, name: string, data: T, opts: JobsOptions): Promise<Job<T> | undefined> {
    if (!this.ready || this.closing || this.inFlight.size >= this.concurrency) return undefined;
    // The slot is held while the job is added: the fetch loop does not fill it meanwhile.
    let release!: () => void;
    const slot = new Promise<void>((r) => (release = r));
    this.inFlight.add(slot);
    try {
      const client = await queue.getBackend().client;
      useAddAndTake(client);
      const token = `${this.id}:${this.tokens++}`;
      const job = new Job<T>(queue, name, data, opts, opts.jobId);
      const extra = [token, this.opts.lockDuration, Date.now(), this.opts.name ?? ''];
      // Queue.add's own encoding of the job and its options; only the script run differs.
      const reply = (await job.addJob({
        runCommand: (command: string, args: unknown[]) => client.runCommand(command === ADD_COMMAND ? ADD_AND_TAKE_COMMAND : command, command === ADD_COMMAND ? [...args, ...extra] : args),
      } as unknown as RedisClient)) as string | unknown[];
      if (!Array.isArray(reply)) {
        job.id = String(reply);
        return job;
      }
      const [jobData, id] = raw2NextJobData(reply) as [JobJson, string];
      job.id = id;
      const taken = await this.nextJobFromJobData(jobData, id, token);
      if (taken) this.perform(taken);
      return job;
    } finally {
      this.inFlight.delete(slot);
      release();
      this.freeSlot();
    }
  }

  private freeSlot(): void {
    const free = this.slotFree;
    this.slotFree = null;
    free?.();
  }

  private perform(first: Job<T>): void {
    const p: Promise<void> = (async () => {
      let job: Job<T> | void = first;
      // A finished job fetches the next in the same round trip while the loop runs.
      while (job) job = await this.processJob(job, job.token!, () => !this.closing);
    })()
      .catch((err: Error) => {
        this.emit('error', err);
      })
      .finally(() => {
        this.inFlight.delete(p);
        this.freeSlot();
      });
    this.inFlight.add(p);
  }
}
