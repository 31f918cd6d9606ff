// Callback benchmark: many callbacks falling due within one minute, worked by two Switchboard
// processes (spawned, sharing MariaDB, Redis and so the BullMQ jobs), agents simulated by this
// process (desktop sockets accepting every callback offer), sipp as the agents' extensions at the
// PBX (leg A) and as the customers' phones (leg B, through the callback queue's own trunk; each
// answers, talks a second and hangs up). Build first: `npm run build`.
//
//   node bench/callbacks/run.mjs [--callbacks 10000] [--agents 200] [--spread 60] [--count] [--out file]
//                                [--rtpengine-ports N] [--attempts 1] [--retry-minutes 5] [--idle-seconds N] [--db-tcp]
//
// The servers reach MariaDB over its Unix socket when it runs on this host (the socket it names);
// `--db-tcp`: over TCP (host and port), as before.
//
// `--idle-seconds N`: once the agents are logged in and available, N seconds with nothing to
// route, and what every process spent in them (`idle`, CPU ms per second; with --count the
// servers' SQL and Redis per second); `--callbacks 0` stops there.
//
// The run has an rtpengine of its own (own ng port, own media ports): the shared one's range is
// sized for the test suites, and every bridged callback holds 4 of its ports (6 while leg A is
// re-INVITEd onto the customer's media). By default the range is 6 per agent (each agent has at
// most one callback call at a time) plus a margin; `--rtpengine-ports 40` makes it too small on
// purpose, to see what a media server out of ports does to callbacks (`--attempts 3
// --retry-minutes 1` to see them retried).
//
// The callbacks are written as a visitor's request writes them (a held interaction, the callback
// row, its `callback-due` job with the callback's id, delayed until its due time), spread evenly
// over `--spread` seconds starting 20 s after setup; writing 10,000 through the widget API would
// itself take longer than the minute. Measured:
// - due → queued: the due job's journey entry (`callback.due`) minus the due time (job lateness);
// - due → offered: the offer reaching the agent's socket minus the due time (with few agents this
//   is mostly waiting for a free agent: read it with `agents`);
// - accept → leg A INVITE: the accept sent on the socket to the INVITE for that agent's extension
//   at the PBX (sipp's trace; same clock);
// - exactly once: INVITEs per customer number at the customers' sipp (each must be 1), callbacks
//   not completed at the end (lost or failed), jobs per second, CPU of both servers per callback,
//   and of the whole machine's share (MariaDB, Redis, rtpengine, both sipps, this process);
// - with --count: SQL statements and Redis commands per callback, by their text (count-roundtrips.mjs;
//   the counting costs the servers a little CPU of its own).
// Prints one JSON document (also written to --out, default bench/callbacks/results.json).
import '../runtime.mjs';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import mysql from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { WebSocket } from 'ws';
import { makeConfigDir, setYaml } from '../../server/dist/test/config.js';
import { spawnServer, api, login } from '../../server/dist/test/server.js';
import { openQueues } from '../../server/dist/test/routing.js';
import { createDatabase, dropDatabase } from '../../server/dist/kernel/db/admin.js';
import { loadConfig } from '../../server/dist/kernel/config/load.js';
import { freePort } from '../../sip/dist/test/support/services.js';
import { countRoundTrips, perUnit } from './roundtrips.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const { values: opt } = parseArgs({
  options: {
    callbacks: { type: 'string', default: '10000' },
    agents: { type: 'string', default: '200' },
    spread: { type: 'string', default: '60' },
    count: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(here, 'results.json') },
    'rtpengine-ports': { type: 'string' },
    attempts: { type: 'string', default: '1' },
    'retry-minutes': { type: 'string', default: '5' },
    'idle-seconds': { type: 'string', default: '0' },
    'db-tcp': { type: 'boolean', default: false },
  },
});
const N = Number(opt.callbacks);
const AGENTS = Number(opt.agents);
const SPREAD_S = Number(opt.spread);
const IDLE_S = Number(opt['idle-seconds']);
/** Agents created and logged in at a time: setup is not measured, and one by one 1,000 took minutes. */
const SETUP_PARALLEL = 16;
const PORTS_PER_CALL = 6;
const RTP_PORTS = Number(opt['rtpengine-ports'] ?? AGENTS * PORTS_PER_CALL + 100);
const tag = randomBytes(4).toString('hex');
const dbName = `switchboard_bench_cb_${tag}`;
const loadavg = () => os.loadavg().map((x) => +x.toFixed(2));
const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]);
};
const summary = (xs) => ({ count: xs.length, p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), max: pct(xs, 100) });
const cpuMs = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null; // gone
  }
};
async function socketOf(db) {
  const c = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password });
  try {
    const [[{ socket }]] = await c.query('SELECT @@socket AS socket');
    return socket && existsSync(socket) ? socket : null;
  } finally {
    await c.end();
  }
}
/** The one process of this name (the one whose command line names `hint` when there are several). */
const pidOf = (name, hint) => {
  let rows;
  try {
    rows = execFileSync('pgrep', ['-a', '-x', name], { encoding: 'utf8' }).trim().split('\n').map((l) => [Number(l.split(' ')[0]), l]);
  } catch {
    return null;
  }
  return (rows.find(([, l]) => hint && l.includes(hint)) ?? rows[0])?.[0] ?? null;
};
/** Runs `fn` on each of `items`, `limit` at a time. */
async function pool(items, limit, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}
const log = (m) => process.stderr.write(`bench: ${m}\n`);

