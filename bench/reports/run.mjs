// Reports over a large history: generates interactions with their journey, agent messages, the
// agents' state history and callbacks in a database of its own (MariaDB, bulk multi-row INSERTs),
// then times the report queries supervisors run. Build first: `npx tsc -b server`.
//
//   node bench/reports/run.mjs [--interactions 1000000] [--months 6] [--queues 6] [--agents 40] [--rounds 2] [--keep]
//
// Data: the interactions are spread evenly over the `--months` months before 2026-12-01, over
// `--queues` queues and 5 channels; 83 % answered (waits exponential, mean 25 s), 10 % abandoned,
// 5 % unmanaged, 2 % still open; 5 % transferred; every answered one has its `closed` journey step
// with a planned wrap-up; chats and mail have their agents' first message; callbacks have 1–3
// attempts. Each agent works 8 hours a day, Available → Busy → Wrap-up about every 20 minutes.
// `--keep` leaves the database (switchboard_bench_reports) for the next run, which then skips the
// generation when it holds the same number of interactions.
//
// Measured (ReportsService, the code behind the routes, on a pool of 4 connections), each month ×
// each queue × `--rounds`: the interaction report of a month for one queue (the target: p95 < 1 s),
// the same with its daily series, the same grouped by agent; each month × `--rounds`: all queues
// at once, every agent's time by state, the callbacks report. Prints one JSON document (also
// written to --out, default bench/reports/results.json).
import 'reflect-metadata';
import os from 'node:os';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { createDataSource } from '../../server/dist/kernel/db/data-source.js';
import { createDatabase, dropDatabase } from '../../server/dist/kernel/db/admin.js';
import { entities } from '../../server/dist/entities.js';
import { ReportsService } from '../../server/dist/modules/reports/service.js';
import { interactionReportQuery, agentReportQuery, callbackReportQuery } from '../../server/dist/modules/reports/schema.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    interactions: { type: 'string', default: '1000000' },
    months: { type: 'string', default: '6' },
    queues: { type: 'string', default: '6' },
    agents: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(here, 'results.json') },
  },
});
const N = Number(opt.interactions);
const MONTHS = Number(opt.months);
const QUEUES = Array.from({ length: Number(opt.queues) }, (_, n) => `queue-${n + 1}`);
const N_AGENTS = Number(opt.agents);
const ROUNDS = Number(opt.rounds);
const DB_NAME = 'switchboard_bench_reports';
const END = Date.UTC(2026, 11, 1);
const START = Date.UTC(2026, 11 - MONTHS, 1);
const db = {
  type: process.env.SWITCHBOARD_DB_TYPE ?? 'mariadb', host: '127.0.0.1', port: Number(process.env.SWITCHBOARD_DB_PORT ?? 3306),
  user: process.env.SWITCHBOARD_DB_USER ?? 'switchboard', password: process.env.SWITCHBOARD_DB_PASSWORD ?? 'switchboard', name: DB_NAME, poolSize: 4,
};
const loadavg = () => os.loadavg().map((x) => +x.toFixed(2));

// A small seeded generator: the same data every run.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const exp = (mean) => -Math.log(1 - rand()) * mean;
const id = () => randomBytes(16).toString('hex');
const dt = (ms) => new Date(ms);

