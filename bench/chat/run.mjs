// Chat relay benchmark: concurrent chat rooms on a real Switchboard process (spawned, as in
// production) with its own Prosody (configured as shipped), the project's MariaDB and Redis.
// Build first: `npx tsc -b server`.
//
//   node bench/chat/run.mjs [--rooms 200] [--rate 100] [--seconds 20] [--workers 2]
//
// The load comes from separate processes (this file run with --role), so the measuring side is
// never the bottleneck: one process holding thousands of sockets and parsing every frame is what
// made the first versions report seconds of latency for a bare Prosody.
// 1. Agent processes open the agents' desktop sockets (20 chats per agent) and accept every offer;
//    `--rooms` visitors start chats through the widget API; visitor processes subscribe to them.
// 2. Warm-up: one line per room, until every room has relayed one (rooms exist, occupants joined).
// 3. chat: for `--seconds`, visitor processes send `--rate` lines per second in total; each line
//    carries its send time, and the agent process that receives it (stored in MySQL, relayed
//    through the room as the visitor's occupant, echoed, fanned out over the Redis bus) records
//    receive − send. Same machine, same clock.
// 4. bare: two more processes, a sender and a receiver (both plain XMPP clients), join as many
//    rooms of the same Prosody first; then the same rate of groupchat messages, send → received.
// 5. memory: server RSS before the chats and with every room active, per active chat; server CPU,
//    MySQL writes and Redis publishes per line during the chat phase.
// Prints one JSON document (also written to --out, default bench/chat/results.json).
import '../runtime.mjs';
import { fork } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { xml } from '@xmpp/client';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);
const { values: opt } = parseArgs({
  options: {
    rooms: { type: 'string', default: '200' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    workers: { type: 'string', default: '2' },
    out: { type: 'string', default: path.join(here, 'results.json') },
    role: { type: 'string' },
  },
});
const ORIGIN = 'http://127.0.0.1:8081';
const PER_AGENT = 20;
/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes. */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const r3 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : +x.toFixed(3));

