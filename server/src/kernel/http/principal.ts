import type { Role } from '../config/schema.js';

/** The agent behind a request or socket, as their session names them. */
export interface Principal {
  agentId: string;
  role: Role;
  username: string;
  sessionId: string;
}

/**
 * What the kernel needs from agent sessions (the agents context keeps them): the HTTP
 * middleware and the sockets resolve tokens through it without knowing how sessions are stored.
 */
export interface SessionResolver {
  resolve(token: string): Promise<Principal | null>;
  /** Whether the session still exists (a logout elsewhere ends it). */
  isLive(sessionId: string): Promise<boolean>;
  /** The Redis key that exists while the session does: isLive() asked with other commands, in their round trip. */
  liveKey(sessionId: string): string;
}
