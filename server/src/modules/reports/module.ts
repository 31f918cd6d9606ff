import type { ServerModule } from '../../module.js';
import { ReportsService } from './service.js';
import { reportsRoutes } from './routes.js';
import { ReportBuckets } from './buckets.js';
import { ReportRefresh } from './refresh.js';

/** How often an instance tries a refresh pass of the hourly buckets (one instance at a time runs it). */
const REFRESH_MS = 30_000;

/** Supervisors' reports, computed from the recorded interactions through hourly buckets kept current. */
export const reportsModule: ServerModule = {
  name: 'reports',
  routes: (router, deps, s) => reportsRoutes(router, deps, new ReportsService(s.db, s.config, s.clock)),
  start: async (s) => {
    const reports = new ReportsService(s.db, s.config, s.clock);
    // The server's clock: the hours that are over are the ones over by the times it records.
    const now = () => s.clock.now();
    const refresh = new ReportRefresh({ db: s.db, log: s.log, buckets: new ReportBuckets(s.db, () => reports.thresholds(), now), now });
    let running: Promise<unknown> | null = null;
    const pass = () => {
      if (running) return;
      running = refresh
        .pass()
        .catch((err) => s.log.warn({ err }, 'report buckets refresh failed; reports read the recorded rows meanwhile, next try in 30 s'))
        .finally(() => (running = null));
    };
    pass();
    const timer = setInterval(pass, REFRESH_MS);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
    };
  },
};
