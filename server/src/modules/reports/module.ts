import type { ServerModule } from '../../module.js';
import { ReportsService } from './service.js';
import { reportsRoutes } from './routes.js';

/** Supervisors' reports, computed from the recorded interactions. */
export const reportsModule: ServerModule = {
  name: 'reports',
  routes: (router, deps, s) => reportsRoutes(router, deps, new ReportsService(s.db, s.config, s.clock)),
};