// Each sipp writes one line per message (-trace_shortmsg: time, direction, Call-ID, CSeq, first
// line), which is all the counting needs: the whole messages (-trace_msg) were ~7 KB a callback
// written by the phones, whose CPU the machine's figures count.
function sipp(scenario, port, calls, trace, extra = []) {
  const p = spawn('sipp', ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-m', String(calls), '-t', 'u1', '-nostdin',
    '-timeout', '3600s', '-max_recv_loops', '100000', '-aa', '-trace_shortmsg', '-shortmessage_file', trace, ...extra], { stdio: 'ignore', cwd: os.tmpdir() });
  return { proc: p, done: new Promise((r) => p.on('close', r)) };
}

/**
 * Initial INVITEs in a sipp trace: [time ms, Request-URI user], one per Call-ID at its first
 * sight — under load an INVITE retransmitted before sipp's 100 Trying is one call, not a second
 * dial (the 10,000 run would otherwise count it twice), and a re-INVITE is not a call either.
 */
function invitesIn(trace) {
  const out = [];
  const seen = new Set();
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    // date, time, epoch seconds, R(eceived) or S(ent), Call-ID, CSeq, first line
    const [, , epoch, dir, callId, , first] = line.split('\t');
    if (dir !== 'R' || !first) continue;
    const m = /^INVITE sip:([^@]+)@/.exec(first);
    if (!m || seen.has(callId)) continue;
    seen.add(callId);
    out.push([Math.round(Number(epoch) * 1000), m[1]]);
  }
  return out;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-cb-'));

/**
 * This run's rtpengine: media ports in 50000–60999 (above the project's 40000–49999), a random
 * even start so two runs rarely overlap (rtpengine skips a port something else holds).
 */
