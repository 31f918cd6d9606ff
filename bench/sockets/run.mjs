// What the socket command limit costs (#13): each agent command first counts itself in Redis
// (MULTI INCR EXPIRE, one round trip, shared by the session's sockets on every instance).
// Build first: `npm run build`.
//
//   node bench/sockets/run.mjs [--commands 2000] [--out bench/sockets/results.json]
//
// A real server process (spawned, as in production) on the project's MariaDB and Redis; one agent
// desktop socket sends `ping` one after another (each waits for its `pong`): the round trip of
// the cheapest command, limiter included. Then the limiter's own Redis transaction, alone, as
// many times. Prints one JSON document.
import '../runtime.mjs';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import process from 'node:process';
import { stdout } from 'node:process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

const { values: opt } = parseArgs({ options: { commands: { type: 'string', default: '2000' }, out: { type: 'string', default: 'bench/sockets/results.json' } } });
const N = Number(opt.commands);

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))].toFixed(3);
  return { n: s.length, p50: at(50), p95: at(95), p99: at(99), max: +s[s.length - 1].toFixed(3), meanMs: +(s.reduce((a, b) => a + b, 0) / s.length).toFixed(3) };
};

const { makeConfigDir } = await import('../../server/dist/test/config.js');
const { spawnServer, login } = await import('../../server/dist/test/server.js');
const { createDatabase, dropDatabase } = await import('../../server/dist/kernel/db/admin.js');
const { loadConfig } = await import('../../server/dist/kernel/config/load.js');
const { TEST_DB } = await import('../../server/dist/test/env.js');
const { Redis } = await import('ioredis');

const configDir = makeConfigDir({ redisPrefix: `bench:sockets:${process.pid}:`, set: { 'switchboard.yaml:security.rateLimits.agentSocketCommandsPerMinute': 1_000_000 } });
const config = loadConfig(configDir);
await createDatabase(config.main.database, TEST_DB, true);
const server = await spawnServer(configDir);
const redis = new Redis({ host: config.main.redis.host, port: config.main.redis.port, keyPrefix: `bench:sockets:${process.pid}:direct:` });
const result = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavgBefore: os.loadavg().map((x) => +x.toFixed(2)) }, commands: N };
try {
  const token = await login(server.url);
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/ws/agent', { headers: { authorization: `Bearer ${token}` } });
  const waiting = new Map();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    waiting.get(m.ref)?.(m);
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const ask = (ref) => new Promise((resolve) => (waiting.set(ref, resolve), ws.send(JSON.stringify({ type: 'ping', ref }))));
  for (let i = 0; i < 200; i++) await ask(`warm${i}`);
  const rtt = [];
  let refused = 0;
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const m = await ask(`p${i}`);
    rtt.push(performance.now() - t0);
    if (m.type !== 'pong') refused++;
  }
  ws.close();
  result.pingRoundTripMs = stats(rtt);
  result.refused = refused;

  // The limiter's transaction by itself, as the hub sends it.
  const own = [];
  const key = `rl:ws-agent:bench:${Math.floor(Date.now() / 60000)}`;
  for (let i = 0; i < 200; i++) await redis.multi().incr(key).expire(key, 61).exec();
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await redis.multi().incr(key).expire(key, 61).exec();
    own.push(performance.now() - t0);
  }
  result.limiterRedisMs = stats(own);
  result.limiterShareOfPingP50 = +(result.limiterRedisMs.p50 / result.pingRoundTripMs.p50).toFixed(2);
  result.machine.loadavgAfter = os.loadavg().map((x) => +x.toFixed(2));
} finally {
  await redis.quit().catch(() => undefined);
  await server.stop();
  await dropDatabase(config.main.database, TEST_DB).catch(() => undefined);
}
const json = JSON.stringify(result, null, 2);
writeFileSync(opt.out, json + '\n');
stdout.write(json + '\n');
