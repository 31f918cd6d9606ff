import { createHash } from 'node:crypto';
import { redisScript, type RedisHandle } from '../../kernel/redis.js';
import type { Logger } from '../../kernel/logger.js';
import type { Config } from '../../kernel/config/schema.js';

/**
 * Every attempt counts as a failure until the password proves right, and the count is taken
 * atomically before the password is checked: a burst of parallel guesses from many addresses
 * cannot slip in before the lock. Attempts during a lock are refused without being counted, so
 * an attacker cannot lengthen it; each lock after the first doubles, up to maxLockSeconds, and
 * every lock ends by itself — the worst an attacker can do is slow a user down, never shut them
 * out for good. A right password clears the count; an admin can clear it from the CLI.
 */
const ATTEMPT = redisScript(`
local now = tonumber(ARGV[1])
local locked = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if locked > now then return locked - now end
local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local threshold = tonumber(ARGV[2])
if n >= threshold then
  local seconds = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ (n - threshold))
  redis.call('HSET', KEYS[1], 'until', now + seconds * 1000)
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 0
`);

export class LoginLockout {
  private warned = 0;

  constructor(
    private readonly redis: RedisHandle,
    private readonly config: () => Config,
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private key(username: string): string {
    // Hashed: the key space shows no usernames, and any text an attacker sends fits a key.
    return this.redis.key('login-lock', createHash('sha256').update(username.toLowerCase()).digest('hex').slice(0, 32));
  }

  /** Counts an attempt for the username; the seconds it stays locked, or 0 when it may try now. */
  async attempt(username: string): Promise<number> {
    const s = this.config().main.security.loginLockout;
    try {
      const ms = Number(await ATTEMPT(this.redis.client, [this.key(username)], [this.now(), s.failures, s.lockSeconds, s.maxLockSeconds, s.maxLockSeconds * 2 + 3600]));
      return Math.ceil(ms / 1000);
    } catch (err) {
      // As the rate limiter: with Redis away, refusing every agent would be worse.
      if (Date.now() - this.warned > 60000) this.log?.warn({ err }, 'login lockout unavailable; letting the attempt through');
      this.warned = Date.now();
      return 0;
    }
  }

  async succeeded(username: string): Promise<void> {
    await this.redis.client.del(this.key(username)).catch(() => undefined);
  }

  /** Lifts a lock and forgets the failures; whether there was anything to lift. */
  async lift(username: string): Promise<boolean> {
    return (await this.redis.client.del(this.key(username))) === 1;
  }
}