async function startRtpengine(ports) {
  const ngPort = await freePort();
  const first = 50000 + 2 * Math.floor(Math.random() * ((11000 - ports) / 2));
  const logFile = path.join(tmp, 'rtpengine.log');
  const { openSync } = await import('node:fs');
  const proc = spawn('rtpengine', ['--config-file=none', '--foreground', '--log-stderr', '--table=-1', '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${ngPort}`, `--port-min=${first}`, `--port-max=${first + ports - 1}`, `--pidfile=${path.join(tmp, 'rtpengine.pid')}`],
  { stdio: ['ignore', 'ignore', openSync(logFile, 'a')] });
  const { RtpEngineRelay } = await import('../../sip/dist/media/relay.js');
  const relay = new RtpEngineRelay({ host: '127.0.0.1', port: ngPort, timeout: 500 });
  for (let i = 0; !(await relay.ping()); i++) {
    if (i > 50 || proc.exitCode !== null) throw new Error(`rtpengine did not start (${logFile})`);
    await sleep(200);
  }
  relay.close();
  return { proc, ngPort, range: [first, first + ports - 1], logFile };
}
const rtp = await startRtpengine(RTP_PORTS);
process.on('exit', () => rtp.proc.exitCode === null && rtp.proc.kill('SIGTERM'));
const [pbxPort, customersPort] = [await freePort(), await freePort()];
const agentTrace = path.join(tmp, 'agents.log');
const customerTrace = path.join(tmp, 'customers.log');
// Leg A re-INVITEd onto the customer's media, then the BYE: the scenario of the media test.
const agentsPbx = sipp(path.join(repo, 'sip/test/sipp/uas-answer-reinvite-media.xml'), pbxPort, N * Number(opt.attempts), agentTrace, ['-set', 'rtp_port', '9', '-mp', String(await freePort())]);
const customersPbx = sipp(path.join(here, 'uas-customer-hangs-up.xml'), customersPort, N * Number(opt.attempts), customerTrace, ['-mp', String(await freePort())]);
const counter = opt.count ? countRoundTrips(tmp) : null;
const dialPlan = { countryCode: '39', outsideLinePrefix: '0' };
const dir = makeConfigDir({
  redisPrefix: `sbbench:cb:${tag}:`,
  set: openQueues({
    'switchboard.yaml:database.name': dbName,
    'switchboard.yaml:sip.enabled': true,
    // The licensed limit counts live interactions: at its default (50) most callbacks falling due
    // together are deferred a minute at a time, which is the product's rule, not the job path measured.
    'switchboard.yaml:licensing.maxConcurrentSessions': Number(process.env.BENCH_LICENSED_SESSIONS ?? 1_000_000),
    'switchboard.yaml:security.rateLimits.apiPerMinute': 1_000_000,
    'switchboard.yaml:security.rateLimits.loginPerMinute': 1_000_000,
    'switchboard.yaml:security.rateLimits.agentSocketCommandsPerMinute': 1_000_000,
    'switchboard.yaml:rtpengine.ngPort': rtp.ngPort,
    'trunks.yaml:trunks.0.port': pbxPort,
    'trunks.yaml:trunks.0.optionsPingSeconds': 0,
    'trunks.yaml:trunks.0.dialPlan': dialPlan,
    'trunks.yaml:trunks.1': { id: 'customers', name: 'Customers', host: '127.0.0.1', port: customersPort, optionsPingSeconds: 0, dialPlan },
    'queues.yaml:queues.3.callback': { trunk: 'customers', attempts: Number(opt.attempts), retryMinutes: Number(opt['retry-minutes']), answerTimeoutSeconds: 120 },
    'queues.yaml:queues.3.offerTimeoutSeconds': 600,
  }),
});
// The servers reach MariaDB over its Unix socket (database.socketPath), as on a single host,
// unless --db-tcp: the socket is the one the server says it has, so it is the same server.
const dbSocket = opt['db-tcp'] ? null : await socketOf(loadConfig(dir).main.database);
if (dbSocket) setYaml(dir, 'switchboard.yaml', 'database.socketPath', dbSocket);
const config = loadConfig(dir);
await createDatabase(config.main.database, dbName, true);
log(`starting two servers (${tmp})`);
const one = await spawnServer(dir);
const two = await spawnServer(dir);
const servers = [one, two];
const db = new DataSource({ type: 'mysql', host: config.main.database.host, port: config.main.database.port, socketPath: config.main.database.socketPath, username: config.main.database.user, password: config.main.database.password, database: dbName });
await db.initialize();
const dueQueue = new Queue('callback-due', { connection: { host: config.main.redis.host, port: config.main.redis.port }, prefix: `${config.main.redis.keyPrefix}jobs` });
const result = { benchmark: 'callbacks', date: new Date().toISOString(), node: process.version, machine: { cpus: os.cpus().length, loadBefore: loadavg() }, setup: {
  callbacks: N, agents: AGENTS, spreadSeconds: SPREAD_S, instances: 2, database: dbSocket ? `socket ${dbSocket}` : 'tcp', licensedSessions: config.main.licensing.maxConcurrentSessions, attempts: Number(opt.attempts), retryMinutes: Number(opt['retry-minutes']),
  // At most one callback call per agent at a time, each holding up to PORTS_PER_CALL media ports.
  rtpengine: { own: true, mediaPorts: RTP_PORTS, range: rtp.range, portsPerCall: PORTS_PER_CALL, callsItFits: Math.floor(RTP_PORTS / PORTS_PER_CALL), concurrentCallsAtMost: AGENTS },
} };
const sockets = [];
/**
 * Every process the run keeps busy, by pid: CPU per callback is the machine's, not only the
 * servers' (MariaDB and Redis are the shared ones, found by name; Redis by its port).
 */
const busy = {
  serverOne: one.proc.pid, serverTwo: two.proc.pid, mariadbd: pidOf('mariadbd'), redis: pidOf('redis-server', `:${config.main.redis.port}`),
  rtpengine: rtp.proc.pid, sippAgents: agentsPbx.proc.pid, sippCustomers: customersPbx.proc.pid, bench: process.pid,
};
/** CPU of this process's children that have exited (a child's time moves to its parent once reaped). */
const exitedChildrenMs = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
};
// The sipps exit once they have had all their calls, usually before the window closes: their
// time is then in exitedChildren (whole lifetimes; idle before the window), not under their names.
const cpuNow = () => ({ ...Object.fromEntries(Object.entries(busy).map(([k, pid]) => [k, pid ? cpuMs(pid) : null])), exitedChildren: exitedChildrenMs() });
/**
 * Read and write system calls of a process (/proc/<pid>/io): on this kind of machine a write that
 * wakes the process at the other end (MariaDB, Redis, a sipp, rtpengine, a desktop) costs tens of
 * µs, so what the processes say to each other per callback is a cost of its own.
 */