function socket(url, headers) {
  const ws = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      // A reset while the server stops at the end is expected; it must not end the run.
      ws.on('error', () => undefined);
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

/** Sends `count` items at `rate` per second on a fixed schedule (no drift, no catch-up bursts beyond one tick). */
async function paced(count, rate, send) {
  const start = now();
  for (let k = 0; k < count; k++) {
    const wait = start + (k * 1000) / rate - now();
    if (wait > 1) await sleep(wait);
    send(k);
  }
}

const roles = {
  /** Desktop sockets of some agents: accept offers, count assignments, time visitor lines. */
  async agents(msg, reply) {
    const latencies = [];
    let warm = 0;
    let assigned = 0;
    for (const token of msg.tokens) {
      const ws = await socket(`${msg.wsUrl}/ws/agent`, { authorization: `Bearer ${token}` });
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        if (m.type === 'offer') ws.send(JSON.stringify({ type: 'offer.accept', offerId: m.offer.offerId }));
        else if (m.type === 'ok' && m.interaction) assigned++;
        else if (m.type === 'chat.message' && m.message.authorKind === 'visitor') {
          const [kind, sent] = (m.message.clientMessageId ?? '').split(':');
          if (kind === 'w') warm++;
          else if (kind === 'b') latencies.push([Number(sent), now() - Number(sent)]);
        }
      });
    }
    reply({ ready: true });
    process.on('message', (m) => {
      if (m.cmd === 'count') reply({ assigned, warm, received: latencies.length });
      if (m.cmd === 'latencies') reply({ latencies: latencies.splice(0) });
    });
  },

  /** Widget sockets of some visitors: subscribe, warm up, then send their share of the rate. */
  async visitors(msg, reply) {
    const mine = [];
    for (const v of msg.chats) {
      const ws = await socket(`${msg.wsUrl}/ws/widget?website=example`, { origin: ORIGIN });
      ws.send(JSON.stringify({ type: 'chat.subscribe', interactionId: v.interactionId, token: v.token }));
      mine.push({ ...v, ws });
    }
    reply({ ready: true });
    process.on('message', async (m) => {
      if (m.cmd === 'warm') {
        for (const v of mine) v.ws.send(JSON.stringify({ type: 'chat.send', interactionId: v.interactionId, clientMessageId: `w:${v.interactionId}`, body: 'hello' }));
        reply({ warmSent: mine.length });
      }
      if (m.cmd === 'run') {
        await paced(m.count, m.rate, (k) => {
          const v = mine[k % mine.length];
          v.ws.send(JSON.stringify({ type: 'chat.send', interactionId: v.interactionId, clientMessageId: `b:${now().toFixed(3)}:${m.offset + k}`, body: `line ${k}` }));
        });
        reply({ done: true });
      }
    });
  },

  /** A plain XMPP client in every bare room: 'send' writes at the rate, 'receive' times them. */
  async bare(msg, reply) {
    const x = msg.xmpp;
    // Prosody's client port requires TLS: STARTTLS, trusting the project's certificate (scripts/services.sh).
    const { starttlsClient, projectCertificate } = await import('../../server/dist/modules/chat/xmpp-tls-client.js');
    const c = starttlsClient({
      service: `xmpp://${x.host}:${x.port}`, domain: x.domain, username: x.serviceUser, password: x.servicePassword, resource: `bench-${msg.nick}-${process.pid}`,
      credentials: (auth, mechanisms) => auth({ username: x.serviceUser, password: x.servicePassword }, mechanisms.includes('PLAIN') ? 'PLAIN' : mechanisms[0]),
    }, projectCertificate(x));
    c.on('error', () => undefined);
    await c.start();
    const latencies = [];
    const waiting = new Map();
    c.on('stanza', (s) => {
      if (s.is('presence')) {
        const w = waiting.get(s.attrs.from);
        if (w) (waiting.delete(s.attrs.from), w());
        return;
      }
      if (msg.nick === 'receiver' && s.is('message') && s.attrs.type === 'groupchat' && s.attrs.from?.endsWith('/sender')) {
        const sent = Number(s.getChildText('body'));
        if (Number.isFinite(sent)) latencies.push([sent, now() - sent]);
      }
    });
    for (let n = 0; n < msg.rooms.length; n += 50) {
      await Promise.all(
        msg.rooms.slice(n, n + 50).map(
          (room) =>
            new Promise((resolve) => {
              waiting.set(`${room}/${msg.nick}`, resolve);
              c.send(xml('presence', { to: `${room}/${msg.nick}` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('history', { maxstanzas: '0' }))));
            }),
        ),
      );
    }
    reply({ ready: true });
    process.on('message', async (m) => {
      if (m.cmd === 'run') {
        await paced(m.count, m.rate, (k) => c.send(xml('message', { to: msg.rooms[k % msg.rooms.length], type: 'groupchat' }, xml('body', {}, now().toFixed(3)))));
        reply({ done: true });
      }
      if (m.cmd === 'count') reply({ received: latencies.length });
      if (m.cmd === 'latencies') reply({ latencies: latencies.splice(0) });
      if (m.cmd === 'stop') {
        if (msg.nick === 'sender') for (const room of msg.rooms) await c.send(xml('iq', { type: 'set', to: room, id: `d${room}` }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, xml('destroy'))));
        await Promise.race([c.stop().catch(() => undefined), sleep(1000)]);
        reply({ stopped: true });
      }
    });
  },
};

if (opt.role) {
  // A load process: one message with its work, then commands; every answer goes back over IPC.
  const reply = (m) => process.send(m);
  process.once('message', (msg) => roles[opt.role](msg, reply).catch((err) => reply({ error: err.message })));
  process.on('disconnect', () => process.exit(0));
} else {
  await main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}

