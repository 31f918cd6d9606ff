import { createHash, randomBytes } from 'node:crypto';
import { redisScript, type RedisHandle } from '../../kernel/redis.js';
import type { Role } from '../../kernel/config/schema.js';
import type { Principal, SessionResolver } from '../../kernel/http/principal.js';


const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/** ARGV: the session key prefix, the agent-sessions key prefix, agent ids → those with no session left. */
const WITHOUT_SESSION = redisScript(`
local gone = {}
for n = 3, #ARGV do
  local alive = false
  for _, id in ipairs(redis.call('SMEMBERS', ARGV[2] .. ARGV[n])) do
    if redis.call('EXISTS', ARGV[1] .. id) == 1 then alive = true break end
  end
  if not alive then gone[#gone + 1] = ARGV[n] end
end
return gone`);

/**
 * Agent sessions live in Redis so that every instance sees a logout at once. Only a hash of the
 * bearer token is stored: a leaked Redis dump does not log anyone in.
 */
export class SessionStore implements SessionResolver {
  constructor(private readonly redis: RedisHandle, private readonly ttlSeconds: () => number) {}

  private sessionKey(id: string) {
    return this.redis.key('session', id);
  }
  private agentKey(agentId: string) {
    return this.redis.key('agent-sessions', agentId);
  }

  async create(p: Omit<Principal, 'sessionId'>): Promise<{ token: string; principal: Principal }> {
    const token = randomBytes(32).toString('base64url');
    const sessionId = digest(token);
    const ttl = this.ttlSeconds();
    await this.redis.client
      .multi()
      .hset(this.sessionKey(sessionId), { agentId: p.agentId, role: p.role, username: p.username })
      .expire(this.sessionKey(sessionId), ttl)
      .sadd(this.agentKey(p.agentId), sessionId)
      .expire(this.agentKey(p.agentId), ttl)
      .exec();
    return { token, principal: { ...p, sessionId } };
  }

  async resolve(token: string): Promise<Principal | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const sessionId = digest(token);
    const h = await this.redis.client.hgetall(this.sessionKey(sessionId));
    if (!h.agentId) return null;
    return { agentId: h.agentId, role: h.role as Role, username: h.username!, sessionId };
  }

  liveKey(sessionId: string): string {
    return this.sessionKey(sessionId);
  }

  async isLive(sessionId: string): Promise<boolean> {
    return (await this.redis.client.exists(this.sessionKey(sessionId))) === 1;
  }

  async anyAlive(agentId: string): Promise<boolean> {
    const ids = await this.redis.client.smembers(this.agentKey(agentId));
    if (!ids.length) return false;
    return (await this.redis.client.exists(...ids.map((id) => this.sessionKey(id)))) > 0;
  }

  /**
   * Those of these agents with a session still alive, in one round trip however many there are:
   * the periodic check goes over every logged-in agent, and two reads per agent, parsed here,
   * were most of what an idle server did. The script answers with the few without one.
   */
  async withAnyAlive(agentIds: string[]): Promise<Set<string>> {
    if (!agentIds.length) return new Set();
    const gone = (await WITHOUT_SESSION(this.redis.client, [], [this.sessionKey(''), this.agentKey(''), ...agentIds])) as string[];
    const without = new Set(gone);
    return new Set(agentIds.filter((a) => !without.has(a)));
  }

  /** Ends every session of the agent; returns how many there were. */
  async revokeAll(agentId: string): Promise<number> {
    const ids = await this.redis.client.smembers(this.agentKey(agentId));
    const m = this.redis.client.multi().del(this.agentKey(agentId));
    for (const id of ids) m.del(this.sessionKey(id));
    await m.exec();
    return ids.length;
  }
}