const syscallsOf = (pid) => {
  try {
    const io = Object.fromEntries(readFileSync(`/proc/${pid}/io`, 'utf8').trim().split('\n').map((l) => l.split(': ')));
    return { reads: Number(io.syscr), writes: Number(io.syscw) };
  } catch {
    return null;
  }
};
const syscallsNow = () => Object.fromEntries(Object.entries(busy).map(([k, pid]) => [k, pid ? syscallsOf(pid) : null]));
const syscallsPerCallback = (before, after = syscallsNow()) => Object.fromEntries(Object.keys(after).filter((k) => before[k] && after[k]).map((k) => [k, {
  reads: +((after[k].reads - before[k].reads) / N).toFixed(1), writes: +((after[k].writes - before[k].writes) / N).toFixed(1),
}]));
const cpuSince = (before, after = cpuNow()) => Object.fromEntries(Object.keys(after).map((k) => [k, before[k] === null || after[k] === null ? null : +(after[k] - before[k]).toFixed(0)]));
const total = (ms) => Object.values(ms).reduce((a, b) => a + (b ?? 0), 0);
/**
 * MariaDB's own counters (global, so the bench's own few polls are in them): what the load asked
 * of it per callback — statements, commits, redo log writes and flushes, rows.
 */
const DB_COUNTERS = ['Questions', 'Com_stmt_execute', 'Com_insert', 'Com_insert_select', 'Com_update', 'Com_update_multi', 'Com_select', 'Com_begin', 'Com_commit',
  'Handler_commit', 'Innodb_log_writes', 'Innodb_os_log_fsyncs', 'Innodb_data_fsyncs', 'Innodb_rows_inserted', 'Innodb_rows_updated', 'Innodb_rows_read', 'Threads_created'];
