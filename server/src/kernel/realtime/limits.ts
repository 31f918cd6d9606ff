import type { RedisHandle } from '../redis.js';
import type { Logger } from '../logger.js';

/** Seconds until the current one-minute window ends, for the refusal's "try again in". */
const retryAfter = () => 60 - Math.floor((Date.now() / 1000) % 60);

/**
 * Socket commands per minute. An agent's limit is per session and counted in Redis, so tabs on
 * several instances share it; a visitor's is per socket (a visitor has nothing longer-lived).
 * While Redis is away agents are let through, as the HTTP limiter does.
 */
export class CommandLimiter {
  private warnedWindow = 0;

  constructor(
    private readonly redis: RedisHandle,
    private readonly log: Logger,
  ) {}

  /**
   * Counts one command of the session: `wait`, the seconds to wait when over the limit. With
   * `liveKey`, also whether that key exists, in the same round trip (`live`; absent when Redis
   * could not be asked).
   */
  async agent(sessionId: string, limit: number, liveKey?: string): Promise<{ wait: number | undefined; live?: boolean }> {
    const window = Math.floor(Date.now() / 60000);
    const key = this.redis.key('rl', 'ws-agent', sessionId, String(window));
    let count = 0;
    let live: boolean | undefined;
    try {
      const m = this.redis.client.multi().incr(key).expire(key, 61);
      if (liveKey) m.exists(liveKey);
      const res = await m.exec();
      count = Number(res?.[0]?.[1] ?? 0);
      if (liveKey && res?.[2] && !res[2][0]) live = Number(res[2][1]) === 1;
    } catch (err) {
      if (this.warnedWindow !== window) this.log.warn({ err }, 'socket rate limiter unavailable; letting commands through');
      this.warnedWindow = window;
    }
    return { wait: count > limit ? retryAfter() : undefined, live };
  }

  /** A counter for one visitor socket. */
  static perSocket(): (limit: number) => number | undefined {
    let window = 0;
    let count = 0;
    return (limit) => {
      const now = Math.floor(Date.now() / 60000);
      if (now !== window) [window, count] = [now, 0];
      count += 1;
      return count > limit ? retryAfter() : undefined;
    };
  }
}
