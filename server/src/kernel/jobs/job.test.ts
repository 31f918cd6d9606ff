// The jobs base on a real Redis: what every job kind relies on — an id schedules once, a due time
// holds the job back, failures are retried and end in onFailed once — and the start-up warning
// when Redis would lose or evict jobs.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import pino from 'pino';
import { BaseJob, type JobRun } from './job.js';
import { JobRunner } from './runner.js';
import { createLogger } from '../logger.js';
import { testConfig } from '../../test/config.js';
import { RUN_ID } from '../../test/env.js';
import { ScratchRedis, eventually } from '../../test/redis.js';
import { startSwitchboard } from '../../app.js';

class Recorder extends BaseJob<{ n: number }> {
  readonly name = 'recorder';
  override readonly backoffMs: number = 50;
  // One at a time, in the order they came: once a job scheduled later has run, the earlier have.
  override readonly concurrency: number = 1;
  runs: { data: { n: number }; run: JobRun }[] = [];
  failedWith: Error[] = [];
  failUntil = 0;

  async perform(data: { n: number }, run: JobRun): Promise<void> {
    this.runs.push({ data, run });
    if (run.attempt <= this.failUntil) throw new Error(`attempt ${run.attempt} fails`);
  }

  override async onFailed(_data: { n: number }, err: Error): Promise<void> {
    this.failedWith.push(err);
  }
}

const sharedRedis = () => ({ host: '127.0.0.1', port: 6379, db: 0, commandTimeoutMs: 5000, jobLockSeconds: 30, jobStalledCheckSeconds: 30, keyPrefix: `sbtest:${RUN_ID}:jobs${randomBytes(4).toString('hex')}:` });

describe('jobs (BullMQ on the real Redis)', () => {
  let runner: JobRunner;
  let job: Recorder;
  beforeEach(() => {
    runner = new JobRunner(sharedRedis(), createLogger('silent'));
    job = new Recorder(runner);
    job.work();
  });
  afterEach(() => runner.close());
  const ran = (id: string) => job.runs.some((r) => r.run.id === id);

  it('runs a job once however often the same id is scheduled', async () => {
    await Promise.all([1, 2, 3].map((n) => job.schedule({ n }, { id: 'same-request' })));
    // A job scheduled after them: once it has run, any second job of the same id has run too.
    await job.schedule({ n: 0 }, { id: 'after-same' });
    await eventually(async () => job.runs.length, () => ran('after-same'));
    expect(job.runs.map((r) => r.run)).to.deep.equal([
      { id: 'same-request', attempt: 1 },
      { id: 'after-same', attempt: 1 },
    ]);
    await job.schedule({ n: 4 }, { id: 'same-request' });
    await job.schedule({ n: 0 }, { id: 'after-again' });
    await eventually(async () => job.runs.length, () => ran('after-again'));
    expect(job.runs.map((r) => r.run.id)).to.deep.equal(['same-request', 'after-same', 'after-again']);
  });

  it('holds a job back until its due time, and runs it when made due', async () => {
    await job.schedule({ n: 1 }, { id: 'later', at: new Date(Date.now() + 3600_000) });
    expect(await job.stateOf('later')).to.equal('delayed');
    // A job due now runs; the one due in an hour has not.
    await job.schedule({ n: 0 }, { id: 'now' });
    await eventually(async () => job.runs.length, () => ran('now'));
    expect(job.runs.map((r) => r.run.id)).to.deep.equal(['now']);
    expect(await job.stateOf('later')).to.equal('delayed');
    expect(await job.runNow('later')).to.equal(true);
    await eventually(async () => job.runs.length, () => ran('later'));
    expect(job.runs.map((r) => r.data)).to.deep.equal([{ n: 0 }, { n: 1 }]);
  });

  it('retries a failing job and calls onFailed once after the last attempt', async () => {
    job.failUntil = 99;
    await job.schedule({ n: 1 }, { id: 'doomed' });
    await eventually(async () => job.failedWith.length, (n) => n === 1);
    expect(job.runs.map((r) => r.run.attempt)).to.deep.equal([1, 2, 3]);
    expect(job.failedWith[0]!.message).to.equal('attempt 3 fails');
    expect(await job.stateOf('doomed')).to.equal('failed');
  });

  it('succeeds on a retry without calling onFailed', async () => {
    job.failUntil = 1;
    await job.schedule({ n: 1 }, { id: 'flaky' });
    await eventually(() => job.stateOf('flaky'), (s) => s === 'completed');
    expect(job.runs.map((r) => r.run.attempt)).to.deep.equal([1, 2]);
    expect(job.failedWith).to.deep.equal([]);
  });

  it('unschedules a job that has not run', async () => {
    await job.schedule({ n: 1 }, { id: 'cancelled', at: new Date(Date.now() + 3600_000) });
    expect(await job.unschedule('cancelled')).to.equal(true);
    expect(await job.stateOf('cancelled')).to.equal(null);
    expect(await job.unschedule('cancelled')).to.equal(false);
  });
});

