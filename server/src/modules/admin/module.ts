import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { adminRoutes, type AdminDeps } from './routes.js';

/** Administration: reloading the configuration. */
export function createAdmin(_k: Kernel, deps: AdminDeps): ServerModule {
  return { name: 'admin', routes: (router, routeDeps) => adminRoutes(router, routeDeps, deps) };
}
