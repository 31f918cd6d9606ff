import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { ReportsService } from './service.js';
import { reportsRoutes } from './routes.js';
import { ReportBuckets } from './buckets.js';
import { ReportRefresh } from './refresh.js';

/** How often an instance tries a refresh pass of the hourly buckets (one instance at a time runs it). */
const REFRESH_MS = 30_000;

/** Supervisors' reports, computed from the recorded interactions through hourly buckets kept current. */
export const createReports = (k: Kernel): ServerModule => {
  const reports = new ReportsService(k.db, k.config, k.clock);
  return {
    name: 'reports',
    routes: (router, deps) => reportsRoutes(router, deps, reports),
    start: async () => {
      // The server's clock: the hours that are over are the ones over by the times it records.
      const now = () => k.clock.now();
      const refresh = new ReportRefresh({ db: k.db, log: k.log, buckets: new ReportBuckets(k.db, () => reports.thresholds(), now), now });
      let running: Promise<unknown> | null = null;
      const pass = () => {
        if (running) return;
        running = refresh
          .pass()
          .catch((err) => k.log.warn({ err }, 'report buckets refresh failed; reports read the recorded rows meanwhile, next try in 30 s'))
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
};
