import type Router from '@koa/router';
import { ADMINS, mount, type RouteDeps } from '../../kernel/http/route.js';
import { ConfigError } from '../../kernel/config/load.js';
import { HttpError } from '../../kernel/http/errors.js';
import type { Principal } from '../../kernel/http/principal.js';

/** What administration uses: re-reading the configuration on every instance (app.ts owns the running configuration). */
export interface AdminDeps {
  reloadConfig(by: string): Promise<void>;
}

export function adminRoutes(router: Router, deps: RouteDeps, s: AdminDeps): void {
  mount(router, deps, {
    method: 'post',
    path: '/api/admin/config/reload',
    summary: 'Re-read config/ on every instance; an invalid configuration is refused and the running one kept',
    tag: 'admin',
    access: ADMINS,
    rateLimit: 'api',
    handler: async (ctx) => {
      try {
        await s.reloadConfig((ctx.state.principal as Principal).username);
      } catch (err) {
        if (err instanceof ConfigError) {
          throw new HttpError(422, 'invalid_config', 'The configuration has problems; the running configuration was kept.', err.problems.map((p) => ({ field: `${p.file}: ${p.key}`, problem: p.problem })));
        }
        throw err;
      }
      return { reloaded: true };
    },
  });
}