const dbStatus = async () => Object.fromEntries((await db.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (${DB_COUNTERS.map(() => '?').join(', ')})`, DB_COUNTERS)).map((r) => [r.Variable_name, Number(r.Value)]));
try {
  // ---- agents: each an extension at the PBX (no softphone), a desktop socket on one of the two servers
  const admin = await login(one.url);
  const offeredAt = new Map();
  // What the desktops were sent over the measured window, by message type.
  const desktopMessages = new Map();
  let counting = false;
  const accepts = []; // [interactionId, extension, t]
  const agents = [];
  await pool(Array.from({ length: AGENTS }, (_, k) => k), SETUP_PARALLEL, async (k) => {
    const username = `bench-${tag}-${k}`;
    const extension = String(700000 + k);
    const r = await api(one.url, 'POST', '/api/agents', { username, name: `Bench ${k}`, role: 'agent', password: 'bench-password-1', extension, capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
    if (r.status !== 201) throw new Error(`agent: ${r.status} ${JSON.stringify(r.body)}`);
    const url = servers[k % 2].url;
    const token = await login(url, username, 'bench-password-1');
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/agent`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (counting) desktopMessages.set(m.type, (desktopMessages.get(m.type) ?? 0) + 1);
      const offers = m.type === 'offer' ? [m.offer] : m.type === 'snapshot' ? m.offers : [];
      for (const o of offers) {
        if (o.channel !== 'callback' || offeredAt.has(o.interactionId)) continue;
        offeredAt.set(o.interactionId, Date.now());
        accepts.push([o.interactionId, extension, Date.now()]);
        ws.send(JSON.stringify({ type: 'offer.accept', offerId: o.offerId }));
      }
    });
    sockets.push(ws);
    agents.push({ url, token });
    const s = await api(url, 'PUT', '/api/agents/me/state', { state: 'available' }, token);
    if (s.status !== 200) throw new Error(`state: ${s.status} ${JSON.stringify(s.body)}`);
  });
  log(`${AGENTS} agents available`);

  // ---- idle: the agents logged in and available, nothing to route; what the servers spend anyway
  if (IDLE_S > 0) {
    log(`idle for ${IDLE_S} s`);
    const idleCounts0 = await counter?.snapshot(servers.map((s) => s.proc.pid));
    const [c0, t0] = [cpuNow(), Date.now()];
    await sleep(IDLE_S * 1000);
    const [ms, seconds] = [cpuSince(c0), (Date.now() - t0) / 1000];
    // Per second (the counting's own snapshots fall outside the CPU window).
    if (counter) result.idleRoundTripsPerSecond = perUnit(idleCounts0, await counter.snapshot(servers.map((s) => s.proc.pid)), seconds);
    const perSecond = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v === null ? null : +(v / seconds).toFixed(1)]));
    result.idle = { seconds: +seconds.toFixed(1), agentsAvailable: AGENTS, cpuMsPerSecond: perSecond, serversMsPerSecond: +((ms.serverOne + ms.serverTwo) / seconds).toFixed(1), load: loadavg() };
  }

  if (N > 0) {
    // ---- the callbacks, as a request writes them, due evenly over the spread
    const start = Date.now() + 20_000;
    const due = new Map(); // interactionId → due ms
    const numberOf = new Map(); // dialled number → callbackId
    const callbackIds = [];
    for (let k = 0; k < N; k += 500) {
      const rows = [];
      for (let j = k; j < Math.min(N, k + 500); j++) {
        const at = start + Math.floor((j * SPREAD_S * 1000) / N);
        const id = randomBytes(16).toString('hex');
        const interactionId = randomBytes(16).toString('hex');
        const phone = `06${String(j).padStart(8, '0')}`;
        rows.push({ id, interactionId, phone, at });
        due.set(interactionId, at);
        numberOf.set(`0${phone}`, id);
        callbackIds.push(id);
      }
      const when = (ms) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
      await db.query(
        `INSERT INTO interactions (id, channel, direction, state, queueId, websiteId, contactId, assignedAgentId, routingVariables, subject, dispositionId, unmanaged, offline, timedOut, visitorTokenHash, queuedAt, assignedAt, closedAt)
         VALUES ${rows.map(() => "(?, 'callback', 'inbound', 'new', 'callbacks', 'example', NULL, NULL, '{}', ?, NULL, 0, 0, 0, NULL, NULL, NULL, NULL)").join(', ')}`,
        rows.flatMap((r) => [r.interactionId, `Callback to ${r.phone}`]),
      );
      await db.query(
        `INSERT INTO callbacks (id, interactionId, phoneNumber, message, asap, slotStart, slotEnd, dueAt, state, attempts, jobId, lastCause)
         VALUES ${rows.map(() => "(?, ?, ?, NULL, 0, NULL, NULL, ?, 'scheduled', 0, ?, NULL)").join(', ')}`,
        rows.flatMap((r) => [r.id, r.interactionId, r.phone, when(r.at), r.id]),
      );
      await dueQueue.addBulk(rows.map((r) => ({
        name: 'callback-due',
        data: { callbackId: r.id },
        opts: { jobId: r.id, delay: Math.max(0, r.at - Date.now()), attempts: 10, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 7 * 86_400 } },
      })));
    }
    const written = Date.now();
    if (written > start) log(`writing took past the first due time by ${written - start} ms`);
    log(`${N} callbacks written, first due in ${Math.round((start - written) / 1000)} s`);
    const counts0 = await counter?.snapshot(servers.map((s) => s.proc.pid));
    const cpu0 = servers.map((s) => cpuMs(s.proc.pid));
    const machine0 = cpuNow();
    const db0 = await dbStatus();
    const sys0 = syscallsNow();
    counting = true;
    const load0 = loadavg();

    // ---- wait until every callback has ended (or nothing moves for two minutes)
    let last = -1;
    let still = Date.now();
    let ended = [];
    for (;;) {
      await sleep(2000);
      ended = await db.query(`SELECT state, COUNT(*) AS n FROM callbacks WHERE state NOT IN ('scheduled', 'queued', 'dialling') GROUP BY state`);
      const n = ended.reduce((a, r) => a + Number(r.n), 0);
      if (n !== last) (last = n), (still = Date.now());
      log(`${n}/${N} ended, load ${loadavg()[0]}`);
      if (n >= N || Date.now() - still > 120_000) break;
    }
    const cpu1 = servers.map((s) => cpuMs(s.proc.pid));
    const machineMs = cpuSince(machine0);
    const db1 = await dbStatus();
    const syscalls = syscallsPerCallback(sys0);
    counting = false;
    if (counter) result.roundTripsPerCallback = perUnit(counts0, await counter.snapshot(servers.map((s) => s.proc.pid)), N);
    const load1 = loadavg();

    // ---- what happened
    const journeyLate = async (type) => {
      const rows = await db.query(`SELECT e.interactionId, MIN(e.at) AS at FROM interaction_events e JOIN callbacks c ON c.interactionId = e.interactionId WHERE e.type = ? GROUP BY e.interactionId`, [type]);
      return rows.map((r) => new Date(r.at).getTime() - due.get(r.interactionId)).filter(Number.isFinite);
    };
    const queued = await journeyLate('queued');
    const dueDone = await journeyLate('callback.due');
    const deferred = await db.query(`SELECT COUNT(*) AS n FROM interaction_events e JOIN callbacks c ON c.interactionId = e.interactionId WHERE e.type = 'callback.deferred'`);
    const causes = await db.query(`SELECT state, lastCause, COUNT(*) AS n FROM callbacks WHERE state <> 'completed' GROUP BY state, lastCause`);
    const attemptRows = await db.query(`SELECT outcome, cause, COUNT(*) AS n FROM callback_attempts GROUP BY outcome, cause ORDER BY n DESC`);
    // What rtpengine itself said when it refused (its log: "Ran out of ports" per refused offer).
    const rtpLog = readFileSync(rtp.logFile, 'utf8');
    const refusals = {};
    for (const m of rtpLog.matchAll(/Protocol error in packet from [^:]+:\d+: ([^[]+?) \[/g)) refusals[m[1]] = (refusals[m[1]] ?? 0) + 1;
    const offered = [...offeredAt].map(([i, t]) => t - due.get(i)).filter(Number.isFinite);
    const aInvites = new Map();
    for (const [t, user] of invitesIn(agentTrace)) {
      if (!aInvites.has(user)) aInvites.set(user, []);
      aInvites.get(user).push(t);
    }
    const legA = [];
    const legAInviteOf = new Map(); // interactionId → [accept sent, INVITE at the PBX]
    const byExt = new Map();
    for (const [interactionId, ext, t] of accepts) (byExt.get(ext) ?? byExt.set(ext, []).get(ext)).push([interactionId, t]);
    for (const [ext, ts] of byExt) {
      const inv = aInvites.get(ext) ?? [];
      ts.forEach(([interactionId, t], k) => {
        if (inv[k] === undefined) return;
        legA.push(inv[k] - t);
        legAInviteOf.set(interactionId, [t, inv[k]]);
      });
    }
    // accept → leg A in its steps, by the journey's times (same clock): the accept recorded
    // ('assigned', written before the bus event that starts dialling), the dial job past its
    // exactly-once guard ('callback.dialling'), the INVITE at the PBX.
    const stepAt = async (type) => new Map((await db.query(
      `SELECT e.interactionId, MIN(e.at) AS at FROM interaction_events e JOIN callbacks c ON c.interactionId = e.interactionId WHERE e.type = ? GROUP BY e.interactionId`, [type],
    )).map((r) => [r.interactionId, new Date(r.at).getTime()]));
    const [assignedAt, diallingAt] = [await stepAt('assigned'), await stepAt('callback.dialling')];
    const steps = { acceptToAssigned: [], assignedToDialling: [], diallingToInvite: [] };
    for (const [i, [t, invite]] of legAInviteOf) {
      const [a, d] = [assignedAt.get(i), diallingAt.get(i)];
      if (a === undefined || d === undefined) continue;
      steps.acceptToAssigned.push(a - t);
      steps.assignedToDialling.push(d - a);
      steps.diallingToInvite.push(invite - d);
    }
    const dialled = new Map();
    for (const [, user] of invitesIn(customerTrace)) dialled.set(user, (dialled.get(user) ?? 0) + 1);
    const counts = [...numberOf.keys()].map((n) => dialled.get(n) ?? 0);
    const states = Object.fromEntries(ended.map((r) => [r.state, Number(r.n)]));
    const span = await db.query(`SELECT MIN(e.at) AS first, MAX(a.endedAt) AS last FROM interaction_events e JOIN callbacks c ON c.interactionId = e.interactionId JOIN callback_attempts a ON a.callbackId = c.id WHERE e.type = 'callback.due'`);
    const seconds = (new Date(span[0].last).getTime() - new Date(span[0].first).getTime()) / 1000;
    const cpu = cpu1.map((c, k) => c - cpu0[k]);
    Object.assign(result, {
      machine: { ...result.machine, loadAtStart: load0, loadAtEnd: load1 },
      // queued: the interaction entered the callback queue (journey `queued`); due job done: its
      // `callback.due` entry, written once routing returned (after the offer, when an agent was free).
      lateMs: {
        dueToQueued: summary(queued), dueToDueJobDone: summary(dueDone), dueToOffered: summary(offered), acceptToLegAInvite: summary(legA),
        acceptToLegASteps: Object.fromEntries(Object.entries(steps).map(([k, xs]) => [k, summary(xs)])),
      },
      exactlyOnce: {
        dialledOnce: counts.filter((c) => c === 1).length,
        dialledTwiceOrMore: counts.filter((c) => c > 1).length,
        neverDialled: counts.filter((c) => c === 0).length,
        customerInvites: [...dialled.values()].reduce((a, b) => a + b, 0),
        callbackStates: states,
        notCompleted: causes.map((r) => ({ state: r.state, cause: r.lastCause, count: Number(r.n) })),
        notEnded: N - Object.values(states).reduce((a, b) => a + b, 0),
        // due while over the licensed limit: scheduled again a minute later (new job id)
        deferrals: Number(deferred[0].n),
        attempts: attemptRows.map((r) => ({ outcome: r.outcome, cause: r.cause, count: Number(r.n) })),
      },
      rtpengineRefusals: refusals,
      throughput: { firstDueToLastEndSeconds: +seconds.toFixed(1), callbacksPerSecond: +(N / seconds).toFixed(1) },
      cpu: {
        serverMs: cpu, msPerCallback: +((cpu[0] + cpu[1]) / N).toFixed(2),
        // From the callbacks written to the last one ended: the servers and everything they used.
        processesMs: machineMs, machineMsPerCallback: +(total(machineMs) / N).toFixed(2),
      },
      syscallsPerCallback: syscalls,
      desktopMessagesPerCallback: Object.fromEntries([...desktopMessages].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +(v / N).toFixed(2)])),
      mariadbPerCallback: Object.fromEntries(DB_COUNTERS.filter((k) => k in db0 && k in db1).map((k) => [k, +((db1[k] - db0[k]) / N).toFixed(2)])),
    });
  }
} finally {
  for (const ws of sockets) ws.close();
  await Promise.all(servers.map((s) => s.stop()));
  agentsPbx.proc.kill('SIGKILL');
  customersPbx.proc.kill('SIGKILL');
  rtp.proc.kill('SIGTERM');
  await dueQueue.close();
  // Everything this run left in Redis (routing state, jobs) goes with its prefix.
  const { Redis } = await import('ioredis');
  const redis = new Redis({ host: config.main.redis.host, port: config.main.redis.port });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.main.redis.keyPrefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  await db.destroy();
  await dropDatabase(config.main.database, dbName);
}
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
writeFileSync(opt.out, JSON.stringify(result, null, 2) + '\n');
process.exit(0);
