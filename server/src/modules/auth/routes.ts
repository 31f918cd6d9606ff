import type { Me } from '@switchboard/protocol';
import type Router from '@koa/router';
import { z } from 'zod';
import { ALL_ROLES, mount, type RouteDeps } from '../../kernel/http/route.js';
import { HttpError, unauthorized } from '../../kernel/http/errors.js';
import { LoginLockout } from './lockout.js';
import { SESSION_COOKIE } from '../../kernel/http/security.js';
import { loginBody, passwordBody } from '../agents/index.js';
import { presentAgent } from '../agents/index.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { AgentService, AgentStates, SessionStore } from '../agents/index.js';
import type { Principal } from '../../kernel/http/principal.js';

/** What logging in and out uses of the agents context (accounts, sessions) and of routing (states). */
export interface AuthDeps {
  agents: Pick<AgentService, 'verifyCredentials' | 'skillsOf' | 'revokeSessions' | 'get' | 'changePassword'>;
  sessions: Pick<SessionStore, 'create'>;
  states: AgentStates;
}

export function authRoutes(router: Router, deps: RouteDeps, k: Kernel, s: AuthDeps): void {
  const lockout = new LoginLockout(k.redis, k.config, k.log);
  mount(router, deps, {
    method: 'post',
    path: '/api/auth/login',
    summary: 'Log in with username and password; sets the session cookie and returns a bearer token',
    tag: 'auth',
    access: 'public',
    rateLimit: 'login',
    body: loginBody,
    response: z.object({ token: z.string(), agent: z.object({ id: z.string(), username: z.string(), role: z.string() }).loose() }),
    handler: async (ctx, { body }) => {
      const locked = await lockout.attempt(body.username);
      if (locked > 0) {
        throw new HttpError(429, 'login_locked', `Too many wrong passwords for this username. Try again in ${locked} seconds, or ask an administrator to unlock it.`, undefined, { 'Retry-After': String(locked) });
      }
      const agent = await s.agents.verifyCredentials(body.username, body.password);
      if (!agent) throw unauthorized('Wrong username or password.');
      await lockout.succeeded(body.username);
      const { token } = await s.sessions.create({ agentId: agent.id, role: agent.role, username: agent.username });
      const hours = k.config().main.security.sessionTtlHours;
      ctx.cookies.set(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.secure,
        maxAge: hours * 3600 * 1000,
        path: '/',
      });
      k.log.info({ agentId: agent.id }, 'agent logged in');
      const skills = (await s.agents.skillsOf([agent.id])).get(agent.id) ?? [];
      return { token, agent: presentAgent(agent, skills) };
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/auth/logout',
    summary: 'Log out everywhere: every session and socket of this agent ends at once',
    tag: 'auth',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const p = ctx.state.principal as Principal;
      await s.agents.revokeSessions(p.agentId);
      await s.states.set(p.agentId, 'logged-out');
      ctx.cookies.set(SESSION_COOKIE, null);
    },
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/auth/me',
    summary: 'The logged-in agent and their current state',
    tag: 'auth',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const p = ctx.state.principal as Principal;
      const agent = await s.agents.get(p.agentId);
      const skills = (await s.agents.skillsOf([agent.id])).get(agent.id) ?? [];
      const permissions = k.config().main.security.transcriptAttachmentRoles.includes(p.role) ? ['transcript.attachments'] : [];
      return { agent: presentAgent(agent, skills), status: await s.states.get(agent.id), permissions } satisfies Me;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/auth/password',
    summary: 'Change your password; every session (this one too) ends',
    tag: 'auth',
    access: ALL_ROLES,
    // Its own budget per session: wrong logins from the same address must not block a password change.
    rateLimit: 'password',
    body: passwordBody,
    handler: async (ctx, { body }) => {
      const p = ctx.state.principal as Principal;
      await s.agents.changePassword(p.agentId, body.currentPassword, body.newPassword);
      ctx.cookies.set(SESSION_COOKIE, null);
    },
  });
}
