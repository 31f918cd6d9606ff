import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { authRoutes, type AuthDeps } from './routes.js';

/** Logging in and out, the logged-in agent, password changes. */
export function createAuth(k: Kernel, deps: AuthDeps): ServerModule {
  return { name: 'auth', routes: (router, routeDeps) => authRoutes(router, routeDeps, k, deps) };
}
