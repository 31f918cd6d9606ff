import type { ServerModule } from '../../module.js';
import { HistoryService } from './service.js';
import { historyRoutes } from './routes.js';

/** Past interactions: search, read-only detail and PDF transcripts for the desktop. */
export const historyModule: ServerModule = {
  name: 'history',
  routes: (router, deps, s) => historyRoutes(router, deps, s, new HistoryService(s.db, s.config)),
};