/** A load process, with request/answer over IPC. */
function worker(role, init) {
  // BENCH_LOAD_NODE_ARGS (e.g. --trace-gc) for the load processes alone, to tell their pauses from the server's.
  const execArgv = (process.env.BENCH_LOAD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = fork(self, ['--role', role], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue = [];
  proc.on('message', (m) => {
    if (m.error) throw new Error(`${role} process: ${m.error}`);
    queue.shift()?.(m);
  });
  const ask = (m) => new Promise((resolve) => (queue.push(resolve), m && proc.send(m)));
  return { proc, ask, ready: ask(init) };
}

function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}
function rssKb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

async function main() {
  process.stderr.write("bench: setting up\n");
  const { makeConfigDir } = await import('../../server/dist/test/config.js');
  const { spawnServer, login } = await import('../../server/dist/test/server.js');
  const { openQueues } = await import('../../server/dist/test/routing.js');
  const { createDatabase, dropDatabase } = await import('../../server/dist/kernel/db/admin.js');
  const { loadConfig } = await import('../../server/dist/kernel/config/load.js');
  const { TEST_DB } = await import('../../server/dist/test/env.js');
  const { ScratchProsody } = await import('../../server/dist/test/scratch-prosody.js');
  const { DataSource } = await import('typeorm');
  const { Redis } = await import('ioredis');

  const ROOMS = Number(opt.rooms);
  const RATE = Number(opt.rate);
  const SECONDS = Number(opt.seconds);
  const WORKERS = Math.max(1, Number(opt.workers));
  const percentile = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null;
  };
  /**
   * Where the slow lines were: lines grouped by when they were sent (100 ms windows); a window whose
   * slowest line took over 100 ms is a stall. Few long stalls point at a pause somewhere (a
   * collector, a flush); many short ones at a busy machine.
   */
  const stalls = (pairs, t0) => {
    const windows = new Map();
    for (const [sent, ms] of pairs) {
      const w = Math.floor((sent - t0) / 100);
      windows.set(w, Math.max(windows.get(w) ?? 0, ms));
    }
    const slow = [...windows].filter(([, ms]) => ms > 100).sort((a, b) => b[1] - a[1]);
    return { windowsOver100ms: slow.length, of: windows.size, worst: slow.slice(0, 8).map(([w, ms]) => ({ atSecond: w / 10, maxMs: r3(ms) })) };
  };
  const summary = (xs) => ({ count: xs.length, p50: r3(percentile(xs, 50)), p90: r3(percentile(xs, 90)), p99: r3(percentile(xs, 99)), max: r3(xs.reduce((a, b) => Math.max(a, b), 0)) });
  const split = (xs, n) => Array.from({ length: n }, (_, k) => xs.filter((_, i) => i % n === k)).filter((p) => p.length);

  async function api(url, method, p, body, token, headers = {}) {
    const res = await globalThis.fetch(url + p, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  // ---- set-up: a database, a configuration, a Prosody (configured as shipped, on its own ports, so
  // other programs using the project's Prosody do not share it) and a server process of our own
  const prosody = await ScratchProsody.create(loadConfig(makeConfigDir()).main.xmpp);
  await prosody.start();
  const prosodyPid = () => Number(readFileSync(path.join(prosody.dir, 'prosody.pid'), 'utf8').trim());
  const configDir = makeConfigDir({
    redisPrefix: `bench:chat:${process.pid}:`,
    set: openQueues({ 'switchboard.yaml:licensing.maxConcurrentSessions': ROOMS + 100, 'queues.yaml:queues.0.offerTimeoutSeconds': 60, ...prosody.settings }),
  });
  const config = loadConfig(configDir);
  await createDatabase(config.main.database, TEST_DB, true);
  const server = await spawnServer(configDir);
  // The server's warnings and errors, kept to explain a failed run.
  const serverLog = [];
  // SWITCHBOARD_SERVER_LOG=file keeps the server's whole output (with SWITCHBOARD_SERVER_NODE_ARGS=--trace-gc, its collections).
  const fullLog = process.env.SWITCHBOARD_SERVER_LOG;
  server.proc.stdout.on('data', (d) => {
    if (fullLog) appendFileSync(fullLog, d);
    for (const line of d.toString().split('\n')) if (/"level":(40|50|60)/.test(line)) serverLog.push(line.slice(0, 600)) > 500 && serverLog.shift();
  });
  const url = server.url;
  const wsUrl = url.replace('http', 'ws');
  const result = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((x) => +x.toFixed(2)) }, rooms: ROOMS, rate: RATE, seconds: SECONDS, workers: WORKERS };
  result.errors = [];
  process.on('uncaughtException', (err) => result.errors.push(`${err.code ?? ''} ${err.message}`.trim()));
  const procs = [];
  const db = new DataSource({ type: 'mysql', host: config.main.database.host, port: config.main.database.port, username: config.main.database.user, password: config.main.database.password });
  const redis = new Redis({ host: config.main.redis.host, port: config.main.redis.port, lazyConnect: true });
  try {
    await db.initialize();
    await redis.connect();
    for (let i = 0; i < 100; i++) {
      if ((await globalThis.fetch(`${url}/ready`)).status === 200) break;
      await sleep(200);
    }
    const admin = await login(url);
    const tokens = [];
    for (let a = 0; a < Math.ceil(ROOMS / PER_AGENT); a++) {
      const username = `bench-${randomBytes(4).toString('hex')}`;
      await api(url, 'POST', '/api/agents', { username, name: username, role: 'agent', password: 'bench-password-1', skills: [{ skill: 'english', level: 9 }], capacity: { phone: 0, video: 0, chat: PER_AGENT, callback: 0, mail: 0, total: PER_AGENT } }, admin);
      tokens.push(await login(url, username, 'bench-password-1'));
    }
    const agentProcs = split(tokens, WORKERS).map((ts) => worker('agents', { wsUrl, tokens: ts }));
    procs.push(...agentProcs);
    await Promise.all(agentProcs.map((w) => w.ready));
    for (const token of tokens) await api(url, 'PUT', '/api/agents/me/state', { state: 'available' }, token);
    await sleep(1000);
    const rssBefore = rssKb(server.proc.pid);
    const prosodyBefore = rssKb(prosodyPid());
    const count = async (ws) => (await Promise.all(ws.map((w) => w.ask({ cmd: 'count' })))).reduce((a, c) => ({ assigned: a.assigned + (c.assigned ?? 0), warm: a.warm + (c.warm ?? 0), received: a.received + (c.received ?? 0) }), { assigned: 0, warm: 0, received: 0 });

    // ---- rooms
    const chats = [];
    const t0 = now();
    const startOne = async (n) => {
      const start = await api(url, 'POST', '/api/widget/example/chats', { fields: { name: `Visitor ${n}`, email: `v${n}-${process.pid}@bench.example`, topic: 'order', privacy: true }, option: 'orders' }, undefined, { origin: ORIGIN });
      if (start.outcome !== 'queued') throw new Error(`chat ${n} not queued: ${JSON.stringify(start)}`);
      chats.push({ interactionId: start.interactionId, token: start.token });
    };
    for (let n = 0; n < ROOMS; n += 10) await Promise.all(Array.from({ length: Math.min(10, ROOMS - n) }, (_, k) => startOne(n + k)));
    const visitorProcs = split(chats, WORKERS).map((cs) => worker('visitors', { wsUrl, chats: cs }));
    procs.push(...visitorProcs);
    await Promise.all(visitorProcs.map((w) => w.ready));
    let c = await count(agentProcs);
    while (c.assigned < ROOMS && now() - t0 < 600_000) (await sleep(250), (c = await count(agentProcs)));
    result.setup = { roomsAssigned: c.assigned, seconds: r3((now() - t0) / 1000) };

    // Warm-up: a line through every room (rooms, occupants and caches in place), then a pause.
    await Promise.all(visitorProcs.map((w) => w.ask({ cmd: 'warm' })));
    const warm = now();
    while (c.warm < ROOMS && now() - warm < 300_000) (await sleep(250), (c = await count(agentProcs)));
    result.setup.warmUpLost = ROOMS - c.warm;
    result.setup.warmUpSeconds = r3((now() - warm) / 1000);
    await sleep(2000);
    await Promise.all(agentProcs.map((w) => w.ask({ cmd: 'latencies' })));
    const rssActive = rssKb(server.proc.pid);
    const prosodyActive = rssKb(prosodyPid());
    result.memory = {
      serverRssBeforeKb: rssBefore,
      serverRssActiveKb: rssActive,
      perActiveChatKb: r3((rssActive - rssBefore) / ROOMS),
      prosodyRssBeforeKb: prosodyBefore,
      prosodyRssActiveKb: prosodyActive,
      prosodyPerRoomKb: r3((prosodyActive - prosodyBefore) / ROOMS),
    };

    // ---- chat phase, with the server's cost per line
    const status = async () => {
      const rows = await db.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_insert', 'Com_update', 'Com_select')");
      const stats = await redis.info('commandstats');
      const calls = (cmd) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      return { ...Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)])), publish: calls('publish'), redisCalls: [...stats.matchAll(/calls=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0), cpu: cpuMs(server.proc.pid), prosodyCpu: cpuMs(prosodyPid()) };
    };
    const total = RATE * SECONDS;
    const s0 = await status();
    const startAt = now();
    const shares = visitorProcs.map((_, k) => Math.floor(total / visitorProcs.length) + (k < total % visitorProcs.length ? 1 : 0));
    let offset = 0;
    await Promise.all(visitorProcs.map((w, k) => w.ask({ cmd: 'run', count: shares[k], rate: RATE / visitorProcs.length, offset: (offset += shares[k]) - shares[k] })));
    const sentFor = (now() - startAt) / 1000;
    while (c.received < total && now() - startAt < (SECONDS + 30) * 1000) (await sleep(250), (c = await count(agentProcs)));
    const s1 = await status();
    const timed = (await Promise.all(agentProcs.map((w) => w.ask({ cmd: 'latencies' })))).flatMap((r) => r.latencies);
    const latencies = timed.map(([, ms]) => ms);
    const per = (k) => r3((s1[k] - s0[k]) / total);
    result.chat = {
      sent: total,
      received: latencies.length,
      lost: total - latencies.length,
      achievedRatePerSecond: r3(total / sentFor),
      latencyMs: summary(latencies),
      stalls: stalls(timed, startAt),
      perLine: { serverCpuMs: per('cpu'), prosodyCpuMs: per('prosodyCpu'), mysqlInserts: per('Com_insert'), mysqlUpdates: per('Com_update'), mysqlSelects: per('Com_select'), redisPublishes: per('publish'), redisCommands: per('redisCalls') },
    };
    writeFileSync(opt.out, JSON.stringify(result, null, 2) + '\n');

    // ---- bare Prosody MUC round trip, same rate, same number of rooms, joined before timing
    const x = { ...config.main.xmpp, port: prosody.xmpp.port };
    const rooms = Array.from({ length: ROOMS }, (_, n) => `bench-${process.pid}-${n}@${x.mucDomain}`);
    const sender = worker('bare', { xmpp: x, rooms, nick: 'sender' });
    procs.push(sender);
    await sender.ready; // the sender (an admin) creates the rooms
    const receiver = worker('bare', { xmpp: x, rooms, nick: 'receiver' });
    procs.push(receiver);
    await receiver.ready;
    await sleep(1000);
    const bareStart = now();
    await sender.ask({ cmd: 'run', count: total, rate: RATE });
    let got = (await receiver.ask({ cmd: 'count' })).received;
    while (got < total && now() - bareStart < (SECONDS + 30) * 1000) (await sleep(250), (got = (await receiver.ask({ cmd: 'count' })).received));
    const bareTimed = (await receiver.ask({ cmd: 'latencies' })).latencies;
    result.bare = { sent: total, lost: total - bareTimed.length, latencyMs: summary(bareTimed.map(([, ms]) => ms)), stalls: stalls(bareTimed, bareStart) };
    await Promise.all([sender.ask({ cmd: 'stop' }), receiver.ask({ cmd: 'stop' })]);
    result.ratio = { p50: r3(result.chat.latencyMs.p50 / result.bare.latencyMs.p50), p99: r3(result.chat.latencyMs.p99 / result.bare.latencyMs.p99) };
    result.target = { p99Under100ms: result.chat.latencyMs.p99 !== null && result.chat.latencyMs.p99 < 100, p99AtMost1_5xBare: result.ratio.p99 !== null && result.ratio.p99 <= 1.5 };
    result.machine.loadavgAfter = os.loadavg().map((v) => +v.toFixed(2));
  } catch (err) {
    process.stderr.write(`server warnings and errors:\n${serverLog.join('\n')}\n`);
    throw err;
  } finally {
    result.serverWarnings = serverLog.length;
    // One sample of each kind, so a run shows what went wrong without the whole log.
    result.serverWarningSamples = [...new Map(serverLog.map((l) => [/"msg":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 80), l])).values()].slice(0, 8);
    for (const w of procs) w.proc.kill();
    await server.stop();
    await prosody.stop();
    await db.destroy().catch(() => undefined);
    redis.disconnect();
    await dropDatabase(config.main.database, TEST_DB).catch(() => undefined);
  }
  const json = JSON.stringify(result, null, 2);
  writeFileSync(opt.out, json + '\n');
  process.stdout.write(json + '\n');
  process.exit(0);
}
