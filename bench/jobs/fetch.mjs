// What BullMQ costs per job in our runner: N "due" jobs delayed to within a few seconds, each
// scheduling a "dial" job when it runs (a callback's two jobs), worked by two JobRunners (two
// instances) against a private redis-server on its own port. Prints JSON per run: Redis round
// trips per callback by command and Redis µs per callback and per call (SLOWLOG at threshold 0,
// a script counted as its whole run), and the node process's CPU per callback (both instances are
// this process; the producer adds the jobs before the window).
//
//   node bench/jobs/fetch.mjs [--callbacks 2000] [--spread 4] [--work-ms 2] [--port 16398] [--runs 3]
import '../runtime.mjs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { JobRunner } from '../../server/dist/kernel/jobs/runner.js';
import { BaseJob } from '../../server/dist/kernel/jobs/job.js';
import { createLogger } from '../../server/dist/kernel/logger.js';

// BullMQ's scripts by name, not sha1: the same ioredis BullMQ loads.
const IORedis = createRequire(import.meta.url)('ioredis');
const Redis = IORedis.default ?? IORedis;
const scriptNames = new Map();
const defineCommand = Redis.prototype.defineCommand;
Redis.prototype.defineCommand = function (name, definition) {
  scriptNames.set(createHash('sha1').update(definition.lua).digest('hex'), name);
  return defineCommand.call(this, name, definition);
};

const { values: opt } = parseArgs({
  options: {
    callbacks: { type: 'string', default: '2000' },
    spread: { type: 'string', default: '4' },
    'work-ms': { type: 'string', default: '2' },
    port: { type: 'string', default: '16398' },
    runs: { type: 'string', default: '3' },
  },
});
const N = Number(opt.callbacks);
const SPREAD_MS = Number(opt.spread) * 1000;
const WORK_MS = Number(opt['work-ms']);
const PORT = Number(opt.port);

const server = spawn('redis-server', ['--port', String(PORT), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' });
// Commands wait in ioredis's offline queue while the server starts.
const admin = new Redis({ port: PORT, retryStrategy: () => 50 });
admin.on('error', () => undefined);
await admin.ping();

class Due extends BaseJob {
  name = 'bench-due';
  concurrency = 32;
  constructor(runner, dial, done) {
    super(runner);
    this.dial = dial;
    this.done = done;
  }
  async perform(data, run) {
    late.push(Date.now() - dueAt(data.n));
    await sleep(WORK_MS);
    await this.dial.schedule(data, { id: `${run.id}-dial` });
  }
}
class Dial extends BaseJob {
  name = 'bench-dial';
  concurrency = 1000;
  constructor(runner, done) {
    super(runner);
    this.done = done;
  }
  async perform() {
    await sleep(WORK_MS);
    this.done();
  }
}

let late = [];
let dueAt = () => 0;
const pct = (xs, p) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function run() {
  late = [];
  const keyPrefix = `bench${Math.random().toString(16).slice(2, 8)}:`;
  const redisCfg = { host: '127.0.0.1', port: PORT, db: 0, commandTimeoutMs: 5000, jobLockSeconds: 30, jobStalledCheckSeconds: 30, keyPrefix };
  let finished = 0;
  let allDone;
  const doneP = new Promise((r) => (allDone = r));
  const done = () => {
    if (++finished === N) allDone();
  };
  const runners = [0, 1].map(() => new JobRunner(redisCfg, createLogger('silent')));
  for (const r of runners) {
    const dial = new Dial(r, done);
    new Due(r, dial, done).work();
    dial.work();
  }
  await sleep(500);
  const producer = new Queue('bench-due', { connection: { host: '127.0.0.1', port: PORT }, prefix: `${keyPrefix}jobs` });
  const start = Date.now() + 1500;
  dueAt = (n) => start + Math.floor((n * SPREAD_MS) / N);
  for (let i = 0; i < N; i += 500) {
    await producer.addBulk(
      Array.from({ length: Math.min(500, N - i) }, (_, k) => ({
        name: 'bench-due',
        data: { n: i + k },
        opts: { jobId: `cb${i + k}`, delay: Math.max(0, start + Math.floor(((i + k) * SPREAD_MS) / N) - Date.now()), attempts: 3, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: { age: 86400 }, removeOnFail: { age: 604800 } },
      })),
    );
  }
    await admin.config('SET', 'slowlog-log-slower-than', '0');
  await admin.config('SET', 'slowlog-max-len', '1000000');
  await admin.slowlog('RESET');
  const cpu0 = process.cpuUsage();
  await doneP;
  await sleep(300);
  const cpu = process.cpuUsage(cpu0);
  // Each top-level command's time in Redis (a script's whole run), by script name.
  const slow = {};
  for (const [, , usec, args] of await admin.slowlog('GET', -1)) {
    let k = String(args[0]).toLowerCase();
    if (k === 'evalsha') k = `evalsha ${scriptNames.get(String(args[1])) ?? String(args[1]).slice(0, 8)}`;
    // Commands a script runs are logged too; the client's round trips are the scripts and the wait.
    if (!/^(evalsha|eval|bzpopmin)/.test(k)) continue;
    const e = (slow[k] ??= { calls: 0, usec: 0 });
    e.calls++;
    e.usec += Number(usec);
  }
  await producer.close();
  await Promise.all(runners.map((r) => r.close()));
  const per = (x) => Math.round((x / N) * 100) / 100;
  const usec = Object.values(slow).reduce((s, v) => s + v.usec, 0);
  return {
    redisRoundTripsPerCallback: per(Object.values(slow).reduce((s, v) => s + v.calls, 0)),
    redisUsecPerCallback: per(usec),
    byCommand: Object.fromEntries(Object.entries(slow).sort((a, b) => b[1].calls - a[1].calls).map(([k, v]) => [k, { perCallback: per(v.calls), usecPerCall: Math.round((v.usec / v.calls) * 10) / 10 }])),
    dueToRunMs: { p50: pct(late, 50), p90: pct(late, 90), p99: pct(late, 99), max: pct(late, 100) },
    nodeCpuMsPerCallback: Math.round(((cpu.user + cpu.system) / 1000 / N) * 1000) / 1000,
  };
}

try {
  const out = { callbacks: N, spreadSeconds: SPREAD_MS / 1000, workMs: WORK_MS, runs: [] };
  for (let i = 0; i < Number(opt.runs); i++) out.runs.push(await run());
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
} finally {
  admin.disconnect();
  server.kill('SIGTERM');
  await once(server, 'exit');
}
