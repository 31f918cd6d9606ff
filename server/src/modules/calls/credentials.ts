import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Authenticator, AuthLookup } from '@switchboard/sip';
import type { RedisHandle } from '../../kernel/redis.js';
import { Agent } from '../agents/index.js';

export interface SipCredentials {
  username: string;
  password: string;
}

/**
 * SIP digest needs the plain secret (or its MD5), which we must not keep for agents' real
 * passwords. So browsers authenticate to the SIP engine with secrets issued here instead:
 * - a widget call gets a one-call token, valid for `sip.callTokenTtlSeconds`, bound to its interaction;
 * - a logged-in agent gets a SIP secret that lives as long as their session and dies with a logout.
 */
export class SipCredentialStore implements Authenticator {
  constructor(private readonly redis: RedisHandle, private readonly db: DataSource) {}

  private tokenKey(username: string) {
    return this.redis.key('call-token', username);
  }
  private agentKey(agentId: string) {
    return this.redis.key('sip-secret', agentId);
  }

  /** With `inviteId`, the token joins that invitation's call (to the agent) and nothing else. */
  async issueCallToken(interactionId: string, ttlSeconds: number, inviteId?: string): Promise<SipCredentials> {
    const username = `ct-${randomBytes(9).toString('hex')}`;
    const password = randomBytes(24).toString('base64url');
    await this.redis.client.set(this.tokenKey(username), JSON.stringify({ password, interactionId, ...(inviteId ? { inviteId } : {}) }), 'EX', ttlSeconds);
    return { username, password };
  }

  async inviteOf(username: string): Promise<string | null> {
    if (!/^ct-[0-9a-f]{18}$/.test(username)) return null;
    const raw = await this.redis.client.get(this.tokenKey(username));
    return raw ? ((JSON.parse(raw) as { inviteId?: string }).inviteId ?? null) : null;
  }

  /** The agent's SIP secret, created on first use and kept for the session's lifetime. */
  async agentSecret(agent: Agent, ttlSeconds: number): Promise<SipCredentials> {
    const key = this.agentKey(agent.id);
    const fresh = randomBytes(24).toString('base64url');
    await this.redis.client.set(key, fresh, 'EX', ttlSeconds, 'NX');
    const password = (await this.redis.client.get(key)) ?? fresh;
    await this.redis.client.expire(key, ttlSeconds);
    return { username: agent.username, password };
  }

  async revokeAgent(agentId: string): Promise<void> {
    await this.redis.client.del(this.agentKey(agentId));
  }

  async lookup(username: string): Promise<AuthLookup | undefined> {
    if (username.startsWith('ct-')) {
      if (!/^ct-[0-9a-f]{18}$/.test(username)) return undefined;
      const raw = await this.redis.client.get(this.tokenKey(username));
      if (!raw) return undefined;
      const t = JSON.parse(raw) as { password: string; interactionId: string };
      return { secret: { password: t.password }, identity: { kind: 'call-token', username, interactionId: t.interactionId } };
    }
    if (!/^[a-z0-9._-]{2,64}$/.test(username)) return undefined;
    const agent = await this.db.getRepository(Agent).findOneBy({ username, active: true });
    if (!agent) return undefined;
    const password = await this.redis.client.get(this.agentKey(agent.id));
    if (!password) return undefined;
    return { secret: { password }, identity: { kind: 'agent', username, agentId: agent.id } };
  }
}
