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

export function createRedis(cfg: SwitchboardFile['redis']): RedisHandle {
  const options = {
    host: cfg.host,
    port: cfg.port,
    password: cfg.password,
    db: cfg.db,
    lazyConnect: true,
    connectTimeout: 3000,
    // Fail commands quickly while Redis is away instead of queueing them forever; callers report
    // the error and /ready says Redis is down. Reconnection continues in the background.
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
  const client = new Redis(options);
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
