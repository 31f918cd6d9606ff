import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { websiteRoutes } from './routes.js';

/** The websites the widget runs on: their widget settings and the snippet to paste. */
export function createWebsites(k: Kernel): ServerModule {
  return { name: 'websites', routes: (router, routeDeps) => websiteRoutes(router, routeDeps, k) };
}
