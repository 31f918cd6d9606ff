// Reports over a large history: generates interactions with their journey, agent messages, the
// agents' state history and callbacks in a database of its own (MariaDB: INSERT…SELECT over the
// SEQUENCE engine's seq_1_to_N, so the rows never leave the server; the state history in multi-row
// INSERTs), builds the hourly buckets, then times the report queries supervisors run.
// Build first: `npx tsc -b server`.
//
//   node bench/reports/run.mjs [--interactions 1000000] [--months 6] [--queues 6] [--agents 30] [--rounds 2] [--keep] [--rebuild] [--reference]
//
// Data: the interactions are spread evenly over the `--months` months before 2026-12-01, over
// `--queues` queues and 5 channels; 83 % answered (waits exponential, mean 25 s), 10 % abandoned,
// 5 % unmanaged, 2 % still open; 5 % transferred; every answered one has its `closed` journey step
// with a planned wrap-up; chats and mail have their agents' first message; callbacks have 1–3
// attempts. Each agent works 8 hours a day, Available → Busy → Wrap-up about every 20 minutes.
// `--keep` leaves the database (switchboard_bench_reports) for the next run, which then skips the
// generation when it holds the same number of interactions (and the bucket build when they are
// built; `--rebuild` builds them again). `--reference` also runs one queue-month from the recorded
// rows alone and lists the figures that differ (percentiles read from the histograms' bins).
//
// Measured (ReportsService, the code behind the routes, on a pool of 4 connections), each month ×
// each queue × `--rounds`: the interaction report of a month for one queue (the target: p95 < 1 s),
// the same with its daily series, the same grouped by agent; each month × `--rounds`: all queues
// at once, every agent's time by state, the callbacks report. Prints one JSON document (also
// written to --out, default bench/reports/results.json).
import '../runtime.mjs';
import 'reflect-metadata';
import os from 'node:os';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { createDataSource } from '../../server/dist/kernel/db/data-source.js';
import { createDatabase, dropDatabase } from '../../server/dist/kernel/db/admin.js';
import { entities } from '../../server/dist/entities.js';
import { ReportsService } from '../../server/dist/modules/reports/service.js';
import { ReportBuckets } from '../../server/dist/modules/reports/buckets.js';
import { interactionReportQuery, agentReportQuery, callbackReportQuery } from '../../server/dist/modules/reports/schema.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    interactions: { type: 'string', default: '1000000' },
    months: { type: 'string', default: '6' },
    queues: { type: 'string', default: '6' },
    agents: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '2' },
    rebuild: { type: 'boolean', default: false },
    reference: { type: 'boolean', default: false },
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
const dt = (ms) => new Date(ms);

// Uniform [0, 1) per row and draw, from the row's number: the same data every run.
// (MD5, not CRC32: CRC is linear, so two draws of one row would be XORs of each other.)
const u = (k) => `(CONV(LEFT(MD5(CONCAT(seq, '-${k}')), 8), 16, 10) / 4294967296)`;
const expo = (k, mean) => `ROUND(-LN(1 - ${u(k)}) * ${mean})`;
const ts = (msExpr) => `FROM_UNIXTIME((${msExpr}) / 1000)`;
const agentId = (n) => createHash('md5').update(`agent${n}`).digest('hex');

/**
 * The interactions and everything recorded with them, generated inside MariaDB: one INSERT…SELECT
 * over the SEQUENCE engine's seq_1_to_N per table, from a staging table of each interaction's draws.
 */
