// What one SQL statement costs MariaDB and the client: text (`query`) or prepared (`execute`, the
// binary protocol), over loopback TCP or the Unix socket. Three statements of the callback path on
// the `interactions` and `interaction_events` tables: a point SELECT by primary key (every column,
// as kernel/db/rows.ts selects them), a single-row INSERT, a conditional UPDATE.
//
//   node bench/db/statements.mjs --pid <mariadbd pid> --database <name> [--host 127.0.0.1] [--port 3306]
//        [--socket /run/mysqld/mysqld.sock] [--user switchboard] [--password switchboard] [--n 20000]
//        [--rounds 2] [--in-flight 8]
//
// The database must have the schema (a migrated Switchboard database: its interactions are
// replaced by 20,000 made-up ones). MariaDB's CPU is its /proc/<pid>/stat over each run: use a
// server of its own (nothing else working on it), or the figures are everybody's. Prints JSON: per
// statement, transport and method, MariaDB's and this process's CPU µs per statement (mean of
// the rounds) and the wall time.
import '../runtime.mjs';
import mysql from 'mysql2';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    pid: { type: 'string' },
    database: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '3306' },
    socket: { type: 'string', default: '/run/mysqld/mysqld.sock' },
    user: { type: 'string', default: 'switchboard' },
    password: { type: 'string', default: 'switchboard' },
    n: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '2' },
    'in-flight': { type: 'string', default: '8' },
  },
});
const N = Number(opt.n);
const IN_FLIGHT = Number(opt['in-flight']);

const serverTicks = () => {
  const f = readFileSync(`/proc/${opt.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in 1/100 s
};

// As TypeORM opens its pool (kernel/db/data-source.ts).
const pool = (transport) =>
  mysql.createPool({
    ...(transport === 'socket' ? { socketPath: opt.socket } : { host: opt.host, port: Number(opt.port) }),
    user: opt.user, password: opt.password, database: opt.database,
    charset: 'utf8mb4_unicode_ci', timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true, stringifyObjects: true, connectionLimit: 10, trace: false,
  });
const send = (p, method, sql, params) => new Promise((ok, fail) => p[method](sql, params, (e, r) => (e ? fail(e) : ok(r))));

const hex = () => randomBytes(16).toString('hex');
const COLUMNS = ['id', 'channel', 'direction', 'state', 'queueId', 'websiteId', 'contactId', 'assignedAgentId', 'routingVariables', 'subject', 'dispositionId', 'unmanaged', 'offline', 'timedOut', 'visitorTokenHash', 'queuedAt', 'assignedAt', 'closedAt', 'createdAt', 'updatedAt'];
const SELECT = `SELECT ${COLUMNS.map((c) => `\`i\`.\`${c}\` AS \`i_${c}\``).join(', ')} FROM interactions i WHERE i.id = ? LIMIT 1`;
const INSERT = 'INSERT INTO interaction_events (contactId, interactionId, agentId, type, data, at) VALUES (?, ?, ?, ?, ?, ?)';
const UPDATE = 'UPDATE interactions SET state = ?, assignedAt = ?, updatedAt = CURRENT_TIMESTAMP WHERE id = ? AND closedAt IS NULL';
const ids = [];
const statements = {
  select: (i) => [SELECT, [ids[i % ids.length]]],
  insert: (i) => [INSERT, [null, ids[i % ids.length], null, 'callback.dialling', JSON.stringify({ attempt: 1, to: '+3312345678' }), new Date()]],
  update: (i) => [UPDATE, [i % 2 ? 'assigned' : 'queued', new Date(), ids[i % ids.length]]],
};

async function seed(p) {
  await send(p, 'query', 'DELETE FROM interactions', []);
  for (let b = 0; b < 20; b++) {
    const rows = Array.from({ length: 1000 }, (_, i) => {
      const id = hex();
      ids.push(id);
      return [id, 'voice', 'outbound', 'held', 'sales', JSON.stringify({ callback: true, n: i }), 'Call back', 0, 0, 0, new Date()];
    });
    await send(p, 'query', 'INSERT INTO interactions (id, channel, direction, state, queueId, routingVariables, subject, unmanaged, offline, timedOut, queuedAt) VALUES ?', [rows]);
  }
}

async function measure(p, method, statement) {
  const one = (i) => send(p, method, ...statements[statement](i));
  for (let i = 0; i < 200; i++) await one(i); // connections open, the statement prepared on each
  const [cpu, ticks, t0] = [process.cpuUsage(), serverTicks(), process.hrtime.bigint()];
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < N) await one(next++);
  }));
  const client = process.cpuUsage(cpu);
  return { mariadbUs: ((serverTicks() - ticks) * 10_000) / N, clientUs: (client.user + client.system) / N, wallUs: Number(process.hrtime.bigint() - t0) / 1000 / N };
}

const pools = { tcp: pool('tcp'), socket: pool('socket') };
await seed(pools.tcp);
const runs = {};
for (let r = 0; r < Number(opt.rounds); r++) {
  for (const statement of Object.keys(statements)) {
    for (const transport of ['tcp', 'socket']) {
      for (const method of ['query', 'execute']) (runs[`${statement} ${transport} ${method}`] ??= []).push(await measure(pools[transport], method, statement));
    }
  }
}
const mean = (xs) => +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1);
const perStatement = Object.fromEntries(
  Object.entries(runs).map(([k, ms]) => [k, { mariadbUs: mean(ms.map((m) => m.mariadbUs)), clientUs: mean(ms.map((m) => m.clientUs)), wallUs: mean(ms.map((m) => m.wallUs)), rounds: ms }]),
);
process.stdout.write(JSON.stringify({ date: new Date().toISOString(), statements: N, rounds: Number(opt.rounds), inFlight: IN_FLIGHT, perStatement }, null, 2) + '\n');
await Promise.all(Object.values(pools).map((p) => new Promise((ok) => p.end(ok))));