async function generate(conn) {
  const t0 = Date.now();
  const agents = Array.from({ length: N_AGENTS }, (_, n) => ({ id: id(), name: `Agent ${n + 1}` }));
  await insert(conn, 'agents', ['id', 'username', 'displayName', 'role', 'passwordHash', 'capacity'],
    agents.map((a, n) => [a.id, `bench-${n + 1}`, a.name, 'agent', 'x', '{"phone":1,"chat":3,"mail":5,"video":1,"callback":1,"total":4}']));
  const counts = { interactions: 0, events: 0, messages: 0, stateChanges: 0, callbacks: 0, attempts: 0 };
  const batch = { i: [], e: [], m: [], c: [], a: [] };
  const flush = async (force) => {
    for (const [key, table, cols] of [
      ['i', 'interactions', ['id', 'channel', 'direction', 'state', 'queueId', 'websiteId', 'assignedAgentId', 'routingVariables', 'unmanaged', 'timedOut', 'queuedAt', 'assignedAt', 'closedAt', 'createdAt']],
      ['e', 'interaction_events', ['interactionId', 'agentId', 'type', 'data', 'at']],
      ['m', 'messages', ['id', 'interactionId', 'authorKind', 'authorAgentId', 'body', 'deliveryState', 'createdAt']],
      ['c', 'callbacks', ['id', 'interactionId', 'phoneNumber', 'asap', 'dueAt', 'state', 'attempts', 'createdAt']],
      ['a', 'callback_attempts', ['id', 'callbackId', 'attempt', 'interactionId', 'dialled', 'outcome', 'startedAt']],
    ]) {
      if (batch[key].length >= 5000 || (force && batch[key].length)) {
        await insert(conn, table, cols, batch[key]);
        batch[key] = [];
      }
    }
  };
  const span = END - START;
  for (let n = 0; n < N; n++) {
    const iid = id();
    const queuedAt = START + Math.floor((n / N) * span + rand() * (span / N));
    const channel = pick(['phone', 'phone', 'chat', 'chat', 'mail', 'video', 'callback']);
    const queue = pick(QUEUES);
    const agent = pick(agents).id;
    const r = rand();
    let state = 'closed', assignedAt = null, closedAt = null, who = null, unmanaged = 0;
    if (r < 0.83) {
      who = agent;
      assignedAt = queuedAt + Math.round(exp(25_000));
      closedAt = assignedAt + Math.round(60_000 + exp(240_000));
    } else if (r < 0.93) {
      state = 'abandoned';
      closedAt = queuedAt + Math.round(exp(40_000));
    } else if (r < 0.98) {
      state = 'unmanaged';
      unmanaged = 1;
      closedAt = queuedAt + 600_000;
    } else {
      state = 'queued';
    }
    batch.i.push([iid, channel, channel === 'callback' ? 'outbound' : 'inbound', state, queue, channel === 'chat' ? 'example' : null, who, '{}', unmanaged, 0, dt(queuedAt), assignedAt && dt(assignedAt), closedAt && dt(closedAt), dt(queuedAt)]);
    counts.interactions++;
    if (who) {
      if (rand() < 0.05) (batch.e.push([iid, who, 'transferred', '{}', dt(assignedAt + 30_000)]), counts.events++);
      batch.e.push([iid, who, 'closed', JSON.stringify({ by: 'agent', dispositionId: null, wrapUpUntil: new Date(closedAt + 30_000).toISOString() }), dt(closedAt)]);
      counts.events++;
      if (channel === 'chat' || channel === 'mail') (batch.m.push([id(), iid, 'agent', who, 'Hello', 'delivered', dt(assignedAt + Math.round(exp(20_000)))]), counts.messages++);
    }
    if (channel === 'callback') {
      const cid = id();
      const tries = 1 + Math.floor(rand() * 3);
      const reached = rand() < 0.7;
      batch.c.push([cid, iid, '+390212345678', 1, dt(queuedAt), reached ? 'completed' : 'unreached', tries, dt(queuedAt)]);
      counts.callbacks++;
      for (let k = 1; k <= tries; k++) {
        batch.a.push([id(), cid, k, iid, '+390212345678', reached && k === tries ? 'answered' : 'no-answer', dt(queuedAt + k * 600_000)]);
        counts.attempts++;
      }
    }
    await flush(false);
  }
  await flush(true);
  // Each agent: 8 hours a day, Available / Busy / Wrap-up cycles, a Not ready pause now and then.
  let rows = [];
  for (let day = START; day < END; day += 86_400_000) {
    for (const a of agents) {
      let t = day + 8 * 3_600_000 + Math.round(rand() * 3_600_000);
      const stop = t + 8 * 3_600_000;
      rows.push([a.id, 'available', null, dt(t)]);
      while (t < stop) {
        t += Math.round(exp(300_000));
        if (rand() < 0.08) {
          rows.push([a.id, 'not-ready', pick(['break', 'lunch', 'training']), dt(t)]);
          t += Math.round(600_000 + exp(600_000));
        } else {
          rows.push([a.id, 'busy', null, dt(t)]);
          t += Math.round(60_000 + exp(600_000));
          rows.push([a.id, 'wrap-up', null, dt(t)]);
          t += 30_000;
        }
        rows.push([a.id, 'available', null, dt(t)]);
        if (rows.length >= 5000) (await insert(conn, 'agent_state_changes', ['agentId', 'state', 'reason', 'at'], rows), (counts.stateChanges += rows.length), (rows = []));
      }
      rows.push([a.id, 'logged-out', null, dt(t)]);
    }
  }
  if (rows.length) (await insert(conn, 'agent_state_changes', ['agentId', 'state', 'reason', 'at'], rows), (counts.stateChanges += rows.length));
  await conn.query('ANALYZE TABLE interactions, interaction_events, messages, agent_state_changes, callbacks, callback_attempts');
  return { ...counts, seconds: Math.round((Date.now() - t0) / 1000) };
}

