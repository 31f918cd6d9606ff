// The benchmark's side of count-roundtrips.mjs: the server's node flags, snapshots of the servers'
// counts, and what a measured window cost per unit of work.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const preload = path.join(path.dirname(fileURLToPath(import.meta.url)), 'count-roundtrips.mjs');

/** Makes servers spawned from now on count their round trips into `dir`. */
export function countRoundTrips(dir) {
  process.env.SWITCHBOARD_SERVER_NODE_ARGS = `${process.env.SWITCHBOARD_SERVER_NODE_ARGS ?? ''} --import ${pathToFileURL(preload).href}`.trim();
  process.env.SWITCHBOARD_ROUNDTRIPS_DIR = dir;
  const taken = new Map();
  return {
    /** Every server's counts so far, summed. */
    async snapshot(pids) {
      const sum = { sql: {}, redis: {}, redisWrites: 0 };
      for (const pid of pids) {
        const n = (taken.get(pid) ?? 0) + 1;
        taken.set(pid, n);
        const file = path.join(dir, `${pid}.${n}.json`);
        process.kill(pid, 'SIGUSR2');
        for (let waited = 0; !existsSync(file); waited += 50) {
          if (waited > 60_000) throw new Error(`server ${pid} wrote no counts in 60 s`);
          await sleep(50);
        }
        const c = JSON.parse(readFileSync(file, 'utf8'));
        for (const k of ['sql', 'redis']) for (const [s, v] of Object.entries(c[k])) sum[k][s] = (sum[k][s] ?? 0) + v;
        sum.redisWrites += c.redisWrites;
      }
      return sum;
    },
  };
}

/** What happened between two snapshots, per unit: totals and the statements/commands by count. */
export function perUnit(before, after, units) {
  const diff = (k) => Object.entries(after[k]).map(([s, v]) => [s, v - (before[k][s] ?? 0)]).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  const each = (n) => +(n / units).toFixed(2);
  const sql = diff('sql');
  const redis = diff('redis');
  const total = (xs) => xs.reduce((a, [, v]) => a + v, 0);
  return {
    sqlStatements: each(total(sql)),
    redisCommands: each(total(redis)),
    redisRoundTrips: each(after.redisWrites - before.redisWrites),
    sql: Object.fromEntries(sql.map(([s, v]) => [s, each(v)])),
    redis: Object.fromEntries(redis.map(([s, v]) => [s, each(v)])),
  };
}