/** Runs until released: a job still running when something happens to its instance. */
class Holder extends BaseJob<{ n: number }> {
  readonly name = 'holder';
  override readonly attempts = 1;
  override readonly concurrency = 1;
  runs: JobRun[] = [];
  private releases: (() => void)[] = [];

  async perform(_data: { n: number }, run: JobRun): Promise<void> {
    this.runs.push(run);
    await new Promise<void>((r) => this.releases.push(r));
  }

  release(): void {
    for (const r of this.releases.splice(0)) r();
  }
}

class Wide extends Recorder {
  override readonly concurrency = 8;
}

class SlowRetry extends Recorder {
  override readonly backoffMs = 3_600_000;
}

describe('jobs: what the fetch loop owns (locks, stalls, backoff, close)', () => {
  const runners: JobRunner[] = [];
  const holders: Holder[] = [];
  const start = (redis: ReturnType<typeof sharedRedis>, opts: { lockDurationMs?: number; stalledIntervalMs?: number } = {}) => {
    const r = new JobRunner(redis, createLogger('silent'), opts);
    runners.push(r);
    return r;
  };
  const holder = (r: JobRunner, work = true) => {
    const h = new Holder(r);
    holders.push(h);
    if (work) h.work();
    return h;
  };
  afterEach(async () => {
    for (const h of holders.splice(0)) h.release();
    await Promise.all(runners.splice(0).map((r) => r.close(0)));
  });

  it('renews the lock of a job that outlasts it, so the job is not taken for stalled and run twice', async () => {
    const runner = start(sharedRedis(), { lockDurationMs: 600, stalledIntervalMs: 150 });
    const job = holder(runner);
    await job.schedule({ n: 1 }, { id: 'long' });
    await eventually(async () => job.runs.length, (n) => n === 1);
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    try {
      // Each renewal sets the lock's time to live back to the full 600 ms: see three of them.
      let renewals = 0;
      let last = Infinity;
      await eventually(
        async () => {
          const ttl = await redis.pttl(`${runner.scope}:holder:long:lock`);
          if (ttl > last && job.runs.length === 1) renewals++;
          last = ttl;
          return renewals;
        },
        (n) => n >= 3,
        400,
        50,
      );
    } finally {
      redis.disconnect();
    }
    job.release();
    await eventually(() => job.stateOf('long'), (s) => s === 'completed');
    expect(job.runs).to.deep.equal([{ id: 'long', attempt: 1 }]);
  });

  it('runs the job of an instance that died once its lock has expired, keeping the attempt number', async () => {
    const redis = sharedRedis();
    const dying = start(redis, { lockDurationMs: 500, stalledIntervalMs: 150 });
    const first = holder(dying);
    await first.schedule({ n: 1 }, { id: 'orphan' });
    await eventually(async () => first.runs.length, (n) => n === 1);
    // As after a kill -9: the job stays active in Redis and its lock is no longer renewed.
    await dying.close(0);
    const survivor = start(redis, { lockDurationMs: 500, stalledIntervalMs: 150 });
    const second = holder(survivor);
    await eventually(async () => second.runs.length, (n) => n === 1);
    expect(second.runs).to.deep.equal([{ id: 'orphan', attempt: 1 }]);
    second.release();
    await eventually(() => second.stateOf('orphan'), (s) => s === 'completed');
  });

  it('keeps a failed job delayed for its backoff before the next attempt', async () => {
    const job = new SlowRetry(start(sharedRedis()));
    job.work();
    job.failUntil = 1;
    await job.schedule({ n: 1 }, { id: 'backing-off' });
    await eventually(() => job.stateOf('backing-off'), (s) => s === 'delayed');
    expect(job.runs.map((r) => r.run.attempt)).to.deep.equal([1]);
    // Made due now instead of in an hour: the second attempt runs and succeeds.
    expect(await job.runNow('backing-off')).to.equal(true);
    await eventually(() => job.stateOf('backing-off'), (s) => s === 'completed');
    expect(job.runs.map((r) => r.run.attempt)).to.deep.equal([1, 2]);
  });

  it('after taking the last waiting job, leaves no wake-up for other instances, only when the next delayed job is due', async () => {
    const shared = sharedRedis();
    const runner = start(shared);
    const job = holder(runner);
    // Scheduled by an instance that does not run them: the job due now is fetched, not taken as it is added.
    const elsewhere = holder(start(shared), false);
    await elsewhere.schedule({ n: 1 }, { id: 'later', at: new Date(Date.now() + 3600_000) });
    await elsewhere.schedule({ n: 2 }, { id: 'now' });
    await eventually(async () => job.runs.length, (n) => n === 1);
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    try {
      const [, delayedScore] = await redis.zrange(`${runner.scope}:holder:delayed`, 0, 0, 'WITHSCORES');
      // BullMQ's own take leaves "0" (maybe more waiting): a blocked worker elsewhere wakes for nothing.
      expect(await redis.zrange(`${runner.scope}:holder:marker`, 0, -1, 'WITHSCORES')).to.deep.equal(['1', String(Math.floor(Number(delayedScore) / 0x1000))]);
    } finally {
      redis.disconnect();
    }
  });

  it('runs a job due now on the instance that schedules it while it has a slot free, waking no other instance', async () => {
    const redis = sharedRedis();
    const [here, there] = [start(redis), start(redis)].map((r) => new Wide(r));
    here!.work();
    there!.work();
    await Promise.all(runners.map((r) => r.running()));
    for (let n = 1; n <= 10; n++) {
      await here!.schedule({ n }, { id: `now-${n}` });
      await eventually(async () => here!.runs.length + there!.runs.length, (c) => c === n);
    }
    // BullMQ's add wakes whichever worker has waited longest: about half would run over there.
    expect(there!.runs).to.deep.equal([]);
    expect(here!.runs.map((r) => r.run)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({ id: `now-${n}`, attempt: 1 })));
  });

  it('lets a running job finish when closing, and starts no other', async () => {
    const redis = sharedRedis();
    const runner = start(redis);
    const job = holder(runner);
    await job.schedule({ n: 1 }, { id: 'running' });
    await eventually(async () => job.runs.length, (n) => n === 1);
    await job.schedule({ n: 2 }, { id: 'waiting' });
    const closed = runner.close(60_000);
    job.release();
    await closed;
    const after = holder(start(redis), false);
    expect(await after.stateOf('running')).to.equal('completed');
    expect(await after.stateOf('waiting')).to.equal('waiting');
    expect(job.runs.map((r) => r.id)).to.deep.equal(['running']);
  });
});

describe('Redis settings for durable jobs', () => {
  async function startWarnings(extraArgs: string[]): Promise<string[]> {
    const redis = new ScratchRedis(await ScratchRedis.freePort(), ['--dir', mkdtempSync(path.join(os.tmpdir(), 'sb-redis-')), ...extraArgs]);
    await redis.start();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    try {
      const sb = await startSwitchboard(testConfig({ set: { 'switchboard.yaml:redis.port': redis.port } }), { logger: pino({ level: 'warn' }, sink) });
      await sb.stop();
    } finally {
      await redis.stop();
    }
    return lines.map((l) => JSON.parse(l) as { msg: string; problems?: string[] }).filter((l) => /durable jobs/.test(l.msg)).flatMap((l) => l.problems ?? []);
  }

  it('warns at start when Redis has no append-only file and may evict keys', async () => {
    const problems = await startWarnings(['--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru']);
    expect(problems.join('\n')).to.match(/appendonly is "no"/).and.to.match(/maxmemory-policy is "allkeys-lru"/);
  });

  it('says nothing when Redis runs with AOF and noeviction (as scripts/services.sh starts it)', async () => {
    expect(await startWarnings(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction'])).to.deep.equal([]);
  });
});
