// Chat relay benchmark: concurrent chat rooms on a real Switchboard process (spawned, as in
// production) with the project's Prosody, MariaDB and Redis. Build first: `npx tsc -b server`.
//
//   node bench/chat/run.mjs [--rooms 200] [--rate 100] [--seconds 20]
//
// 1. `--rooms` visitors start chats through the widget API; agents (20 chats each) accept every
//    offer from their desktop socket. Every room is an XMPP MUC room on Prosody.
// 2. chat: for `--seconds`, visitors send `--rate` lines per second in total (round robin over
//    the rooms) on /ws/widget; latency = visitor's send → the line on the agent's /ws/agent
//    (stored in MySQL, relayed through the room, echoed, fanned out over the Redis bus).
// 3. bare: the same rate of groupchat messages between two plain XMPP clients in as many rooms
//    of the same Prosody: send → received by the other occupant.
// 4. memory: the server's RSS before the chats and with every room active, per active chat.
// Prints one JSON document (also written to bench/chat/results.json).
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { client, xml } from '@xmpp/client';
import { makeConfigDir } from '../../server/dist/test/config.js';
import { spawnServer, login } from '../../server/dist/test/server.js';
import { openQueues } from '../../server/dist/modules/routing/testing.js';
import { createDatabase, dropDatabase } from '../../server/dist/db/admin.js';
import { loadConfig } from '../../server/dist/config/load.js';
import { TEST_DB } from '../../server/dist/test/env.js';
import { ScratchProsody } from '../../server/dist/modules/chat/scratch-prosody.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    rooms: { type: 'string', default: '200' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    out: { type: 'string', default: path.join(here, 'results.json') },
  },
});
const ROOMS = Number(opt.rooms);
const RATE = Number(opt.rate);
const SECONDS = Number(opt.seconds);
const ORIGIN = 'http://127.0.0.1:8081';
const PER_AGENT = 20;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null;
};
const summary = (xs) => ({ count: xs.length, p50: r3(percentile(xs, 50)), p90: r3(percentile(xs, 90)), p99: r3(percentile(xs, 99)), max: r3(Math.max(...xs)) });
const r3 = (x) => (x === null ? null : +x.toFixed(3));
const prosodyPid = () => {
  try {
    return Number(readFileSync(path.join(prosody.dir, 'prosody.pid'), 'utf8').trim());
  } catch {
    return NaN;
  }
};
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

