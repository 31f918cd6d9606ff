import type Router from '@koa/router';
import { mount, type RouteDeps } from '../../kernel/http/route.js';
import type { Readiness } from './checks.js';

export function healthRoutes(router: Router, deps: RouteDeps, readiness: Pick<Readiness, 'check'>): void {
  mount(router, deps, {
    method: 'get',
    path: '/health',
    summary: 'Liveness: the process is up and serving',
    tag: 'health',
    access: 'public',
    rateLimit: 'widget',
    handler: async () => ({ status: 'ok' }),
  });
  mount(router, deps, {
    method: 'get',
    path: '/ready',
    summary: 'Readiness: database, Redis, XMPP and rtpengine (503 when any is down); SMTP and IMAP when configured, reported and named in degraded when down',
    tag: 'health',
    access: 'public',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const r = await readiness.check();
      ctx.status = r.ready ? 200 : 503;
      return r;
    },
  });
}
