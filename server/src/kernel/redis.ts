import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SwitchboardFile } from './config/schema.js';

export type { Redis };

export interface RedisHandle {
  /** Commands. */
  client: Redis;
  /** Pub/sub needs a connection of its own. */
  subscriber: Redis;
  /** Namespaces a key with the configured prefix (ioredis' keyPrefix would not reach pub/sub or BullMQ). */
  key: (...parts: string[]) => string;
  close: () => Promise<void>;
}

/** Runs a Lua script with its keys and arguments on this connection; its reply as Redis gives it. */
export type RedisScript = (client: Redis, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/**
 * A Lua script sent by its SHA1 (EVALSHA), so its text crosses the wire, and Redis compiles it,
 * only when Redis does not know it: its first use, or after a restart or SCRIPT FLUSH emptied the
 * script cache. Then it goes once as EVAL, which puts it in the cache for the calls after.
 */
export function redisScript(source: string): RedisScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (client, keys, args) => {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err as Error).message?.startsWith('NOSCRIPT')) throw err;
      return client.eval(source, keys.length, ...keys, ...args);
    }
  };
}

/**
 * Errors ioredis gives while Redis is away or too slow: the caller answers 503 rather than 500,
 * because nothing is wrong with the request and it will work once Redis is back.
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return /^(Stream isn't writeable|Command timed out|Connection is closed|connect ECONNREFUSED|read ECONNRESET)/.test(err.message);
}

export function createRedis(cfg: SwitchboardFile['redis']): RedisHandle {
  const options = {
    host: cfg.host,
    port: cfg.port,
    password: cfg.password,
    db: cfg.db,
    lazyConnect: true,
    connectTimeout: 3000,
    // While Redis is away a command fails at once instead of waiting in a queue for the
    // reconnection (requests hung 1–8 s before); one that Redis does not answer in time fails too.
    // Reconnection continues in the background and /ready says Redis is down meanwhile.
    enableOfflineQueue: false,
    commandTimeout: cfg.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
  // Commands issued within one turn of the event loop leave in one write: every write wakes Redis
  // and costs this process a system call, and under load many steps send their commands at once
  // (a callback's steps used to cost its server ~11 writes more). Commands still reach Redis in
  // the order they were issued; a MULTI is sent at once, so whatever must come before it is
  // awaited first, as it already was.
  const client = new Redis({ ...options, enableAutoPipelining: true });
  const subscriber = new Redis(options);
  // ioredis reports connection errors as events; without a listener they would crash the process.
  client.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  return {
    client,
    subscriber,
    key: (...parts) => cfg.keyPrefix + parts.join(':'),
    close: async () => {
      client.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * What makes this Redis unsafe for scheduled jobs (BullMQ's production guide): without the
 * append-only file a restart loses every scheduled callback; with any eviction policy but
 * `noeviction` Redis may drop job keys when memory runs short. Empty when it is safe.
 */
export async function jobSafetyProblems(client: Redis): Promise<string[]> {
  let aof: string | undefined;
  let policy: string | undefined;
  try {
    aof = ((await client.config('GET', 'appendonly')) as string[])[1];
    policy = ((await client.config('GET', 'maxmemory-policy')) as string[])[1];
  } catch (err) {
    return [`its settings could not be read (CONFIG GET: ${(err as Error).message}); make sure appendonly is yes and maxmemory-policy is noeviction`];
  }
  const problems: string[] = [];
  if (aof !== 'yes') problems.push(`appendonly is "${aof}": scheduled jobs are lost when Redis restarts (set appendonly yes)`);
  if (policy !== 'noeviction') problems.push(`maxmemory-policy is "${policy}": Redis may evict job keys under memory pressure (set maxmemory-policy noeviction)`);
  return problems;
}
