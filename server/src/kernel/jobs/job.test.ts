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

  it('runs a job once however often the same id is scheduled', async () => {
    await Promise.all([1, 2, 3].map((n) => job.schedule({ n }, { id: 'same-request' })));
    await eventually(async () => job.runs.length, (n) => n >= 1);
    // A second job would have run in this time as quickly as the first did.
    await new Promise((r) => setTimeout(r, 1000));
    expect(job.runs.map((r) => r.run)).to.deep.equal([{ id: 'same-request', attempt: 1 }]);
    await job.schedule({ n: 4 }, { id: 'same-request' });
    await new Promise((r) => setTimeout(r, 500));
    expect(job.runs).to.have.length(1);
  });

  it('holds a job back until its due time, and runs it when made due', async () => {
    await job.schedule({ n: 1 }, { id: 'later', at: new Date(Date.now() + 3600_000) });
    expect(await job.stateOf('later')).to.equal('delayed');
    await new Promise((r) => setTimeout(r, 1000));
    expect(job.runs).to.deep.equal([]);
    expect(await job.runNow('later')).to.equal(true);
    await eventually(async () => job.runs.length, (n) => n === 1);
    expect(job.runs[0]!.data).to.deep.equal({ n: 1 });
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