async function api(url, method, p, body, token, headers = {}) {
  const res = await globalThis.fetch(url + p, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

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

// ---- set-up: a database, a configuration, a Prosody (configured as shipped, on its own ports, so
// other programs using the project's Prosody do not share it) and a server process of our own
const prosody = await ScratchProsody.create(loadConfig(makeConfigDir()).main.xmpp);
await prosody.start();
const configDir = makeConfigDir({
  redisPrefix: `bench:chat:${process.pid}:`,
  set: openQueues({
    'switchboard.yaml:licensing.maxConcurrentSessions': ROOMS + 100,
    'queues.yaml:queues.0.offerTimeoutSeconds': 60,
    'switchboard.yaml:xmpp.port': prosody.xmpp.port,
    'switchboard.yaml:xmpp.httpPort': prosody.xmpp.httpPort,
  }),
});
const config = loadConfig(configDir);
await createDatabase(config.main.database, TEST_DB, true);
const server = await spawnServer(configDir);
const url = server.url;
const wsUrl = url.replace('http', 'ws');
const result = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((x) => +x.toFixed(2)) }, rooms: ROOMS, rate: RATE, seconds: SECONDS };
const cleanup = [];
result.errors = [];
// A connection reset by a peer under load must not lose the whole run: it is recorded instead.
process.on('uncaughtException', (err) => result.errors.push(`${err.code ?? ''} ${err.message}`.trim()));
const save = () => writeFileSync(opt.out, JSON.stringify(result, null, 2) + '\n');
try {
  for (let i = 0; i < 100; i++) {
    const r = await globalThis.fetch(`${url}/ready`);
    if (r.status === 200) break;
    await sleep(200);
  }
  const admin = await login(url);
  const latencies = [];
  const pending = new Map();
  let received = 0;
  const agents = [];
  const assigned = new Set();
  for (let a = 0; a < Math.ceil(ROOMS / PER_AGENT); a++) {
    const username = `bench-${randomBytes(4).toString('hex')}`;
    await api(url, 'POST', '/api/agents', { username, name: username, role: 'agent', password: 'bench-password-1', skills: [{ skill: 'english', level: 9 }], capacity: { phone: 0, video: 0, chat: PER_AGENT, callback: 0, mail: 0, total: PER_AGENT } }, admin);
    const token = await login(url, username, 'bench-password-1');
    const ws = await socket(`${wsUrl}/ws/agent`, { authorization: `Bearer ${token}` });
    cleanup.push(() => ws.close());
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.type === 'offer') ws.send(JSON.stringify({ type: 'offer.accept', offerId: m.offer.offerId }));
      else if (m.type === 'ok' && m.interaction) assigned.add(m.interaction.id);
      else if (m.type === 'chat.message' && m.message.authorKind === 'visitor') {
        const sent = pending.get(m.message.clientMessageId);
        if (sent !== undefined) {
          pending.delete(m.message.clientMessageId);
          latencies.push(now() - sent);
          received++;
        }
      }
    });
    await api(url, 'PUT', '/api/agents/me/state', { state: 'available' }, token);
    agents.push({ username, token, ws });
  }
  await sleep(1000);
  const rssBefore = rssKb(server.proc.pid);
  const prosodyBefore = Number.isFinite(prosodyPid()) ? rssKb(prosodyPid()) : null;

  // ---- rooms
  const visitors = [];
  const t0 = now();
  const startOne = async (n) => {
    const start = await api(url, 'POST', '/api/widget/example/chats', { fields: { name: `Visitor ${n}`, email: `v${n}-${process.pid}@bench.example`, topic: 'order', privacy: true }, option: 'orders' }, undefined, { origin: ORIGIN });
    if (start.outcome !== 'queued') throw new Error(`chat ${n} not queued: ${JSON.stringify(start)}`);
    const ws = await socket(`${wsUrl}/ws/widget?website=example`, { origin: ORIGIN });
    cleanup.push(() => ws.close());
    ws.send(JSON.stringify({ type: 'chat.subscribe', interactionId: start.interactionId, token: start.token }));
    visitors.push({ id: start.interactionId, ws });
  };
  for (let n = 0; n < ROOMS; n += 10) await Promise.all(Array.from({ length: Math.min(10, ROOMS - n) }, (_, k) => startOne(n + k)));
  const created = now();
  while (assigned.size < ROOMS && now() - created < 120_000) await sleep(100);
  result.setup = { roomsAssigned: assigned.size, seconds: r3((now() - t0) / 1000) };
  // Every room exists on Prosody once a line went through it: warm each one up.
  for (const v of visitors) {
    const cid = `warm-${v.id}`;
    pending.set(cid, now());
    v.ws.send(JSON.stringify({ type: 'chat.send', interactionId: v.id, clientMessageId: cid, body: 'hello' }));
  }
  const warm = now();
  while (pending.size && now() - warm < 120_000) await sleep(100);
  result.setup.warmUpLost = pending.size;
  pending.clear();
  latencies.length = 0;
  received = 0;
  await sleep(1000);
  const rssActive = rssKb(server.proc.pid);
  const prosodyActive = prosodyBefore === null ? null : rssKb(prosodyPid());
  result.memory = {
    serverRssBeforeKb: rssBefore,
    serverRssActiveKb: rssActive,
    perActiveChatKb: r3((rssActive - rssBefore) / ROOMS),
    prosodyRssBeforeKb: prosodyBefore,
    prosodyRssActiveKb: prosodyActive,
    prosodyPerRoomKb: prosodyBefore === null ? null : r3((prosodyActive - prosodyBefore) / ROOMS),
  };

  // ---- chat phase
  const total = RATE * SECONDS;
  const startAt = now();
  for (let k = 0; k < total; k++) {
    const due = startAt + (k * 1000) / RATE;
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    const v = visitors[k % visitors.length];
    const cid = `b${k}`;
    pending.set(cid, now());
    v.ws.send(JSON.stringify({ type: 'chat.send', interactionId: v.id, clientMessageId: cid, body: `line ${k}` }));
  }
  const sentFor = (now() - startAt) / 1000;
  while (pending.size && now() - startAt < (SECONDS + 30) * 1000) await sleep(50);
  result.chat = { sent: total, received, lost: pending.size, achievedRatePerSecond: r3(total / sentFor), latencyMs: summary(latencies) };
  save();

  // ---- bare Prosody MUC round trip, same rate, same number of rooms
  const x = config.main.xmpp;
  const xmppClient = async (resource) => {
    const c = client({
      service: `xmpp://${x.host}:${x.port}`, domain: x.domain, username: x.serviceUser, password: x.servicePassword, resource,
      credentials: (auth, mechanisms) => auth({ username: x.serviceUser, password: x.servicePassword }, mechanisms.includes('PLAIN') ? 'PLAIN' : mechanisms[0]),
    });
    c.on('error', () => undefined);
    c.setMaxListeners(0);
    await c.start();
    cleanup.push(() => c.stop().catch(() => undefined));
    return c;
  };
  const sender = await xmppClient(`bench-send-${process.pid}`);
  const receiver = await xmppClient(`bench-recv-${process.pid}`);
  const bareLat = [];
  const barePending = new Map();
  receiver.on('stanza', (s) => {
    if (!s.is('message') || s.attrs.type !== 'groupchat' || !s.attrs.from?.endsWith('/sender')) return;
    const id = s.getChildText('body');
    const t = barePending.get(id);
    if (t !== undefined) {
      barePending.delete(id);
      bareLat.push(now() - t);
    }
  });
  const roomNames = Array.from({ length: ROOMS }, (_, n) => `bench-${process.pid}-${n}@${x.mucDomain}`);
  const joined = (c, room, nick) =>
    new Promise((resolve) => {
      const on = (s) => {
        if (s.is('presence') && s.attrs.from === `${room}/${nick}`) {
          c.off('stanza', on);
          resolve();
        }
      };
      c.on('stanza', on);
      c.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('history', { maxstanzas: '0' }))));
    });
  for (let n = 0; n < roomNames.length; n += 50) {
    const batch = roomNames.slice(n, n + 50);
    await Promise.all(batch.map((room) => joined(sender, room, 'sender')));
    await Promise.all(batch.map((room) => joined(receiver, room, 'receiver')));
  }
  const bareStart = now();
  for (let k = 0; k < total; k++) {
    const due = bareStart + (k * 1000) / RATE;
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    const id = `m${k}`;
    barePending.set(id, now());
    sender.send(xml('message', { to: roomNames[k % roomNames.length], type: 'groupchat' }, xml('body', {}, id)));
  }
  while (barePending.size && now() - bareStart < (SECONDS + 30) * 1000) await sleep(50);
  result.bare = { sent: total, lost: barePending.size, latencyMs: summary(bareLat) };
  for (const room of roomNames) await sender.send(xml('iq', { type: 'set', to: room, id: `d${room}` }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, xml('destroy'))));
  result.ratio = { p50: r3(result.chat.latencyMs.p50 / result.bare.latencyMs.p50), p99: r3(result.chat.latencyMs.p99 / result.bare.latencyMs.p99) };
  result.machine.loadavgAfter = os.loadavg().map((v) => +v.toFixed(2));
} finally {
  for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
  await server.stop();
  await prosody.stop();
  await dropDatabase(config.main.database, TEST_DB).catch(() => undefined);
}
const json = JSON.stringify(result, null, 2);
writeFileSync(opt.out, json + '\n');
process.stdout.write(json + '\n');
process.exit(0);
