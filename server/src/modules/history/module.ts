import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { HistoryService } from './service.js';
import { historyRoutes } from './routes.js';

/** Past interactions: search, read-only detail and PDF transcripts for the desktop. */
export const createHistory = (k: Kernel): ServerModule => ({
  name: 'history',
  routes: (router, deps) => historyRoutes(router, deps, k, new HistoryService(k.db, k.config)),
});
