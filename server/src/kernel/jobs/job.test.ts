// The jobs base on a real Redis: what every job kind relies on — an id schedules once, a due time
// holds the job back, failures are retried and end in onFailed once — and the start-up warning
// when Redis would lose or evict jobs.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
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
  override readonly backoffMs = 50;
  // One at a time, in the order they came: once a job scheduled later has run, the earlier have.
  override readonly concurrency = 1;
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