async function generate(conn) {
  const t0 = Date.now();
  const phase = {};
  const mark = (name, t) => (phase[name] = Math.round((Date.now() - t) / 100) / 10);
  await conn.query("SET time_zone = '+00:00'");
  const agents = Array.from({ length: N_AGENTS }, (_, n) => ({ id: agentId(n), name: `Agent ${n + 1}` }));
  await insert(conn, 'agents', ['id', 'username', 'displayName', 'role', 'passwordHash', 'capacity'],
    agents.map((a, n) => [a.id, `bench-${n + 1}`, a.name, 'agent', 'x', '{"phone":1,"chat":3,"mail":5,"video":1,"callback":1,"total":4}']));
  let t = Date.now();
  const span = END - START;
  // 83 % answered, 10 % abandoned, 5 % unmanaged, 2 % still queued.
  await conn.query(`CREATE TABLE bench_gen ENGINE=InnoDB AS
    SELECT n, id, channel, queueId, state, queuedMs,
      IF(state = 'closed', MD5(CONCAT('agent', agentIdx)), NULL) AS agentId,
      IF(state = 'closed', queuedMs + wait, NULL) AS assignedMs,
      CASE state WHEN 'closed' THEN queuedMs + wait + handle WHEN 'abandoned' THEN queuedMs + abandonAfter WHEN 'unmanaged' THEN queuedMs + 600000 END AS closedMs,
      state = 'closed' AND transferred AS transferred, firstMessage, tries, reached
    FROM (SELECT seq AS n, MD5(CONCAT('i', seq)) AS id,
        ELT(1 + FLOOR(${u(2)} * 7), 'phone', 'phone', 'chat', 'chat', 'mail', 'video', 'callback') AS channel,
        CONCAT('queue-', 1 + FLOOR(${u(3)} * ${QUEUES.length})) AS queueId,
        FLOOR(${u(4)} * ${N_AGENTS}) AS agentIdx,
        CASE WHEN ${u(5)} < 0.83 THEN 'closed' WHEN ${u(5)} < 0.93 THEN 'abandoned' WHEN ${u(5)} < 0.98 THEN 'unmanaged' ELSE 'queued' END AS state,
        ${START} + FLOOR((seq - 1) * ${span / N} + ${u(1)} * ${span / N}) AS queuedMs,
        ${expo(6, 25_000)} AS wait, 60000 + ${expo(7, 240_000)} AS handle, ${expo(7, 40_000)} AS abandonAfter,
        ${u(8)} < 0.05 AS transferred, ${expo(9, 20_000)} AS firstMessage, 1 + FLOOR(${u(10)} * 3) AS tries, ${u(11)} < 0.7 AS reached
      FROM seq_1_to_${N}) g`);
  mark('draws', t);
  t = Date.now();
  // In primary-key order: random ids inserted in order fill pages instead of splitting them.
  await conn.query(`INSERT INTO interactions (id, channel, direction, state, queueId, websiteId, assignedAgentId, routingVariables, unmanaged, timedOut, queuedAt, assignedAt, closedAt, createdAt)
    SELECT id, channel, IF(channel = 'callback', 'outbound', 'inbound'), state, queueId, IF(channel = 'chat', 'example', NULL), agentId, '{}', state = 'unmanaged', 0,
      ${ts('queuedMs')}, ${ts('assignedMs')}, ${ts('closedMs')}, ${ts('queuedMs')}
    FROM bench_gen ORDER BY id`);
  mark('interactions', t);
  t = Date.now();
  await conn.query(`INSERT INTO interaction_events (interactionId, agentId, type, data, at)
    SELECT id, agentId, 'transferred', '{}', ${ts('assignedMs + 30000')} FROM bench_gen WHERE transferred ORDER BY n`);
  await conn.query(`INSERT INTO interaction_events (interactionId, agentId, type, data, at)
    SELECT id, agentId, 'closed', JSON_OBJECT('by', 'agent', 'dispositionId', NULL, 'wrapUpUntil', CONCAT(LEFT(DATE_FORMAT(${ts('closedMs + 30000')}, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')),
      ${ts('closedMs')} FROM bench_gen WHERE state = 'closed' ORDER BY n`);
  mark('journey', t);
  t = Date.now();
  await conn.query(`INSERT INTO messages (id, interactionId, authorKind, authorAgentId, body, deliveryState, createdAt)
    SELECT MD5(CONCAT('m', n)), id, 'agent', agentId, 'Hello', 'delivered', ${ts('assignedMs + firstMessage')}
    FROM bench_gen WHERE state = 'closed' AND channel IN ('chat', 'mail') ORDER BY 1`);
  mark('messages', t);
  t = Date.now();
  await conn.query(`INSERT INTO callbacks (id, interactionId, phoneNumber, asap, dueAt, state, attempts, createdAt)
    SELECT MD5(CONCAT('c', n)), id, '+390212345678', 1, ${ts('queuedMs')}, IF(reached, 'completed', 'unreached'), tries, ${ts('queuedMs')}
    FROM bench_gen WHERE channel = 'callback' ORDER BY 1`);
  await conn.query(`INSERT INTO callback_attempts (id, callbackId, attempt, interactionId, dialled, outcome, startedAt)
    SELECT MD5(CONCAT('a', g.n, '-', k.seq)), MD5(CONCAT('c', g.n)), k.seq, g.id, '+390212345678', IF(g.reached AND k.seq = g.tries, 'answered', 'no-answer'),
      ${ts('g.queuedMs + k.seq * 600000')}
    FROM bench_gen g JOIN seq_1_to_3 k ON k.seq <= g.tries WHERE g.channel = 'callback' ORDER BY 1`);
  mark('callbacks', t);
  await conn.query('DROP TABLE bench_gen');
  t = Date.now();
  // Each agent: 8 hours a day, Available / Busy / Wrap-up cycles, a Not ready pause now and then.
  let stateChanges = 0;
  let rows = [];
  for (let day = START; day < END; day += 86_400_000) {
    for (const a of agents) {
      let at = day + 8 * 3_600_000 + Math.round(rand() * 3_600_000);
      const stop = at + 8 * 3_600_000;
      rows.push([a.id, 'available', null, dt(at)]);
      while (at < stop) {
        at += Math.round(exp(300_000));
        if (rand() < 0.08) {
          rows.push([a.id, 'not-ready', pick(['break', 'lunch', 'training']), dt(at)]);
          at += Math.round(600_000 + exp(600_000));
        } else {
          rows.push([a.id, 'busy', null, dt(at)]);
          at += Math.round(60_000 + exp(600_000));
          rows.push([a.id, 'wrap-up', null, dt(at)]);
          at += 30_000;
        }
        rows.push([a.id, 'available', null, dt(at)]);
        if (rows.length >= 20_000) (await insert(conn, 'agent_state_changes', ['agentId', 'state', 'reason', 'at'], rows), (stateChanges += rows.length), (rows = []));
      }
      rows.push([a.id, 'logged-out', null, dt(at)]);
    }
  }
  if (rows.length) (await insert(conn, 'agent_state_changes', ['agentId', 'state', 'reason', 'at'], rows), (stateChanges += rows.length));
  mark('stateChanges', t);
  t = Date.now();
  await conn.query('ANALYZE TABLE interactions, interaction_events, messages, agent_state_changes, callbacks, callback_attempts');
  mark('analyze', t);
  const count = async (table) => Number((await conn.query(`SELECT COUNT(*) AS n FROM ${table}`))[0][0].n);
  const counts = {
    interactions: await count('interactions'), events: await count('interaction_events'), messages: await count('messages'),
    stateChanges, callbacks: await count('callbacks'), attempts: await count('callback_attempts'),
  };
  return { ...counts, seconds: Math.round((Date.now() - t0) / 1000), phases: phase };
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
    await ds.runMigrations();
  }
  await conn.end();

  const config = () => ({ queues: QUEUES.map((q) => ({ id: q, name: q, serviceLevelSeconds: 20 })), websites: [{ id: 'example', name: 'Example shop' }] });
  const reports = new ReportsService(ds, config);
  // The hourly buckets, built from the generated rows as `switchboard reports rebuild` does.
  let rebuilt = null;
  const [{ n: built }] = await ds.query('SELECT COUNT(*) AS n FROM report_hours WHERE builtAt IS NOT NULL AND dirty = 0');
  if (generated || opt.rebuild || Number(built) === 0) {
    const t = performance.now();
    const hours = await new ReportBuckets(ds, () => reports.thresholds()).rebuild(new Date(START), new Date(END));
    const [[b], [h]] = [await ds.query('SELECT COUNT(*) AS n FROM report_buckets'), await ds.query('SELECT COUNT(*) AS n FROM report_bucket_times')];
    rebuilt = { hours, buckets: Number(b.n), histogramRows: Number(h.n), seconds: Math.round((performance.now() - t) / 1000) };
    process.stderr.write(`rebuilt ${JSON.stringify(rebuilt)}\n`);
  }
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
        ms.queueMonth.push(await time(async () => {
          const r = await reports.interactions(interactionReportQuery.parse({ ...m, queue }));
          example ??= r;
        }));
        ms.queueMonthDaily.push(await time(() => reports.interactions(interactionReportQuery.parse({ ...m, queue, interval: 'day' }))));
        ms.queueMonthByAgent.push(await time(() => reports.interactions(interactionReportQuery.parse({ ...m, queue, groupBy: 'agent' }))));
      }
      ms.allQueuesMonth.push(await time(() => reports.interactions(interactionReportQuery.parse(m))));
      ms.agentsMonth.push(await time(() => reports.agents(agentReportQuery.parse(m))));
      ms.callbacksMonth.push(await time(() => reports.callbacks(callbackReportQuery.parse(m))));
    }
    load.push(loadavg());
  }
  // The same queue-month from the recorded rows alone (exact percentiles), to show what the buckets change.
  let reference = null;
  if (opt.reference) {
    const t = performance.now();
    const exact = await reports.interactionsFromRecords(interactionReportQuery.parse({ ...months[0], queue: QUEUES[0] }));
    const differ = Object.keys(exact.total).filter((k) => exact.total[k] !== example.total[k]);
    reference = { ms: Math.round(performance.now() - t), total: exact.total, fieldsThatDiffer: Object.fromEntries(differ.map((k) => [k, { buckets: example.total[k], records: exact.total[k] }])) };
  }
  await ds.destroy();
  if (!opt.keep) await dropDatabase(db, DB_NAME);
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadavg: load },
    command: `node bench/reports/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    data: { interactions: N, months: MONTHS, queues: QUEUES.length, agents: N_AGENTS, perQueueMonth: Math.round(N / MONTHS / QUEUES.length), generated, rebuilt },
    ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, summary(v)])),
    example: { query: { ...months[0], queue: QUEUES[0] }, total: example?.total },
    reference,
  };
  const json = JSON.stringify(result, null, 2);
  writeFileSync(opt.out, json + '\n');
  process.stdout.write(json + '\n');
}

await main();