async function insert(conn, table, cols, rows) {
  await conn.query(`INSERT INTO ${table} (${cols.map((c) => '`' + c + '`').join(', ')}) VALUES ?`, [rows]);
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.max(0, Math.ceil(p * s.length) - 1)]) : null;
};
const summary = (xs) => ({ samples: xs.length, p50: pct(xs, 0.5), p95: pct(xs, 0.95), max: Math.round(Math.max(...xs)) });

async function main() {
  const conn = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, timezone: 'Z' });
  const [[exists]] = await conn.query('SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = ?', [DB_NAME]);
  let have = 0;
  if (exists.n) {
    const [[row]] = await conn.query(`SELECT COUNT(*) AS n FROM ${DB_NAME}.interactions`).catch(() => [[{ n: 0 }]]);
    have = Number(row.n);
  }
  let generated = null;
  const ds = createDataSource(db, entities);
  if (have !== N) {
    await createDatabase(db, DB_NAME, true);
    await ds.initialize();
    await ds.runMigrations();
    await conn.query(`USE ${DB_NAME}`);
    await conn.query('SET unique_checks = 0, foreign_key_checks = 0');
    generated = await generate(conn);
    process.stderr.write(`generated ${JSON.stringify(generated)}\n`);
  } else {
    await ds.initialize();
  }
  await conn.end();

  const config = () => ({ queues: QUEUES.map((q) => ({ id: q, name: q, serviceLevelSeconds: 20 })), websites: [{ id: 'example', name: 'Example shop' }] });
  const reports = new ReportsService(ds, config);
  const months = Array.from({ length: MONTHS }, (_, n) => {
    const from = new Date(Date.UTC(2026, 11 - MONTHS + n, 1)).toISOString().slice(0, 10);
    const last = new Date(Date.UTC(2026, 12 - MONTHS + n, 0)).toISOString().slice(0, 10);
    return { from, to: last };
  });
  const time = async (fn) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const ms = { queueMonth: [], queueMonthDaily: [], queueMonthByAgent: [], allQueuesMonth: [], agentsMonth: [], callbacksMonth: [] };
  let example = null;
  const load = [loadavg()];
  for (let round = 0; round < ROUNDS; round++) {
    for (const m of months) {
      for (const queue of QUEUES) {
        ms.queueMonth.push(await time(async () => (example ??= await reports.interactions(interactionReportQuery.parse({ ...m, queue })))));
        ms.queueMonthDaily.push(await time(() => reports.interactions(interactionReportQuery.parse({ ...m, queue, interval: 'day' }))));
        ms.queueMonthByAgent.push(await time(() => reports.interactions(interactionReportQuery.parse({ ...m, queue, groupBy: 'agent' }))));
      }
      ms.allQueuesMonth.push(await time(() => reports.interactions(interactionReportQuery.parse(m))));
      ms.agentsMonth.push(await time(() => reports.agents(agentReportQuery.parse(m))));
      ms.callbacksMonth.push(await time(() => reports.callbacks(callbackReportQuery.parse(m))));
    }
    load.push(loadavg());
  }
  await ds.destroy();
  if (!opt.keep) await dropDatabase(db, DB_NAME);
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadavg: load },
    data: { interactions: N, months: MONTHS, queues: QUEUES.length, agents: N_AGENTS, perQueueMonth: Math.round(N / MONTHS / QUEUES.length), generated },
    ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, summary(v)])),
    example: { query: { ...months[0], queue: QUEUES[0] }, total: example?.total },
  };
  const json = JSON.stringify(result, null, 2);
  writeFileSync(opt.out, json + '\n');
  process.stdout.write(json + '\n');
}

await main();
